"""A body larger than max_body_bytes is refused by its Content-Length before a byte is
read, or as soon as the bytes that arrived pass the limit; the body is parsed only for
`model` and `stream`."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.types import Message

from hicap.errors import InvalidRequest, PayloadTooLarge
from hicap.ingress.body import RequestHead, parse_head, read_body


class Chunks:
    """An ASGI receive that hands out chunks and counts what it handed out."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.read = chunks, 0

    async def __call__(self) -> Message:
        chunk = self.chunks[self.read]
        self.read += 1
        return {"type": "http.request", "body": chunk, "more_body": self.read < len(self.chunks)}


def request(receive: Chunks, content_length: int | None = None) -> Request:
    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    return Request(scope, receive)


async def test_a_body_within_the_limit_is_read_whole() -> None:
    receive = Chunks([b'{"model":', b'"m"}'])
    assert await read_body(request(receive), 100) == b'{"model":"m"}'


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    receive = Chunks([b"x" * 10])
    with pytest.raises(PayloadTooLarge):
        await read_body(request(receive, content_length=50 * 1024 * 1024), 1024)
    assert receive.read == 0


async def test_an_undeclared_stream_is_refused_once_it_passes_the_limit() -> None:
    receive = Chunks([b"x" * 600] * 1000)  # 600 kB, chunked
    with pytest.raises(PayloadTooLarge):
        await read_body(request(receive), 1024)
    assert receive.read == 2


def test_model_and_stream_are_read() -> None:
    assert parse_head(b'{"model":"gpt-4.1","stream":true,"x":[1]}') == RequestHead("gpt-4.1", True)
    assert parse_head(b'{"model":"gpt-4.1","stream":"yes"}') == RequestHead("gpt-4.1", False)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "JSON"),
        (b'{"model": "\xff"}', "JSON"),
        (b"[1, 2]", "object"),
        (b'"text"', "object"),
        (b"{}", "model"),
        (b'{"model": 5}', "model"),
        (b'{"model": ""}', "model"),
    ],
)
def test_a_body_that_is_not_an_object_with_a_model_is_a_bad_request(body: bytes, says: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_head(body)
    assert says in caught.value.message
    assert not isinstance(caught.value, PayloadTooLarge)
