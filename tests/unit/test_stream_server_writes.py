"""When a stream server's frames leave (`hicap.bus.hotpath`): a turn's frames together at
its end; an `Urgent` frame (a stream's first token) and what came before it at once; a
`Last` frame (a whole answer) at once with the end frame, and the handler is closed. "At
once" only for a call alone in flight: with others, the turn's one write carries them all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from hicap.bus import Last, StreamRequest, StreamServer, Urgent
from hicap.bus.wire import WireMsg


class RecordingWire:
    """What the server asks of its connection, in order: `d0` (a data frame, seq 0),
    `e2` (the end frame, seq 2), `now` (a write at once)."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.callbacks: dict[str, Callable[[WireMsg], None]] = {}

    def subscribe(self, subject: str, callback: Callable[[WireMsg], None], **_: object) -> int:
        self.callbacks[subject] = callback
        return len(self.callbacks)

    def publish(self, subject: str, payload: bytes, **_: object) -> None:
        self.log.append(f"{chr(payload[0])}{int.from_bytes(payload[1:5], 'big')}")

    def send_now(self) -> None:
        self.log.append("now")

    async def flush(self) -> None:
        pass

    def unsubscribe(self, sid: int) -> None:
        pass


class OneWireBus:
    def __init__(self, wire: RecordingWire) -> None:
        self.wire = wire

    async def hot_wire(self) -> RecordingWire:
        return self.wire


async def served(
    handler: Callable[[StreamRequest], AsyncIterator[bytes | Urgent | Last]], calls: int = 1
) -> list[str]:
    wire = RecordingWire()
    server = await StreamServer(OneWireBus(wire), "s", handler, queue="q").start()  # type: ignore[arg-type]
    for n in range(calls):
        wire.callbacks["s"](WireMsg("s", f"_INBOX.x.call-{n}", b""))
    await asyncio.sleep(0.05)
    await server.stop(grace_s=1)
    return wire.log


async def test_an_urgent_frame_leaves_at_once_with_the_ones_before_it() -> None:
    async def handler(_: StreamRequest) -> AsyncIterator[bytes | Urgent | Last]:
        yield b"head"
        yield Urgent(b"first token")
        yield b"more"

    assert await served(handler) == ["d0", "d1", "now", "d2", "e3"]


async def test_a_last_frame_leaves_at_once_with_the_end_and_nothing_follows() -> None:
    resumed: list[bool] = []

    async def handler(_: StreamRequest) -> AsyncIterator[bytes | Urgent | Last]:
        yield Last(b"whole answer")
        resumed.append(True)
        yield b"never"

    assert await served(handler) == ["d0", "e1", "now"]
    assert not resumed


async def test_with_other_calls_in_flight_frames_wait_for_the_turns_one_write() -> None:
    async def handler(_: StreamRequest) -> AsyncIterator[bytes | Urgent | Last]:
        await asyncio.sleep(0.01)  # both calls are in flight when they answer
        yield Last(b"whole answer")

    log = await served(handler, calls=2)
    assert log.count("d0") == 2 and log.count("now") <= 1  # the first to answer did not write alone
