"""What the ingress integration tests run against: the real key projection fed by auth
(started in-process), a fake provider-egress StreamServer whose answer per model the
tests control, the usage publisher on the real bus, and the ingress app served by a real
uvicorn on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import uvicorn
from google.protobuf.message import Message

from hicap.auth.app import AuthService, start_auth
from hicap.bus import Bus, ProjectionRunner, StreamClient, StreamRequest, StreamServer, commands
from hicap.catalog import Catalog, Deployment, Model, Price
from hicap.errors import InvalidRequest, RateLimited, Unavailable
from hicap.events import auth_pb2, egress_pb2
from hicap.events.egress import (
    answer_frame,
    body_frame,
    egress_subject,
    head_frame,
    trailer_frame,
)
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.ingress.http import build_app
from hicap.ingress.keys import KeyIndex, KeyRing, key_projection
from hicap.ingress.relay import CallRecord, Relay, RelayConfig
from hicap.ingress.usage import UsagePublisher, metered
from tests.asserts import assert_eventually

Rep = TypeVar("Rep", bound=Message)
SECRET = b"ingress-integration-secret"
PRICE = Price(datetime(2025, 1, 1, tzinfo=UTC), 2_000_000, 500_000, 2_500_000, 8_000_000)
MAX_BODY_BYTES = 64 * 1024
JSON_PARTS = (b'{"id":"chatcmpl-1","choices":', b'[{"index":0}]}')
EVENTS = (b'data: {"n":1}\n\n', b'data: {"n":2}\n\n', b"data: [DONE]\n\n")


def catalog(provider: str) -> Catalog:
    def model(name: str) -> Model:
        deployments = (
            Deployment(f"{name}-a", provider, "http://a", f"up-{name}", ""),
            Deployment(f"{name}-b", provider, "http://b", f"up-{name}", ""),
        )
        return Model(name, provider, 1000, deployments, (PRICE,))

    names = [
        "m-json",
        "m-answer",
        "m-stream",
        "m-invalid",
        "m-rate-limited",
        "m-fail-mid",
        "m-hang",
    ]
    return Catalog.of(model(n) for n in names)


def head(content_type: str) -> bytes:
    return head_frame(
        egress_pb2.EgressHead(status=200, content_type=content_type, deployment="d", attempts=1)
    )


TRAILER = trailer_frame(
    egress_pb2.EgressTrailer(input_tokens=3, output_tokens=5, finish_reason="stop")
)


@dataclass
class FakeEgress:
    """Answers each model its own way and remembers every call it got."""

    calls: list[egress_pb2.EgressCall] = field(default_factory=list)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, req: StreamRequest) -> AsyncIterator[bytes]:
        call = egress_pb2.EgressCall()
        call.ParseFromString(req.data)
        self.calls.append(call)
        async for frame in getattr(self, call.model.replace("-", "_"))():
            yield frame

    async def m_json(self) -> AsyncIterator[bytes]:
        yield head("application/json")
        for part in JSON_PARTS:
            yield body_frame(part)
        yield TRAILER

    async def m_answer(self) -> AsyncIterator[bytes]:
        head = egress_pb2.EgressHead(status=200, content_type="application/json", deployment="d")
        trailer = egress_pb2.EgressTrailer(input_tokens=7, output_tokens=2, finish_reason="length")
        yield answer_frame(
            egress_pb2.EgressAnswer(head=head, body=b"".join(JSON_PARTS), trailer=trailer)
        )

    async def m_stream(self) -> AsyncIterator[bytes]:
        yield head("text/event-stream")
        for event in EVENTS:
            yield body_frame(event)
        yield TRAILER

    async def m_invalid(self) -> AsyncIterator[bytes]:
        raise InvalidRequest("messages: must not be empty")
        yield b""  # an async generator

    async def m_rate_limited(self) -> AsyncIterator[bytes]:
        raise RateLimited("slow down", retry_after_s=2.5)
        yield b""

    async def m_fail_mid(self) -> AsyncIterator[bytes]:
        yield head("text/event-stream")
        yield body_frame(EVENTS[0])
        yield trailer_frame(egress_pb2.EgressTrailer(output_tokens=4, error_code="unavailable"))
        raise Unavailable("the provider is overloaded")

    async def m_hang(self) -> AsyncIterator[bytes]:
        yield head("text/event-stream")
        yield body_frame(EVENTS[0])
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest owns the signals


@dataclass
class Platform:
    bus: Bus
    auth: AuthService
    keys: KeyRing
    key_runner: ProjectionRunner[KeyIndex]
    egress: FakeEgress
    completed: list[CallRecord]
    usage: UsagePublisher
    base_url: str

    async def new_org(self) -> cmd.CreateOrgReply:
        org = cmd.CreateOrg(name=f"Acme {uuid.uuid4().hex[:6]}")
        reply = await self.command("create_org", org, cmd.CreateOrgReply)
        await self.wait_folded()
        return reply

    async def issue_key(self, org: cmd.CreateOrgReply, models: list[str]) -> cmd.IssuedKey:
        actor = cmd.Actor(org_id=org.org_id, key_id=org.owner_key.key_id)
        issue = cmd.IssueKey(
            actor=actor, role=auth_pb2.ROLE_ADMIN, allowed_models=models, name="restricted"
        )
        reply = await self.command("issue_key", issue, cmd.IssueKeyReply)
        await self.wait_folded()
        return reply.key

    async def revoke(self, org: cmd.CreateOrgReply, key_id: str) -> None:
        actor = cmd.Actor(org_id=org.org_id, key_id=org.owner_key.key_id)
        await self.command(
            "revoke_key", cmd.RevokeKey(actor=actor, key_id=key_id), cmd.RevokeKeyReply
        )

    async def command(self, name: str, message: Message, reply: type[Rep]) -> Rep:
        subject = commands.command_subject("auth", name)
        return await commands.request(self.bus, subject, message, reply)

    async def wait_folded(self) -> None:
        """Until ingress's key projection has what auth has."""
        await self.key_runner.wait_applied(self.auth.runner.projection.applied_seq, 5.0)


@contextlib.asynccontextmanager
async def running_platform(bus: Bus) -> AsyncIterator[Platform]:
    provider = f"fake-{uuid.uuid4().hex[:8]}"
    auth = await start_auth(bus, SECRET)
    await auth.runner.wait_caught_up(10)
    key_runner, keys = key_projection(bus, SECRET)
    await key_runner.start()
    await key_runner.wait_caught_up(10)
    egress = FakeEgress()
    server = await StreamServer(bus, egress_subject(provider), egress.handle, queue="q").start()
    client = await StreamClient(bus).start()
    completed: list[CallRecord] = []
    the_catalog = catalog(provider)
    usage = await UsagePublisher(bus).start()
    publish_usage = metered(usage, lambda: the_catalog)

    def on_complete(record: CallRecord) -> None:
        completed.append(record)
        publish_usage(record)

    relay = Relay(
        keys,
        lambda: the_catalog,
        client,
        RelayConfig(max_body_bytes=MAX_BODY_BYTES, deadline_s=5.0),
        on_complete=on_complete,
    )
    http = _Server(
        uvicorn.Config(
            build_app(relay),
            host="127.0.0.1",
            port=0,
            loop="none",
            http="httptools",
            lifespan="off",
            access_log=False,
            log_config=None,
        )
    )
    task = asyncio.create_task(http.serve())
    await assert_eventually(lambda: http.started)
    port = http.servers[0].sockets[0].getsockname()[1]
    try:
        url = f"http://127.0.0.1:{port}"
        yield Platform(bus, auth, keys, key_runner, egress, completed, usage, url)
    finally:
        http.should_exit = True
        await task
        await usage.close()
        await client.stop()
        await server.stop()
        await key_runner.stop()
        await auth.stop()
