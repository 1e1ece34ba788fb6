"""Metering's errors: the analytics store failed or cannot be reached.

    Unavailable
    └── StoreUnavailable    the store does not answer (ClickHouse down): retry later
    Internal
    └── StoreFailed         the store refused a statement (a bug or a bad row)

Imports hicap.errors only.
"""

from __future__ import annotations

from hicap.errors import Internal, Unavailable


class StoreUnavailable(Unavailable):
    """The analytics store cannot be reached; nothing was written."""


class StoreFailed(Internal):
    """The analytics store answered with an error for this statement."""
