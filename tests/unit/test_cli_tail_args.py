"""Which streams `hicap events tail` reads for a `--stream` / `--subject`, and what it refuses."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest

from hicap.cli.tail import TailError, select_streams, tail_events
from hicap.events import Stream


def test_reads_every_stream_by_default() -> None:
    assert select_streams(None, None) == tuple(Stream)


def test_a_subject_of_one_domain_reads_only_that_stream() -> None:
    assert select_streams(None, "hicap.auth.key_issued.v1") == (Stream.AUTH,)
    assert select_streams(None, "hicap.usage.>") == (Stream.USAGE,)


def test_a_wildcard_across_domains_reads_every_stream_it_can_match() -> None:
    assert select_streams(None, "hicap.*.created.v1") == tuple(Stream)
    assert select_streams(None, ">") == tuple(Stream)


def test_a_stream_name_is_case_insensitive() -> None:
    assert select_streams("billing", None) == (Stream.BILLING,)


@pytest.mark.parametrize(
    ("stream", "subject", "message"),
    [
        ("nope", None, "unknown stream 'nope'; streams are AUTH"),
        (None, "hicap.egress.openai", "no stream stores subject 'hicap.egress.openai'"),
        ("usage", "hicap.auth.>", "no stream stores subject 'hicap.auth.>' \\(USAGE"),
        (None, "hicap.>.x", "invalid subject"),
        (None, "hicap..auth", "invalid subject"),
        (None, "hicap.a b", "invalid subject"),
    ],
)
def test_refuses_a_stream_or_subject_it_cannot_read(
    stream: str | None, subject: str | None, message: str
) -> None:
    with pytest.raises(TailError, match=message):
        select_streams(stream, subject)


async def test_refuses_from_start_with_since_before_connecting() -> None:
    with pytest.raises(TailError, match="either --from-start or --since"):
        await tail_events(
            "nats://127.0.0.1:1",
            stream=None,
            subject=None,
            from_start=True,
            since=timedelta(minutes=10),
            out=StringIO(),
        )
