"""An incremental Server-Sent Events parser over the byte chunks an upstream sends.

`SseParser.feed(chunk)` returns the events completed by that chunk, whatever the chunk
boundaries are (a line, a CRLF pair or a UTF-8 sequence may be split anywhere); `close()`
returns a last event the stream ended without its blank line (the SSE spec drops it, but a
provider that forgets the final blank line should not lose its last event). Lines end in
`\\n`, `\\r\\n` or `\\r`; `data:` lines of one event are joined with `\\n`; comments
(`:` lines) and `id:`/`retry:` fields are ignored; an event without data is not dispatched.
Pure: imports only the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SseEvent", "SseParser"]

_BOM = b"\xef\xbb\xbf"
_CR, _LF = 0x0D, 0x0A


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str  # the `event:` name; "" when the event had none
    data: bytes  # the `data:` lines joined with b"\n"


class SseParser:
    """Feed it byte chunks in order; it yields complete events."""

    __slots__ = ("_buf", "_data", "_event", "_has_data", "_started")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._has_data = False
        self._event = ""
        self._started = False

    def feed(self, chunk: bytes) -> list[SseEvent]:
        buf = self._buf + chunk if self._buf else chunk
        if not self._started:
            if len(buf) < len(_BOM) and _BOM.startswith(buf):
                self._buf = buf
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[len(_BOM) :]
        events: list[SseEvent] = []
        self._buf = buf[self._lines(buf, events) :]
        return events

    def close(self) -> list[SseEvent]:
        """End of stream: a pending line and a pending event without its blank line."""
        events: list[SseEvent] = []
        if self._buf:
            self._line(self._buf.rstrip(b"\r"), events)
            self._buf = b""
        self._dispatch(events)
        return events

    def _lines(self, buf: bytes, events: list[SseEvent]) -> int:
        """Parse every complete line of `buf`; return where the unfinished rest starts."""
        start, size = 0, len(buf)
        lf, cr = buf.find(b"\n"), buf.find(b"\r")
        while True:
            if lf != -1 and lf < start:
                lf = buf.find(b"\n", start)
            if cr != -1 and cr < start:
                cr = buf.find(b"\r", start)
            if cr != -1 and (lf == -1 or cr < lf):
                if cr + 1 == size:
                    return start  # a CR at the end may be half of a CRLF: wait
                end, nxt = cr, cr + (2 if buf[cr + 1] == _LF else 1)
            elif lf != -1:
                end, nxt = lf, lf + 1
            else:
                return start
            self._line(buf[start:end], events)
            start = nxt

    def _line(self, line: bytes, events: list[SseEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line[0] == 0x3A:  # ":" a comment (keep-alive)
            return
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
            self._has_data = True
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")

    def _dispatch(self, events: list[SseEvent]) -> None:
        if self._has_data:
            data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
            events.append(SseEvent(self._event, data))
        self._data = []
        self._has_data = False
        self._event = ""
