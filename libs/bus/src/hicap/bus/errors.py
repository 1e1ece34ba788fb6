"""Bus errors. Everything the bus raises is a `HicapError`, so callers catch one tree.

HicapError
└── Unavailable
    └── BusUnavailable      NATS cannot be reached (with the URL and what to do)
└── DeadlineExceeded
    └── BusTimeout          no reply in time
"""

from __future__ import annotations

from hicap.errors import DeadlineExceeded, Unavailable


class BusUnavailable(Unavailable):
    code = "bus_unavailable"


class BusTimeout(DeadlineExceeded):
    code = "bus_timeout"
