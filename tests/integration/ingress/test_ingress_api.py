"""Ingress over the real bus: keys from auth's events, a fake provider-egress answering
with frames the test controls, the app on a real uvicorn. What a caller of the OpenAI and
Anthropic APIs notices: statuses, bodies, error shapes, stream events, headers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from hicap.bus import Bus
from hicap.events import Stream, decode, egress_pb2, usage_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.events.v1.usage_pb2 import LANE_BYOK, LANE_ON_DEMAND
from tests.asserts import assert_eventually
from tests.integration.ingress.harness import (
    EVENTS,
    JSON_PARTS,
    MAX_BODY_BYTES,
    Platform,
    running_platform,
)

CHAT = "/v1/chat/completions"
MESSAGES = "/v1/messages"
ANTHROPIC_VERSION = {"anthropic-version": "2023-06-01"}


@pytest.fixture
async def platform(bus: Bus) -> AsyncIterator[Platform]:
    async with running_platform(bus) as running:
        yield running


@pytest.fixture
async def org(platform: Platform) -> cmd.CreateOrgReply:
    return await platform.new_org()


@pytest.fixture
async def client(platform: Platform, org: cmd.CreateOrgReply) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {org.owner_key.key}"}
    async with httpx.AsyncClient(base_url=platform.base_url, headers=headers) as c:
        yield c


def body(model: str, **more: object) -> bytes:
    return orjson.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}], **more})


def assert_edge_headers(response: httpx.Response, lane: str = "on-demand") -> None:
    assert uuid.UUID(response.headers["x-request-id"]).version == 7
    assert response.headers["x-hicap-lane"] == lane


def openai_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert_edge_headers(response)
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error  # type: ignore[no-any-return]


def anthropic_error(response: httpx.Response, status: int, error_type: str) -> str:
    assert response.status_code == status, response.text
    assert_edge_headers(response)
    payload = response.json()
    assert payload["type"] == "error" and payload["error"]["type"] == error_type
    return payload["error"]["message"]  # type: ignore[no-any-return]


# -- answers --------------------------------------------------------------------------


async def test_a_completion_is_relayed_whole_with_the_call_built_from_the_request(
    platform: Platform, client: httpx.AsyncClient, org: cmd.CreateOrgReply
) -> None:
    sent = body("m-json")
    response = await client.post(CHAT, content=sent, headers={"x-request-id": "mine-1"})
    assert response.status_code == 200
    assert response.content == b"".join(JSON_PARTS)
    assert response.headers["content-type"] == "application/json"
    assert_edge_headers(response)
    assert response.headers["x-client-request-id"] == "mine-1"
    call = platform.egress.calls[-1]
    assert call.request_id == response.headers["x-request-id"]
    assert (call.org_id, call.model, call.body) == (org.org_id, "m-json", sent)
    assert call.surface == egress_pb2.SURFACE_OPENAI_CHAT
    assert [t.deployment for t in call.targets] == ["m-json-a", "m-json-b"]
    assert call.targets[0].upstream_model == "up-m-json"
    assert call.provider_key == "" and call.deadline_s > 0
    record = platform.completed[-1]
    assert record.trailer is not None and record.trailer.output_tokens == 5


async def test_a_whole_answer_in_one_frame_is_relayed_and_recorded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    response = await client.post(CHAT, content=body("m-answer"))
    assert response.status_code == 200
    assert response.content == b"".join(JSON_PARTS)
    assert_edge_headers(response)
    record = platform.completed[-1]
    assert record.trailer is not None
    assert (record.trailer.input_tokens, record.trailer.finish_reason) == (7, "length")
    assert platform.egress.calls[-1].model == "m-answer"


async def test_a_stream_is_relayed_event_by_event(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    async with client.stream("POST", CHAT, content=body("m-stream", stream=True)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert_edge_headers(response)
        received = b"".join([chunk async for chunk in response.aiter_raw()])
    assert received == b"".join(EVENTS)
    await assert_eventually(lambda: platform.completed[-1].trailer is not None)


async def test_anthropic_messages_and_count_tokens_reach_egress_as_their_surface(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    response = await client.post(MESSAGES, content=body("m-json", max_tokens=5))
    assert response.status_code == 200 and response.content == b"".join(JSON_PARTS)
    response = await client.post(f"{MESSAGES}/count_tokens", content=body("m-json"))
    assert response.status_code == 200
    surfaces = [c.surface for c in platform.egress.calls[-2:]]
    assert surfaces == [
        egress_pb2.SURFACE_ANTHROPIC_MESSAGES,
        egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS,
    ]


async def test_the_anthropic_sdks_x_api_key_header_is_accepted(
    platform: Platform, org: cmd.CreateOrgReply
) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url) as c:
        response = await c.post(
            MESSAGES, content=body("m-json"), headers={"x-api-key": org.owner_key.key}
        )
    assert response.status_code == 200


# -- errors from egress ---------------------------------------------------------------


async def test_an_error_before_the_head_is_a_status_in_each_surfaces_shape(
    client: httpx.AsyncClient,
) -> None:
    error = openai_error(await client.post(CHAT, content=body("m-invalid")), 400)
    assert error["type"] == "invalid_request_error"
    assert "messages" in str(error["message"])
    response = await client.post(MESSAGES, content=body("m-invalid"))
    assert "messages" in anthropic_error(response, 400, "invalid_request_error")


async def test_a_rate_limit_is_429_with_retry_after_in_both_surfaces(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(CHAT, content=body("m-rate-limited"))
    assert openai_error(response, 429)["code"] == "rate_limit_exceeded"
    assert response.headers["retry-after"] == "3"
    response = await client.post(MESSAGES, content=body("m-rate-limited"))
    anthropic_error(response, 429, "rate_limit_error")
    assert response.headers["retry-after"] == "3"


async def test_an_error_mid_stream_ends_it_with_the_surfaces_error_event(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    response = await client.post(CHAT, content=body("m-fail-mid", stream=True))
    assert response.status_code == 200
    first, error = response.content.split(b"\n\n", 1)
    assert first + b"\n\n" == EVENTS[0]
    assert error.startswith(b"data: ") and error.endswith(b"\n\n")
    assert orjson.loads(error[6:])["error"]["message"] == "the provider is overloaded"
    record = platform.completed[-1]  # what was streamed before the failure is recorded
    assert record.trailer is not None
    assert (record.trailer.output_tokens, record.trailer.error_code) == (4, "unavailable")
    response = await client.post(MESSAGES, content=body("m-fail-mid", stream=True))
    tail = response.content.split(b"\n\n")[1]
    event, data = tail.split(b"\n")
    assert event == b"event: error"
    assert orjson.loads(data[6:])["error"] == {
        "type": "overloaded_error",
        "message": "the provider is overloaded",
    }


async def test_a_client_that_goes_away_mid_stream_cancels_the_upstream_call(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    async with client.stream("POST", CHAT, content=body("m-hang", stream=True)) as response:
        async for chunk in response.aiter_raw():
            assert chunk == EVENTS[0]
            break
    await assert_eventually(platform.egress.cancelled.is_set, timeout=5)
    await assert_eventually(lambda: platform.completed[-1].trailer is None)


# -- refusals -------------------------------------------------------------------------


async def test_no_key_a_bad_key_or_a_key_in_the_url_is_401_in_both_shapes(
    platform: Platform, org: cmd.CreateOrgReply
) -> None:
    key = org.owner_key.key
    async with httpx.AsyncClient(base_url=platform.base_url) as c:
        error = openai_error(await c.post(CHAT, content=body("m-json")), 401)
        assert error["code"] == "invalid_api_key"
        bad = {"authorization": "Bearer hk_live_" + "a" * 38}
        openai_error(await c.post(CHAT, content=body("m-json"), headers=bad), 401)
        in_url = await c.post(f"{CHAT}?api_key={key}", content=body("m-json"))
        assert "header" in str(openai_error(in_url, 401)["message"])
        assert key not in in_url.text
        response = await c.post(MESSAGES, content=body("m-json"), headers=bad)
        anthropic_error(response, 401, "authentication_error")


async def test_a_model_outside_the_keys_list_is_403_and_an_unknown_one_404(
    platform: Platform, org: cmd.CreateOrgReply, client: httpx.AsyncClient
) -> None:
    restricted = await platform.issue_key(org, ["m-json"])
    only = {"authorization": f"Bearer {restricted.key}"}
    assert (await client.post(CHAT, content=body("m-json"), headers=only)).status_code == 200
    openai_error(await client.post(CHAT, content=body("m-stream"), headers=only), 403)
    response = await client.post(MESSAGES, content=body("m-stream"), headers=only)
    anthropic_error(response, 403, "permission_error")
    error = openai_error(await client.post(CHAT, content=body("no-such-model")), 404)
    assert error["code"] == "model_not_found"
    anthropic_error(await client.post(MESSAGES, content=body("nope")), 404, "not_found_error")


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"model": "\xff\xfe"}', b"[1]", b'{"messages": []}']
)
async def test_a_body_that_is_not_a_json_object_with_a_model_is_400(
    client: httpx.AsyncClient, content: bytes
) -> None:
    openai_error(await client.post(CHAT, content=content), 400)
    anthropic_error(await client.post(MESSAGES, content=content), 400, "invalid_request_error")


async def test_a_body_over_the_limit_is_413_declared_or_streamed(
    client: httpx.AsyncClient,
) -> None:
    big = b'{"model":"m-json","pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    error = openai_error(await client.post(CHAT, content=big), 413)
    assert error["type"] == "invalid_request_error"

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"x" * (MAX_BODY_BYTES // 4)

    response = await client.post(MESSAGES, content=chunked())
    anthropic_error(response, 413, "request_too_large")


async def test_a_revoked_key_is_refused_within_one_second(
    platform: Platform, org: cmd.CreateOrgReply
) -> None:
    issued = await platform.issue_key(org, [])
    headers = {"authorization": f"Bearer {issued.key}"}
    async with httpx.AsyncClient(base_url=platform.base_url, headers=headers) as c:
        assert (await c.get("/v1/models")).status_code == 200
        await platform.revoke(org, issued.key_id)

        async def refused() -> bool:
            return (await c.get("/v1/models")).status_code == 401

        await assert_eventually(refused, timeout=1.0, interval=0.01)


# -- BYOK, headers, models ------------------------------------------------------------


async def test_byok_takes_its_lane_and_the_provider_key_reaches_egress_but_no_log(
    platform: Platform, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider_key = f"sk-customer-{uuid.uuid4().hex}"
    headers = {"x-provider-key": provider_key}
    response = await client.post(CHAT, content=body("m-json"), headers=headers)
    assert response.status_code == 200
    assert_edge_headers(response, lane="byok")
    assert platform.egress.calls[-1].provider_key == provider_key
    stream = await client.post(CHAT, content=body("m-fail-mid", stream=True), headers=headers)
    assert_edge_headers(stream, lane="byok")
    assert caplog.records, "the request path logs at DEBUG; the check below must see them"
    for record in caplog.records:
        assert provider_key not in repr(record.__dict__)
        assert client.headers["authorization"][7:] not in repr(record.__dict__)


async def test_every_response_carries_the_request_id_and_lane(
    client: httpx.AsyncClient,
) -> None:
    for response in [
        await client.get("/healthz"),
        await client.get("/no/such/route"),
        await client.get(CHAT),
        await client.post(CHAT, content=b"{"),
    ]:
        assert_edge_headers(response)
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


async def test_models_lists_what_the_key_may_use_in_each_sdks_shape(
    platform: Platform, org: cmd.CreateOrgReply, client: httpx.AsyncClient
) -> None:
    listed = (await client.get("/v1/models")).json()
    assert listed["object"] == "list"
    assert {m["id"] for m in listed["data"]} >= {"m-json", "m-stream"}
    assert all(m["object"] == "model" and "created" in m for m in listed["data"])
    restricted = await platform.issue_key(org, ["m-json"])
    only = {"authorization": f"Bearer {restricted.key}"}
    assert [m["id"] for m in (await client.get("/v1/models", headers=only)).json()["data"]] == [
        "m-json"
    ]
    anthropic = (await client.get("/v1/models", headers={**only, **ANTHROPIC_VERSION})).json()
    assert anthropic["data"][0]["type"] == "model"
    assert (anthropic["has_more"], anthropic["first_id"], anthropic["last_id"]) == (
        False,
        "m-json",
        "m-json",
    )
    one = (await client.get("/v1/models/m-json", headers=only)).json()
    assert (one["id"], one["object"]) == ("m-json", "model")
    openai_error(await client.get("/v1/models/m-stream", headers=only), 404)


# -- usage ----------------------------------------------------------------------------


async def usage_of(platform: Platform, org_id: str) -> list[usage_pb2.UsageRecorded]:
    """Every usage record of one org on the USAGE stream (ingress publishes them in
    UsageRecordedBatch messages), once the publisher is idle."""
    assert await platform.usage.flush(timeout_s=10) == 0
    out = []
    info = await platform.bus.js.stream_info(Stream.USAGE.value)
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        event = decode((await platform.bus.js.get_msg(Stream.USAGE.value, seq)).data or b"")
        if isinstance(event.payload, usage_pb2.UsageRecordedBatch):
            out += [r for r in event.payload.records if r.org_id == org_id]
    return out


async def test_a_relayed_call_is_one_usage_event_with_the_trailers_tokens_and_cost(
    platform: Platform, client: httpx.AsyncClient, org: cmd.CreateOrgReply
) -> None:
    response = await client.post(CHAT, content=body("m-answer"))
    assert response.status_code == 200
    [usage] = await usage_of(platform, org.org_id)
    assert usage.request_id == response.headers["x-request-id"]
    assert (usage.key_id, usage.model_requested, usage.deployment) == (
        org.owner_key.key_id,
        "m-answer",
        "d",
    )
    assert (usage.input_tokens, usage.output_tokens, usage.finish_reason) == (7, 2, "length")
    assert usage.total_cost_micros == 30  # 7 x $2 + 2 x $8 per million tokens
    assert (usage.lane, usage.http_status, usage.streamed) == (LANE_ON_DEMAND, 200, False)
    assert usage.api_surface == "openai" and usage.latency_ms >= 0 and usage.ttft_ms == 0


async def test_a_stream_is_metered_once_after_its_last_byte_with_its_ttft(
    platform: Platform, client: httpx.AsyncClient, org: cmd.CreateOrgReply
) -> None:
    headers = {"x-hicap-route": "faq-bot", **ANTHROPIC_VERSION}
    response = await client.post(MESSAGES, content=body("m-stream", stream=True), headers=headers)
    assert response.status_code == 200
    [usage] = await usage_of(platform, org.org_id)
    assert (usage.input_tokens, usage.output_tokens, usage.streamed) == (3, 5, True)
    assert (usage.route, usage.api_surface, usage.error_code) == ("faq-bot", "anthropic", "")
    assert 0 <= usage.ttft_ms <= usage.latency_ms


async def test_calls_egress_refuses_are_metered_and_calls_ingress_refuses_are_not(
    platform: Platform, client: httpx.AsyncClient, org: cmd.CreateOrgReply
) -> None:
    assert (await client.post(CHAT, content=body("m-rate-limited"))).status_code == 429
    assert (await client.post(CHAT, content=body("no-such-model"))).status_code == 404
    assert (await client.post(CHAT, content=b"{")).status_code == 400
    [usage] = await usage_of(platform, org.org_id)
    assert (usage.http_status, usage.error_code) == (429, "rate_limited")
    assert (usage.input_tokens, usage.output_tokens, usage.total_cost_micros) == (0, 0, 0)


async def test_byok_usage_costs_nothing_and_shows_its_list_value(
    platform: Platform, client: httpx.AsyncClient, org: cmd.CreateOrgReply
) -> None:
    headers = {"x-provider-key": f"sk-customer-{uuid.uuid4().hex}"}
    assert (await client.post(CHAT, content=body("m-answer"), headers=headers)).is_success
    [usage] = await usage_of(platform, org.org_id)
    assert (usage.lane, usage.total_cost_micros, usage.list_value_micros) == (LANE_BYOK, 0, 30)


async def test_a_stream_the_client_left_is_metered_as_closed_by_the_client(
    platform: Platform, client: httpx.AsyncClient, org: cmd.CreateOrgReply
) -> None:
    async with client.stream("POST", CHAT, content=body("m-hang", stream=True)) as response:
        async for _chunk in response.aiter_raw():
            break
    await assert_eventually(platform.egress.cancelled.is_set, timeout=5)
    await assert_eventually(lambda: platform.usage.published > 0)
    [usage] = await usage_of(platform, org.org_id)
    assert (usage.streamed, usage.error_code, usage.http_status) == (True, "client_closed", 200)
