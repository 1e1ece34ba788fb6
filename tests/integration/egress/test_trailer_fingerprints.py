"""Every trailer egress sends carries the end user's and the system prompt's hashes (never
the values): a whole answer, a stream's trailer, the trailer of a stream that failed
midway, and count_tokens. Runs once per adapter against provider-sim."""

from __future__ import annotations

import pytest

from hicap.errors import UpstreamFailed
from hicap.events.egress import TRAILER, parse_frame
from hicap.events.v1 import egress_pb2
from hicap.provider_egress.fingerprints import end_user_hash, route_fingerprint
from tests.integration.egress.harness import Egress, anthropic_body, openai_body, raw

SYSTEM = "You are the conformance suite's terse assistant."
USER = "end-user-7"
ORG = "org-test"  # the harness's calls come from this org

pytestmark = pytest.mark.usefixtures("real_wire")  # the fake wire reads no user or system


def openai_tagged(*, stream: bool = False) -> dict[str, object]:
    body = openai_body(stream=stream, user=USER)
    body["messages"] = [{"role": "system", "content": SYSTEM}, *body["messages"]]  # type: ignore[misc]  # a list
    return body


def anthropic_tagged() -> dict[str, object]:
    return anthropic_body(system=SYSTEM, metadata={"user_id": USER})


def assert_tagged(trailer: egress_pb2.EgressTrailer | None) -> None:
    assert trailer is not None
    assert trailer.end_user_hash == end_user_hash(ORG, USER)
    assert trailer.route_fingerprint == route_fingerprint(SYSTEM)
    assert USER not in str(trailer) and SYSTEM not in str(trailer)


async def test_a_whole_answer_carries_both_hashes(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], openai_tagged()))
    assert_tagged(answer.trailer)


async def test_a_streams_trailer_carries_both_hashes(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], openai_tagged(stream=True)))
    assert_tagged(answer.trailer)


async def test_a_stream_that_fails_midway_still_carries_both_hashes(egress: Egress) -> None:
    frames: list[bytes] = []
    with pytest.raises(UpstreamFailed):
        async for frame in egress.frames(egress.call(["reset"], openai_tagged(stream=True))):
            frames.append(raw(frame))
    last = parse_frame(frames[-1])
    assert last.tag == TRAILER
    assert_tagged(egress_pb2.EgressTrailer.FromString(last.data))


async def test_anthropic_system_and_metadata_user_are_hashed_alike(egress: Egress) -> None:
    surface = egress_pb2.Surface.SURFACE_ANTHROPIC_MESSAGES
    answer = await egress.run(egress.call(["ok"], anthropic_tagged(), surface=surface))
    assert_tagged(answer.trailer)


async def test_count_tokens_carries_both_hashes(egress: Egress) -> None:
    surface = egress_pb2.Surface.SURFACE_ANTHROPIC_COUNT_TOKENS
    answer = await egress.run(egress.call(["ok"], anthropic_tagged(), surface=surface))
    assert_tagged(answer.trailer)


async def test_a_call_without_user_or_system_prompt_has_empty_hashes(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], openai_body()))
    assert answer.trailer is not None
    assert (answer.trailer.end_user_hash, answer.trailer.route_fingerprint) == ("", "")
