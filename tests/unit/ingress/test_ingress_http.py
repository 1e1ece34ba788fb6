"""The app's own errors leave in our format, never FastAPI's `{"detail": ...}`: an unknown
route (OpenAI's shape, or Anthropic's for its SDK), a request that fails FastAPI's
validation on a router route (400), an unexpected exception (500); all with the edge
headers. No bus: the relay is given stand-ins it never calls."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from hicap.catalog import Catalog
from hicap.ingress.http import build_app
from hicap.ingress.keys import KeyIndex, KeyRing
from hicap.ingress.relay import Relay, RelayConfig


class NoEgress:
    def stream(self, subject: str, data: bytes, **_: object) -> AsyncIterator[bytes]:
        raise AssertionError("no call reaches egress in these tests")


class Team(BaseModel):
    name: str
    size: int


def admin_router() -> APIRouter:
    router = APIRouter()

    @router.post("/v1/admin/teams")
    async def create(team: Team) -> dict[str, str]:
        return {"name": team.name}

    @router.get("/v1/admin/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    return router


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    relay = Relay(KeyRing(KeyIndex, b"s"), Catalog, NoEgress(), RelayConfig(max_body_bytes=10))
    app = build_app(relay, admin_router=admin_router())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingress") as c:
        yield c


def assert_ours(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["x-request-id"] and response.headers["x-hicap-lane"] == "on-demand"
    assert "detail" not in response.json()
    return response.json()  # type: ignore[no-any-return]


async def test_an_unknown_route_is_a_404_in_openais_shape(client: httpx.AsyncClient) -> None:
    error = assert_ours(await client.get("/v2/nothing"), 404)["error"]
    assert error["type"] == "invalid_request_error"  # type: ignore[index]
    assert "/v2/nothing" in error["message"]  # type: ignore[index]


async def test_an_unknown_route_answers_the_anthropic_sdk_in_its_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/nothing", headers={"anthropic-version": "2023-06-01"})
    assert assert_ours(response, 404)["error"]["type"] == "not_found_error"  # type: ignore[index]


async def test_fastapi_validation_is_a_400_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/admin/teams", json={"name": "ml", "size": "many"})
    error = assert_ours(response, 400)["error"]
    assert "size" in error["message"]  # type: ignore[index]


async def test_an_unexpected_exception_is_a_500_in_our_shape(client: httpx.AsyncClient) -> None:
    error = assert_ours(await client.get("/v1/admin/boom"), 500)["error"]
    assert "a bug" not in error["message"]  # type: ignore[index]


async def test_a_wrong_method_on_an_api_route_is_ours_too(client: httpx.AsyncClient) -> None:
    assert_ours(await client.get("/v1/chat/completions"), 404)
