"""hicap.runtime.http.CorkedTransport: a write waits for the next one (a response's head
for its body) or the end of the loop turn, and the two leave in one send; a close sends
what is pending first."""

from __future__ import annotations

import asyncio

from hicap.runtime.http import CorkedTransport


class Recording(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.sends: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after close"
        self.sends.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": ("127.0.0.1", 1234)}.get(name, default)


async def test_a_head_and_its_body_leave_as_one_send_as_soon_as_the_body_is_written() -> None:
    raw = Recording()
    corked = CorkedTransport(raw, asyncio.get_running_loop())
    corked.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert raw.sends == []  # the head waits for what follows it
    corked.write(b"ok")
    assert raw.sends == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]  # at once
    await asyncio.sleep(0)
    assert len(raw.sends) == 1


async def test_a_lone_write_leaves_at_the_end_of_the_turn() -> None:
    raw = Recording()
    corked = CorkedTransport(raw, asyncio.get_running_loop())
    corked.write(b"data: first chunk\n\n")
    assert raw.sends == []
    await asyncio.sleep(0)
    assert raw.sends == [b"data: first chunk\n\n"]
    corked.write(b"a")
    corked.write(b"b")
    corked.write(b"c")  # pairs go together; the odd one out waits for the turn's end
    assert raw.sends[1:] == [b"ab"]
    await asyncio.sleep(0)
    assert raw.sends[1:] == [b"ab", b"c"]


async def test_close_sends_what_is_pending_first_and_nothing_after() -> None:
    raw = Recording()
    corked = CorkedTransport(raw, asyncio.get_running_loop())
    corked.write(b"last words")
    corked.close()
    assert raw.sends == [b"last words"] and raw.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing to send
    assert raw.sends == [b"last words"]
    assert corked.get_extra_info("peername") == ("127.0.0.1", 1234)
