"""A load generator that is not itself the bottleneck: raw HTTP/1.1 keep-alive on asyncio
protocols (uvloop), one connection per concurrent caller, the request's bytes built once.

The bench shares two cores between the load and what it measures, so every microsecond
the client spends per call is taken from the servers: aiohttp's client cost ~330 us of CPU
per call at concurrency 16, this one a fraction of that (the bench prints it as "load
generator" in the CPU per request). It speaks only what the bench needs: POST, answers with
a Content-Length (non-streamed JSON), keep-alive. A streamed answer is measured with
aiohttp instead (time to first token, at concurrency 1).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

__all__ = ["Answer", "Connection", "RawRequest"]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    head: bytes  # the status line and headers, lower-cased
    body: bytes

    def header(self, name: bytes) -> bytes:
        at = self.head.find(b"\r\n" + name + b":")
        if at < 0:
            return b""
        stop = self.head.find(b"\r\n", at + 2)
        return self.head[at + len(name) + 3 : stop if stop >= 0 else None].strip()


@dataclass(frozen=True, slots=True)
class RawRequest:
    host: str
    port: int
    data: bytes  # the whole request, head and body

    @classmethod
    def post(cls, url: str, headers: dict[str, str], body: bytes) -> RawRequest:
        parts = urlsplit(url)
        assert parts.hostname in ("127.0.0.1", "localhost"), "load tests target loopback only"
        lines = [f"POST {parts.path} HTTP/1.1", f"host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"content-length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        return cls(parts.hostname, parts.port or 80, head + body)


class Connection(asyncio.Protocol):
    """One keep-alive connection; `call()` sends the request and returns its `Answer`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Answer] | None = None
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(cls, host, port)
        return conn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is one by duck typing

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        answer = _take_answer(self.buffer)
        if answer is not None:
            waiter.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))

    async def call(self, request: RawRequest) -> Answer:
        assert self.transport is not None and not self.closed
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request.data)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _take_answer(buffer: bytearray) -> Answer | None:
    """The first whole answer in `buffer` (removed from it), or None while it is partial."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        raise ValueError("the load generator reads answers with a Content-Length only")
    stop = head.find(b"\r\n", at + 2)
    length = int(head[at + 17 : stop if stop >= 0 else len(head)])
    total = end + 4 + length
    if len(buffer) < total:
        return None
    answer = Answer(int(head[9:12]), head, bytes(buffer[end + 4 : total]))
    del buffer[:total]
    return answer
