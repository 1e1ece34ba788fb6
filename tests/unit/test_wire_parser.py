"""The hot path's NATS parser (`hicap.bus.wire`): whatever way TCP cuts the server's
bytes, every message arrives whole and once, in order, and PINGs are answered."""

from __future__ import annotations

import asyncio

import pytest

from hicap.bus.wire import Wire, WireMsg, _Connection


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""

    def writelines(self, data: object) -> None:
        self.written += b"".join(data)  # type: ignore[arg-type]

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def abort(self) -> None:
        raise AssertionError("the parser gave up on valid input")


BIG = bytes(range(256)) * 40  # over the parser's 4 KiB "long message" threshold
TRACE = b"NATS/1.0\r\ntraceparent: 00-1\r\n\r\n"
# What the server sends, each piece with the message it completes (None: not a message).
PIECES: list[tuple[bytes, WireMsg | None]] = [
    (b"MSG a.b 1 4\r\nabcd\r\n", WireMsg("a.b", "", b"abcd")),
    (b"MSG a.c 1 _INBOX.x.1 0\r\n\r\n", WireMsg("a.c", "_INBOX.x.1", b"")),
    (b"PING\r\n", None),
    (
        b"HMSG _INBOX.x.2 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
        WireMsg("_INBOX.x.2", "", b"", {"Status": "503"}),
    ),
    (
        b"HMSG a.d 1 r.9 %d %d\r\n%shello\r\n" % (len(TRACE), len(TRACE) + 5, TRACE),
        WireMsg("a.d", "r.9", b"hello", {"traceparent": "00-1"}),
    ),
    (b"MSG big 1 %d\r\n%s\r\n" % (len(BIG), BIG), WireMsg("big", "", BIG)),
    (b"+OK\r\n", None),
    (b'INFO {"max_payload": 2048}\r\n', None),
    (b"MSG a.e 1 2\r\n\r\n\r\n", WireMsg("a.e", "", b"\r\n")),  # a CRLF payload
    (b"MSG last.big 1 %d\r\n%s\r\n" % (len(BIG), BIG), WireMsg("last.big", "", BIG)),
]
SERVER_BYTES = b"".join(piece for piece, _ in PIECES)


def _complete_within(n: int) -> list[WireMsg]:
    """The messages whose every byte is among the first `n`."""
    done, end = [], 0
    for piece, msg in PIECES:
        end += len(piece)
        if end <= n and msg is not None:
            done.append(msg)
    return done


@pytest.mark.parametrize("cut", [1, 2, 3, 5, 13, 100, 4095, 4096, 4097, len(SERVER_BYTES)])
async def test_messages_arrive_whole_however_the_bytes_are_cut(cut: int) -> None:
    wire = Wire(["nats://127.0.0.1:1"], name="t")
    got: list[WireMsg] = []
    wire.subscribe(">", got.append)
    conn = _Connection(wire)
    transport = _Transport()
    conn.connection_made(transport)
    conn.data_received(b'INFO {"max_payload": 1048576}\r\n')
    conn.data_received(b"PONG\r\n")  # the handshake's
    await conn.ready()
    for at in range(0, len(SERVER_BYTES), cut):
        conn.data_received(SERVER_BYTES[at : at + cut])
        assert got == _complete_within(at + cut)  # each as soon as it is whole, never twice
    await asyncio.sleep(0)  # writes leave at the end of the loop turn
    assert transport.written == b"PONG\r\n"
    assert wire.max_payload == 2048  # a later INFO updates the limit


async def test_what_is_not_the_protocol_drops_the_connection() -> None:
    wire = Wire(["nats://127.0.0.1:1"], name="t")
    conn = _Connection(wire)
    aborted: list[bool] = []
    transport = _Transport()
    transport.abort = lambda: aborted.append(True)  # type: ignore[method-assign]
    conn.connection_made(transport)
    conn.data_received(b"HTTP/1.1 400 Bad Request\r\n")
    conn.data_received(b"MSG a.b one 4\r\n")  # a sid that is not a number
    assert aborted == [True, True]


async def test_a_turns_publishes_leave_in_one_write_at_its_end_or_at_once_when_asked() -> None:
    wire = Wire(["nats://127.0.0.1:1"], name="t")
    conn = _Connection(wire)
    transport = _Transport()
    writes: list[bytes] = []
    transport.writelines = lambda data: writes.append(b"".join(data))  # type: ignore[method-assign]
    conn.connection_made(transport)
    wire._conn = conn  # connected, as `start` leaves it
    wire.publish("a", b"1")
    wire.publish("b", b"2")
    assert writes == []  # corked until the turn ends
    await asyncio.sleep(0)
    assert writes == [b"PUB a 1\r\n1\r\nPUB b 1\r\n2\r\n"]
    wire.publish("c", b"3", reply="r")
    wire.send_now()
    assert writes[1:] == [b"PUB c r 1\r\n3\r\n"]  # before the turn ends
    await asyncio.sleep(0)
    assert len(writes) == 2  # nothing left for the turn's end to write


async def test_those_told_of_a_lost_connection_are_told_until_they_stop_listening() -> None:
    wire = Wire(["nats://127.0.0.1:1"], name="t")
    conn = _Connection(wire)
    conn.connection_made(_Transport())
    wire._conn = conn  # connected, as `start` leaves it
    told: list[str] = []
    wire.on_lost(lambda why: told.append(f"stays: {why}"))
    stop = wire.on_lost(lambda why: told.append(f"left: {why}"))
    stop()
    conn.connection_lost(None)  # the server closed it
    await wire.close()  # stops reconnecting
    assert told == ["stays: the connection to NATS was lost (closed by the server)"]
