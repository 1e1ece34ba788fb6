"""hicap.runtime.http.CorkedTransport: what uvicorn writes within one loop turn (a
response's head, then its body) leaves in one send; a close sends what is pending first."""

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


async def test_writes_of_one_turn_leave_as_one_send_and_later_ones_as_another() -> None:
    raw = Recording()
    corked = CorkedTransport(raw, asyncio.get_running_loop())
    corked.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    corked.write(b"ok")
    assert raw.sends == []  # nothing leaves before the turn ends
    await asyncio.sleep(0)
    assert raw.sends == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    corked.write(b"next")
    await asyncio.sleep(0)
    assert raw.sends[1:] == [b"next"]


async def test_close_sends_what_is_pending_first_and_nothing_after() -> None:
    raw = Recording()
    corked = CorkedTransport(raw, asyncio.get_running_loop())
    corked.write(b"last words")
    corked.close()
    assert raw.sends == [b"last words"] and raw.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing to send
    assert raw.sends == [b"last words"]
    assert corked.get_extra_info("peername") == ("127.0.0.1", 1234)
