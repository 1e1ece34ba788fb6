"""Admission: which lane a call takes, decided from memory (no await, no I/O).

`admit` is synchronous: BYOK -> `byok`; a serving reservation of (org, model) whose balance
in the current window (tokens leased to this replica minus tokens charged) covers the
estimate -> charged, lane `reserved`; otherwise `on-demand` when the reservation allows
overflow (or there is none), else None: the caller then awaits `wait_for_room`, which waits
at most `wait_s` (200 ms) for a lease refill already asked for and raises RateLimited with
`retry_after_s` = seconds to the next window when none comes (a replica that just started,
or whose balance ran out a moment before its refill, does not refuse what the reservation
still has room for). The estimate (`estimate_tokens`) is the body's size over 4 bytes per
token (no tokenizer: JSON keys and quoting make it an overestimate for English text, the
safe side; `settle` corrects it) plus the request's output limit, else the configured
allowance. `settle(ticket, real_tokens, served_lane)` after the call gives the difference
back to (or takes it from) the ticket's window; a reserved ticket egress served on another
lane (a reserved deployment refused it) is refunded whole. The lease side (`wants`,
`apply`, `refill`, used by `lease_client.LeaseClient`): each account reports its demand
(tokens admitted plus tokens that did not fit) and asks for what keeps its balance at a
target of two lease intervals of that demand, and for the next window shortly before it
starts. Imports hicap.catalog, hicap.errors and the generated capacity commands only.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hicap.catalog import Reservation, Reservations
from hicap.errors import RateLimited
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.ingress.edge import BYOK, ON_DEMAND, RESERVED

__all__ = ["BYTES_PER_TOKEN", "MIN_CHUNK_TOKENS", "Admission", "Ticket", "estimate_tokens"]

BYTES_PER_TOKEN = 4
MIN_CHUNK_TOKENS = 256
WAIT_S = 0.2


def estimate_tokens(body_bytes: int, max_output_tokens: int | None, allowance: int) -> int:
    """Input tokens from the body's size (4 bytes a token) plus the output allowance."""
    return -(-body_bytes // BYTES_PER_TOKEN) + (max_output_tokens or allowance)


class _Window:
    """One window of one reservation as this replica sees it (working state)."""

    __slots__ = ("charged", "exhausted", "granted", "number", "spilled")

    def __init__(self, number: int) -> None:
        self.number = number
        self.granted = self.charged = self.spilled = 0
        self.exhausted = False  # the scheduler has nothing left in it: stop asking

    @property
    def balance(self) -> int:
        return self.granted - self.charged

    @property
    def demand(self) -> int:
        return self.charged + self.spilled


@dataclass(frozen=True, slots=True)
class Ticket:
    """What admission decided for one call, and what it charged where."""

    lane: str
    reservation: Reservation | None = None
    charged: int = 0
    window: _Window | None = None  # set on the reserved lane only


_BYOK, _OPEN = Ticket(BYOK), Ticket(ON_DEMAND)


class _Account:
    __slots__ = ("low_water", "reservation_id", "windows")

    def __init__(self, reservation_id: str) -> None:
        self.reservation_id = reservation_id
        self.windows: dict[int, _Window] = {}
        self.low_water = MIN_CHUNK_TOKENS // 2

    def window(self, number: int) -> _Window:
        win = self.windows.get(number)
        if win is None:
            win = self.windows[number] = _Window(number)
        return win

    def demand_rate(self, number: int, elapsed_s: float, window_s: float, floor_s: float) -> float:
        """Tokens per second wanted: this window's pace or the last one's, the higher."""
        prev, cur = self.windows.get(number - 1), self.windows.get(number)
        last = prev.demand / window_s if prev is not None else 0.0
        now = cur.demand / max(elapsed_s, floor_s) if cur is not None else 0.0
        return max(last, now)


class Admission:
    def __init__(
        self,
        reservations: Callable[[], Reservations],
        *,
        window_s: float,
        allowance_tokens: int,
        clock: Callable[[], float] = time.time,
        wait_s: float = WAIT_S,
        min_chunk: int = MIN_CHUNK_TOKENS,
    ) -> None:
        self._reservations, self.window_s, self.allowance = reservations, window_s, allowance_tokens
        self.clock, self.wait_s, self.min_chunk = clock, wait_s, min_chunk
        self.refill = asyncio.Event()  # set from the request path: the lease client wakes
        self._round = asyncio.Event()  # set (and replaced) after each lease round
        self._accounts: dict[str, _Account] = {}
        self._indexed: Reservations | None = None
        self._serving: dict[tuple[str, str], Reservation] = {}

    def estimate(self, body_bytes: int, max_output_tokens: int | None) -> int:
        return estimate_tokens(body_bytes, max_output_tokens, self.allowance)

    def reservation(self, org_id: str, model: str) -> Reservation | None:
        """The org's serving reservation of `model` (index rebuilt when the fold moves)."""
        state = self._reservations()
        if state is not self._indexed:
            self._serving = {(r.org_id, r.model): r for r in state.by_id.values() if r.serving}
            self._indexed = state
        return self._serving.get((org_id, model))

    def admit(self, org_id: str, model: str, estimate: int, *, byok: bool = False) -> Ticket | None:
        """The lane, charged; None: the reservation is used up and allows no overflow."""
        if byok:
            return _BYOK
        r = self.reservation(org_id, model)
        if r is None:
            return _OPEN
        account = self._accounts.get(r.id) or self._account(r.id)
        win = account.window(int(self.clock() // self.window_s))
        ticket = self._charge(r, account, win, estimate)
        if ticket is not None:
            return ticket
        win.spilled += estimate
        if not win.exhausted:
            self.refill.set()
        return Ticket(ON_DEMAND, r) if r.overflow else None

    async def wait_for_room(self, org_id: str, model: str, estimate: int) -> Ticket:
        """After `admit` said None: a refill within `wait_s`, else RateLimited."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while True:
            r = self.reservation(org_id, model)
            if r is None or r.overflow:  # it changed meanwhile
                return self.admit(org_id, model, estimate) or _OPEN
            account = self._accounts.get(r.id) or self._account(r.id)
            now = self.clock()
            win = account.window(int(now // self.window_s))
            ticket = self._charge(r, account, win, estimate)
            if ticket is not None:
                return ticket
            left = deadline - loop.time()
            if win.exhausted or left <= 0:
                raise self._refusal(model, now)
            self.refill.set()
            try:
                await asyncio.wait_for(self._round.wait(), left)
            except TimeoutError:
                raise self._refusal(model, now) from None

    def settle(self, ticket: Ticket, real_tokens: int, served_lane: str) -> None:
        """The real usage replaces the estimate; served elsewhere, the estimate comes back."""
        win = ticket.window
        if win is None:
            return
        if served_lane == RESERVED:
            win.charged += real_tokens - ticket.charged
        else:
            win.charged -= ticket.charged

    def _charge(
        self, r: Reservation, account: _Account, win: _Window, estimate: int
    ) -> Ticket | None:
        if win.balance < estimate:
            return None
        win.charged += estimate
        if win.balance < account.low_water:
            self.refill.set()
        return Ticket(RESERVED, r, estimate, win)

    def _account(self, reservation_id: str) -> _Account:
        account = self._accounts[reservation_id] = _Account(reservation_id)
        return account

    def _refusal(self, model: str, now: float) -> RateLimited:
        wait_s = (math.floor(now / self.window_s) + 1) * self.window_s - now
        return RateLimited(
            f"the reservation of `{model}` is used up in this window and allows no overflow; "
            f"it has room again in {math.ceil(wait_s)}s",
            retry_after_s=wait_s,
        )

    def wants(self, now: float, *, horizon_s: float, prefetch_s: float) -> list[cmd.LeaseWant]:
        """What to ask the scheduler for: the window in progress and, near its end, the next."""
        number = math.floor(now / self.window_s)
        elapsed_s = now - number * self.window_s
        wants: list[cmd.LeaseWant] = []
        for account in list(self._accounts.values()):
            if _idle(account, number):  # nothing wanted in the last window or this one
                del self._accounts[account.reservation_id]
                continue
            rate = account.demand_rate(number, elapsed_s, self.window_s, horizon_s / 2)
            target = max(self.min_chunk, math.ceil(rate * horizon_s))
            account.low_water = target // 2
            windows = [number] if self.window_s - elapsed_s > prefetch_s else [number, number + 1]
            wants.extend(self._wants_of(account, windows, target))
        return wants

    def _wants_of(
        self, account: _Account, numbers: Iterable[int], target: int
    ) -> Iterable[cmd.LeaseWant]:
        for number in numbers:
            win = account.window(number)
            if not win.exhausted and win.balance < target:
                yield cmd.LeaseWant(
                    reservation_id=account.reservation_id,
                    window=number,
                    tokens=target - win.balance,
                    used=win.demand,
                    held=win.granted,
                )

    def apply(self, grants: Iterable[cmd.LeaseGrant]) -> None:
        """Add what the scheduler granted; wake calls waiting for room."""
        for g in grants:
            account = self._accounts.get(g.reservation_id)
            win = account.windows.get(int(g.window)) if account is not None else None
            if win is not None:
                win.granted += int(g.tokens)
                win.exhausted = g.remaining <= 0
        self.round_done()

    def round_done(self) -> None:
        self._round.set()
        self._round = asyncio.Event()

    def balance(self, reservation_id: str) -> int:
        """This replica's balance in the window in progress (0 without an account)."""
        account = self._accounts.get(reservation_id)
        if account is None:
            return 0
        win = account.windows.get(int(self.clock() // self.window_s))
        return win.balance if win is not None else 0


def _idle(account: _Account, number: int) -> bool:
    """Forget windows before the last one; idle when what is left saw no demand."""
    for old in [n for n in account.windows if n < number - 1]:
        del account.windows[old]
    return all(w.demand == 0 for n, w in account.windows.items() if n <= number)
