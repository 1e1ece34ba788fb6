"""The admin API over a real NATS: auth started in-process, ingress's real key projection,
and a FastAPI app holding only the admin router, driven with httpx in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from hicap.auth.app import AuthService, start_auth
from hicap.bus import Bus, ProjectionRunner
from hicap.ingress.admin import build_admin_router
from hicap.ingress.keys import KeyIndex, KeyRing, key_projection
from tests.integration.admin.tenants import SECRET


@pytest.fixture
async def auth(bus: Bus) -> AsyncIterator[AuthService]:
    service = await start_auth(bus, SECRET)
    await service.runner.wait_caught_up(10)
    yield service
    await service.stop()


@pytest.fixture
async def key_runner(bus: Bus) -> AsyncIterator[tuple[ProjectionRunner[KeyIndex], KeyRing]]:
    runner, ring = key_projection(bus, SECRET)
    await runner.start()
    await runner.wait_caught_up(10)
    yield runner, ring
    await runner.stop()


@pytest.fixture
def admin_router(bus: Bus, key_runner: tuple[ProjectionRunner[KeyIndex], KeyRing]) -> APIRouter:
    return build_admin_router(key_runner[1], bus)


@pytest.fixture
def admin_app(admin_router: APIRouter) -> FastAPI:
    app = FastAPI(title="Hicap admin (test)")
    app.include_router(admin_router)
    return app


@pytest.fixture
async def client(admin_app: FastAPI, auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingress") as http:
        yield http
