"""A whole answer is the caller's even when the hot connection drops right after it: only
the end frame behind it is lost, and that costs the caller nothing. Before the answer, the
same loss is a 503 in the endpoint's format (an SDK retries it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import orjson

from hicap.bus import BusUnavailable
from hicap.catalog import Catalog, Deployment, Model, Price
from hicap.events import egress_pb2
from hicap.events.apikeys import generate_key, key_hash
from hicap.events.egress import answer_frame
from hicap.ingress.http import build_app
from hicap.ingress.keys import KeyIndex, KeyRecord, KeyRing
from hicap.ingress.relay import CallRecord, Relay, RelayConfig

SECRET = b"relay-answer-secret"
KEY = generate_key()
ANSWER = b'{"id":"chatcmpl-1","object":"chat.completion","choices":[]}'
PRICE = Price(datetime(2025, 1, 1, tzinfo=UTC), 2_000_000, 500_000, 2_500_000, 8_000_000)


class LosesTheConnection:
    """Answers `answer_first` calls with a whole answer, then the connection drops."""

    def __init__(self, answer_first: bool) -> None:
        self.answer_first = answer_first

    async def stream(self, subject: str, data: bytes, **_: object) -> AsyncIterator[bytes]:
        if self.answer_first:
            yield answer_frame(
                egress_pb2.EgressAnswer(
                    head=egress_pb2.EgressHead(status=200, content_type="application/json"),
                    body=ANSWER,
                    trailer=egress_pb2.EgressTrailer(input_tokens=3, output_tokens=5),
                )
            )
        raise BusUnavailable("the connection to NATS was lost (reset)")


def relay(egress: LosesTheConnection, records: list[CallRecord]) -> Relay:
    record = KeyRecord("org_1", "key_1", "team_1", "app_1", 0, ())
    index = KeyIndex(by_hash={key_hash(KEY, SECRET): record})
    model = Model(
        "m", "openai", 1000, (Deployment("m-a", "openai", "http://a", "up-m", ""),), (PRICE,)
    )
    catalog = Catalog.of([model])
    return Relay(
        KeyRing(lambda: index, SECRET),
        lambda: catalog,
        egress,
        RelayConfig(max_body_bytes=64 * 1024),
        records.append,
    )


async def call(egress: LosesTheConnection, records: list[CallRecord]) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_app(relay(egress, records)))
    async with httpx.AsyncClient(transport=transport, base_url="http://ingress") as client:
        return await client.post(
            "/v1/chat/completions",
            headers={"authorization": f"Bearer {KEY}"},
            content=orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        )


async def test_an_answer_that_arrived_whole_is_returned_and_metered() -> None:
    records: list[CallRecord] = []
    response = await call(LosesTheConnection(answer_first=True), records)
    assert response.status_code == 200 and response.content == ANSWER
    [record] = records
    assert record.trailer is not None and record.trailer.output_tokens == 5
    assert record.error_code == ""


async def test_a_connection_lost_before_the_answer_is_a_503_in_openais_shape() -> None:
    records: list[CallRecord] = []
    response = await call(LosesTheConnection(answer_first=False), records)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    [record] = records
    assert record.trailer is None and record.error_code == "bus_unavailable"
