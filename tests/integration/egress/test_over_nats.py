"""provider-egress over real NATS: StreamClient -> StreamServer(handler) -> provider-sim,
once per adapter; and a caller that goes away cancels the upstream request."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing

import pytest

from hicap.bus import Bus, StreamClient, StreamServer
from hicap.errors import Unauthenticated, UpstreamFailed
from hicap.events.egress import HEAD, egress_subject, parse_frame
from tests.asserts import assert_eventually
from tests.integration.egress.harness import BAD_KEY, Egress, collect, openai_body


@pytest.fixture
async def client(bus: Bus, egress: Egress) -> AsyncIterator[StreamClient]:
    server = StreamServer(
        bus, egress_subject(egress.profile.kind), egress.handler, queue="provider-egress"
    )
    await server.start()
    stream_client = await StreamClient(bus).start()
    yield stream_client
    await stream_client.stop()
    await server.stop()


async def test_a_streamed_call_crosses_nats_as_head_body_trailer(
    client: StreamClient, egress: Egress
) -> None:
    subject = egress_subject(egress.profile.kind)
    call = egress.call(["ok"], openai_body(stream=True))
    answer = await collect(client.stream(subject, call.SerializeToString()))
    assert answer.head.deployment == egress.dep("ok")
    assert answer.events()[-1].data == b"[DONE]"
    assert answer.trailer is not None and answer.trailer.output_tokens > 0


async def test_an_upstream_refusal_crosses_nats_as_its_error(
    client: StreamClient, egress: Egress
) -> None:
    subject = egress_subject(egress.profile.kind)
    call = egress.call(["ok"], openai_body(), provider_key=BAD_KEY)  # BYOK, refused
    with pytest.raises(Unauthenticated):
        await collect(client.stream(subject, call.SerializeToString()))
    call = egress.call(["badkey"], openai_body())  # Hicap's own credential, refused
    with pytest.raises(UpstreamFailed):
        await collect(client.stream(subject, call.SerializeToString()))


async def test_closing_the_client_stream_cancels_the_upstream_request(
    client: StreamClient, egress: Egress
) -> None:
    subject = egress_subject(egress.profile.kind)
    call = egress.call(["dribble"], openai_body(stream=True))
    stream = client.stream(subject, call.SerializeToString())
    assert isinstance(stream, AsyncGenerator)
    async with aclosing(stream) as frames:
        async for raw in frames:
            assert parse_frame(raw).tag == HEAD
            break  # the caller goes away after the head; the upstream still has seconds to go

    def upstream_call_ended() -> None:
        assert egress.handler.in_flight == 0

    await assert_eventually(upstream_call_ended, timeout=2.0)
    # The pool holds one connection: had the upstream response stayed open, this would block.
    answer = await collect(egress.frames(egress.call(["ok"], openai_body())))
    assert answer.head.status == 200
