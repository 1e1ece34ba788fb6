"""Leases of reserved TPM to ingress replicas: the `LeaseBook` (pure) and `serve_leases`,
which answers the `lease` command on `hicap.cmd.capacity-scheduler.lease`.

Per (reservation, window) the tokens granted over every replica never exceed the
reservation's TPM; a grant is good for its window only. Shares follow demand: a replica
gets what it wants while nobody else's share is at stake; the part of the TPM that others
have not yet claimed of their share (share = TPM x their demand / all demand, demand being
what each reported `used` this window or the last one, at least a small chunk) is held
back for them, and a replica that has had less than a small chunk in the window always
gets one while anything is left, so none starves. A replica that stops asking holds
nothing past its window, and its demand is forgotten one window later.
Leases are working state kept in this process's memory, never on a stream: they are
re-derived within one window from the replicas' own reports, and storing them would put
every replica's heartbeat (several a second) on JetStream's disk for nothing. A restart
loses the book: a fresh one learns what each replica holds of the window in progress from
its requests (`held`), and grants nothing for that window during a grace of a few lease
intervals (`grace_s`; its answers then say what remains, so replicas ask again rather
than take the window for used up), long enough for every live replica to have asked and
so reported its holding; then it grants the rest as usual (replicas keep admitting against what they
already hold meanwhile; their prefetch of the next window is answered at once). A replica
whose balance was ample enough not to ask during the grace holds at most about two lease
intervals of its demand: that is the most a restart can over-grant, once. One book per process: the lease command must be served by one
scheduler replica at a time (two books in one queue group would each grant the TPM).
Imports hicap.bus, hicap.catalog and hicap.events; no Temporal, no HTTP.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from hicap.bus import Bus, Subscription, commands
from hicap.catalog import Reservations
from hicap.errors import InvalidRequest
from hicap.events.v1 import capacity_commands_pb2 as cmd

__all__ = [
    "LEASE_SUBJECT",
    "MIN_CHUNK_TOKENS",
    "Grant",
    "LeaseBook",
    "Want",
    "serve_leases",
    "window_of",
]

LEASE_SUBJECT = commands.command_subject("capacity-scheduler", "lease")
QUEUE = "capacity-scheduler"
MIN_CHUNK_TOKENS = 256
"""What a replica that has had nothing in a window gets at least (while anything is left)."""


def window_of(unix_s: float, window_s: float) -> int:
    """The admission window `unix_s` falls in: floor(unix seconds / window seconds)."""
    return math.floor(unix_s / window_s)


@dataclass(frozen=True, slots=True)
class Want:
    reservation_id: str
    window: int
    tokens: int  # how many more the replica wants
    used: int  # its demand in the window so far
    held: int = 0  # what it was granted of the window so far


@dataclass(frozen=True, slots=True)
class Grant:
    reservation_id: str
    window: int
    tokens: int
    remaining: int  # still ungranted in the window, over every replica


@dataclass(slots=True)
class _Holding:
    """One replica in one (reservation, window): granted so far, demand reported."""

    granted: int = 0
    used: int = 0


Key = tuple[str, int]  # (reservation id, window)


class LeaseBook:
    """Who holds how much of which reservation's window. Pure: the caller passes the
    window in progress and the reservation's TPM (0 when it is not serving)."""

    def __init__(
        self,
        *,
        started_window: int,
        min_chunk: int = MIN_CHUNK_TOKENS,
        grace_until_s: float = math.inf,
    ) -> None:
        self.started_window = started_window  # the window in progress when the book began
        self.grace_until_s = grace_until_s  # it grants nothing of that window before this
        self.min_chunk = min_chunk
        self._books: dict[Key, dict[str, _Holding]] = {}

    def grant(
        self, replica: str, want: Want, tpm: int, now_window: int, now_s: float = 0.0
    ) -> Grant:
        self._forget(now_window)
        key = (want.reservation_id, want.window)
        if tpm <= 0 or not now_window <= want.window <= now_window + 1:
            return Grant(want.reservation_id, want.window, 0, 0)
        holders = self._books.setdefault(key, {})
        me = holders.setdefault(replica, _Holding())
        me.used = max(me.used, want.used)
        me.granted = max(me.granted, want.held)  # what it holds from before a restart
        if want.window < self.started_window:
            return Grant(want.reservation_id, want.window, 0, 0)  # never grantable again
        remaining = max(0, tpm - sum(h.granted for h in holders.values()))
        if want.window == self.started_window and now_s < self.grace_until_s:
            # Nothing yet, but the window is not used up: `remaining` > 0 tells the replica
            # to ask again (a 0 would read as exhausted and spill it for the whole window).
            return Grant(want.reservation_id, want.window, 0, remaining)
        tokens = self._tokens(replica, want, tpm, remaining)
        me.granted += tokens
        return Grant(want.reservation_id, want.window, tokens, remaining - tokens)

    def granted(self, reservation_id: str, window: int) -> int:
        """Granted in total over every replica (what the book still remembers)."""
        return sum(h.granted for h in self._books.get((reservation_id, window), {}).values())

    def _tokens(self, replica: str, want: Want, tpm: int, remaining: int) -> int:
        if want.tokens <= 0 or remaining <= 0:
            return 0
        holders = self._books[(want.reservation_id, want.window)]
        held_back = self._unclaimed_by_others(replica, want, tpm)
        tokens = min(want.tokens, remaining - held_back)
        short = self.min_chunk - holders[replica].granted
        if short > 0:  # never starve a newcomer: a small chunk while anything is left
            tokens = max(tokens, min(want.tokens, remaining, short))
        return max(0, tokens)

    def _unclaimed_by_others(self, replica: str, want: Want, tpm: int) -> int:
        """What the other replicas' demand-proportional shares still hold back."""
        demand = self._demand(want.reservation_id, want.window)
        total = sum(demand.values())
        holders = self._books[(want.reservation_id, want.window)]
        unclaimed = 0
        for other, d in demand.items():
            if other != replica:
                got = holders[other].granted if other in holders else 0
                unclaimed += max(0, tpm * d // total - got)
        return unclaimed

    def _demand(self, reservation_id: str, window: int) -> dict[str, int]:
        """Each replica's demand in `window` or the one before, at least a chunk."""
        demand: dict[str, int] = {}
        for w in (window - 1, window):
            for replica, holding in self._books.get((reservation_id, w), {}).items():
                demand[replica] = max(demand.get(replica, self.min_chunk), holding.used)
        return demand

    def _forget(self, now_window: int) -> None:
        """Windows older than the previous one are of no use any more."""
        for key in [k for k in self._books if k[1] < now_window - 1]:
            del self._books[key]


def _want(message: cmd.LeaseWant) -> Want:
    return Want(
        message.reservation_id,
        int(message.window),
        int(message.tokens),
        int(message.used),
        int(message.held),
    )


def _tpm(reservations: Reservations, reservation_id: str) -> int:
    r = reservations.get(reservation_id)
    return r.tpm if r is not None and r.serving else 0


async def serve_leases(
    bus: Bus,
    reservations: Callable[[], Reservations],
    *,
    window_s: float,
    grace_s: float,
    clock: Callable[[], float] = time.time,
) -> list[Subscription]:
    """Answer `lease` from a book started now (`clock`: unix seconds); `grace_s`: a few
    lease intervals of the replicas (see the module's restart rule)."""
    started_s = clock()
    book = LeaseBook(
        started_window=window_of(started_s, window_s), grace_until_s=started_s + grace_s
    )

    async def lease(req: cmd.LeaseRequest) -> cmd.LeaseReply:
        if not req.replica:
            raise InvalidRequest("lease: replica is required")
        now_s = clock()
        now_window = window_of(now_s, window_s)
        state = reservations()
        grants = [
            book.grant(req.replica, _want(w), _tpm(state, w.reservation_id), now_window, now_s)
            for w in req.wants
        ]
        return cmd.LeaseReply(
            grants=[
                cmd.LeaseGrant(
                    reservation_id=g.reservation_id,
                    window=g.window,
                    tokens=g.tokens,
                    remaining=g.remaining,
                )
                for g in grants
            ]
        )

    return [await commands.serve(bus, LEASE_SUBJECT, cmd.LeaseRequest, lease, queue=QUEUE)]
