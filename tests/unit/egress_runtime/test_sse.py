"""The SSE parser yields the same events however the upstream's bytes are chunked."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from hicap.provider_egress.sse import SseEvent, SseParser


def parse(*chunks: bytes) -> list[SseEvent]:
    parser = SseParser()
    events = [e for chunk in chunks for e in parser.feed(chunk)]
    return events + parser.close()


def test_openai_style_data_events_and_done() -> None:
    stream = b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n'
    assert parse(stream) == [
        SseEvent("", b'{"a":1}'),
        SseEvent("", b'{"b":2}'),
        SseEvent("", b"[DONE]"),
    ]


def test_named_events_with_crlf_line_ends() -> None:
    stream = b"event: message_start\r\ndata: {}\r\n\r\nevent: ping\r\ndata: {}\r\n\r\n"
    assert parse(stream) == [SseEvent("message_start", b"{}"), SseEvent("ping", b"{}")]


def test_bare_cr_line_ends() -> None:
    assert parse(b"event: x\rdata: 1\r\r") == [SseEvent("x", b"1")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert parse(b"data: one\ndata: two\ndata:three\n\n") == [SseEvent("", b"one\ntwo\nthree")]


def test_comments_ids_and_retry_are_ignored() -> None:
    stream = b": keep-alive\n\nid: 7\nretry: 100\ndata: x\n\n: another\n"
    assert parse(stream) == [SseEvent("", b"x")]


def test_event_name_does_not_leak_into_the_next_event() -> None:
    assert parse(b"event: a\ndata: 1\n\ndata: 2\n\n") == [SseEvent("a", b"1"), SseEvent("", b"2")]


def test_an_event_without_data_is_not_dispatched() -> None:
    assert parse(b"event: lonely\n\ndata: 1\n\n") == [SseEvent("", b"1")]


def test_a_last_event_without_its_blank_line_is_kept_at_close() -> None:
    assert parse(b"data: 1\n\ndata: last") == [SseEvent("", b"1"), SseEvent("", b"last")]


def test_a_leading_byte_order_mark_is_skipped_even_when_split() -> None:
    assert parse(b"\xef", b"\xbb\xbfdata: 1\n\n") == [SseEvent("", b"1")]


def test_field_without_colon_space_keeps_value_spaces() -> None:
    assert parse(b"data:  two spaces\n\n") == [SseEvent("", b" two spaces")]


_line_end = st.sampled_from([b"\n", b"\r\n", b"\r"])
_value = st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b)
_line = st.one_of(
    st.tuples(st.just(b"data: "), _value),
    st.tuples(st.just(b"event: "), st.text(alphabet="abc_", max_size=8).map(str.encode)),
    st.tuples(st.just(b": "), _value),
    st.tuples(st.just(b""), st.just(b"")),
).map(lambda t: t[0] + t[1])


@st.composite
def streams_and_splits(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    lines = draw(st.lists(st.tuples(_line, _line_end), max_size=30))
    stream = b"".join(line + end for line, end in lines)
    cuts = draw(st.lists(st.integers(0, len(stream)), max_size=12))
    return stream, sorted(cuts)


@given(streams_and_splits())
def test_any_split_of_the_bytes_gives_the_same_events(case: tuple[bytes, list[int]]) -> None:
    stream, cuts = case
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in pairwise(bounds)]
    assert parse(*chunks) == parse(stream)


@given(streams_and_splits())
def test_byte_at_a_time_gives_the_same_events(case: tuple[bytes, list[int]]) -> None:
    stream, _ = case
    assert parse(*(stream[i : i + 1] for i in range(len(stream)))) == parse(stream)
