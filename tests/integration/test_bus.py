"""The bus against a real nats-server: streams, de-duplicated publish, commands, the hot
path's streamed replies, and the rule that no stream stores hot-path subjects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from nats.js.errors import NotFoundError

from hicap.bus import (
    DUPLICATE_WINDOW_S,
    Bus,
    BusTimeout,
    BusUnavailable,
    Last,
    StreamClient,
    StreamRequest,
    StreamServer,
    commands,
    connect,
    ensure_streams,
    publish,
)
from hicap.errors import Internal, NotFound, RateLimited
from hicap.events import Event, Stream, auth_pb2, decode, new_event
from tests.asserts import assert_eventually
from tests.fixtures.servers import free_port


async def read_stream(bus: Bus, stream: Stream, org_id: str) -> list[Event]:  # type: ignore[type-arg]
    """Every event of one org in a stream, in order (a fresh ordered read)."""
    out = []
    info = await bus.js.stream_info(stream.value)
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await bus.js.get_msg(stream.value, seq)
        except NotFoundError:
            continue
        event = decode(msg.data or b"")
        if event.org_id == org_id:
            out.append(event)
    return out


async def test_the_same_event_published_twice_is_stored_once(bus: Bus, org_id: str) -> None:
    event = new_event(auth_pb2.OrgCreated(org_id=org_id, name="acme"), org_id=org_id)
    first = await publish(bus, event)
    again = await publish(bus, event)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.seq == first.seq
    assert [e.event_id for e in await read_stream(bus, Stream.AUTH, org_id)] == [event.event_id]


async def test_distinct_events_are_all_stored_in_order(bus: Bus, org_id: str) -> None:
    events = [
        new_event(auth_pb2.TeamCreated(org_id=org_id, team_id=f"t{i}"), org_id=org_id)
        for i in range(5)
    ]
    for event in events:
        await publish(bus, event)
    assert [e.payload.team_id for e in await read_stream(bus, Stream.AUTH, org_id)] == [
        f"t{i}" for i in range(5)
    ]


async def test_streams_are_declared_idempotently_with_file_storage_and_a_2_minute_window(
    bus: Bus,
) -> None:
    await ensure_streams(bus)
    await ensure_streams(bus)
    for stream in Stream:
        info = await bus.js.stream_info(stream.value)
        assert str(getattr(info.config.storage, "value", info.config.storage)) == "file"
        assert info.config.duplicate_window >= 120 and DUPLICATE_WINDOW_S >= 120
        assert info.config.subjects == [f"hicap.{stream.value.lower()}.>"]


async def test_no_stream_captures_a_hot_path_subject(bus: Bus) -> None:
    for subject in ("hicap.egress.openai", "hicap.egress.anthropic", "hicap.egress.x.cancel.y"):
        with pytest.raises(NotFoundError):
            await bus.js.find_stream_name_by_subject(subject)
    names = [s.config.name for s in await bus.js.streams_info()]
    for name in names:
        info = await bus.js.stream_info(name)
        for subject in info.config.subjects or []:
            assert not subject.startswith(("hicap.egress", "hicap.>", ">")), (name, subject)


async def test_unreachable_nats_fails_with_a_clear_error() -> None:
    port = free_port()
    with pytest.raises(BusUnavailable, match=f"127.0.0.1:{port}.*nats-server"):
        await connect(f"nats://127.0.0.1:{port}", name="t", timeout_s=0.5)


# -- commands --------------------------------------------------------------------------


async def test_a_command_is_answered_with_its_reply(bus: Bus, org_id: str) -> None:
    subject = commands.command_subject("test", f"echo_{org_id}")

    async def handler(req: auth_pb2.OrgCreated) -> auth_pb2.OrgCreated:
        return auth_pb2.OrgCreated(org_id=req.org_id, name=req.name.upper())

    sub = await commands.serve(bus, subject, auth_pb2.OrgCreated, handler, queue="test")
    try:
        reply = await commands.request(
            bus, subject, auth_pb2.OrgCreated(org_id=org_id, name="acme"), auth_pb2.OrgCreated
        )
        assert (reply.org_id, reply.name) == (org_id, "ACME")
    finally:
        await sub.unsubscribe()


async def test_a_command_error_is_raised_again_as_its_own_type(bus: Bus, org_id: str) -> None:
    subject = commands.command_subject("test", f"fail_{org_id}")

    async def handler(req: auth_pb2.OrgCreated) -> auth_pb2.OrgCreated:
        if req.name == "busy":
            raise RateLimited("slow down", retry_after_s=2.5)
        if req.name == "bug":
            raise ZeroDivisionError
        raise NotFound(f"org {req.org_id} not found")

    sub = await commands.serve(bus, subject, auth_pb2.OrgCreated, handler, queue="test")
    try:
        with pytest.raises(NotFound, match=f"org {org_id} not found"):
            await commands.request(
                bus, subject, auth_pb2.OrgCreated(org_id=org_id), auth_pb2.OrgCreated
            )
        with pytest.raises(RateLimited) as limited:
            await commands.request(
                bus, subject, auth_pb2.OrgCreated(name="busy"), auth_pb2.OrgCreated
            )
        assert limited.value.retry_after_s == 2.5 and limited.value.retryable
        with pytest.raises(Internal, match="see the service's log"):
            await commands.request(
                bus, subject, auth_pb2.OrgCreated(name="bug"), auth_pb2.OrgCreated
            )
    finally:
        await sub.unsubscribe()


async def test_a_command_nobody_serves_says_so(bus: Bus) -> None:
    with pytest.raises(BusUnavailable, match="no service answers"):
        await commands.request(
            bus, "hicap.cmd.nobody.here", auth_pb2.OrgCreated(), auth_pb2.OrgCreated, timeout_s=1
        )


# -- the hot path ----------------------------------------------------------------------


@pytest.fixture
async def streams(
    bus: Bus, org_id: str
) -> AsyncIterator[tuple[StreamClient, str, dict[str, object]]]:
    """A stream server on a subject of this test, whose handler is chosen by the payload."""
    subject = f"hicap.egress.test{org_id[-8:]}"
    seen: dict[str, object] = {"cancelled": asyncio.Event(), "closed": asyncio.Event()}

    async def handler(req: StreamRequest) -> AsyncIterator[bytes | Last]:
        kind, _, arg = req.data.decode().partition(":")
        seen["headers"] = req.headers
        if kind == "count":
            for i in range(int(arg)):
                yield f"chunk {i}".encode()
        elif kind == "fail-after":
            for i in range(int(arg)):
                yield f"chunk {i}".encode()
            raise RateLimited("provider said 429", retry_after_s=3)
        elif kind == "forever":
            try:
                while True:
                    yield b"tick"
                    await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                seen["cancelled"].set()  # type: ignore[union-attr]
                raise
        elif kind == "last":
            try:
                yield b"before"
                yield Last(b"whole")
                seen["resumed after last"] = True
                yield b"never sent"
            finally:
                seen["closed"].set()  # type: ignore[union-attr]
        elif kind == "silent":
            await asyncio.sleep(10)
            yield b"too late"

    server = await StreamServer(bus, subject, handler, queue="egress-test").start()
    client = await StreamClient(bus).start()
    yield client, subject, seen
    await client.stop()
    await server.stop(grace_s=1)


async def test_stream_frames_arrive_in_order(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, _ = streams
    frames = [f async for f in client.stream(subject, b"count:500")]
    assert frames == [f"chunk {i}".encode() for i in range(500)]


async def test_concurrent_streams_do_not_mix(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, _ = streams

    async def run(n: int) -> list[bytes]:
        return [f async for f in client.stream(subject, f"count:{n}".encode())]

    results = await asyncio.gather(*(run(n) for n in range(1, 40)))
    assert [len(r) for r in results] == list(range(1, 40))


async def test_a_failure_mid_stream_arrives_as_a_typed_error_after_the_frames(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, _ = streams
    got: list[bytes] = []
    with pytest.raises(RateLimited) as err:
        async for frame in client.stream(subject, b"fail-after:3"):
            got.append(frame)
    assert len(got) == 3 and err.value.retry_after_s == 3


async def test_closing_a_stream_early_cancels_the_server_side_call(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, seen = streams
    stream = client.stream(subject, b"forever:")
    assert await anext(stream) == b"tick"
    await stream.aclose()
    await asyncio.wait_for(seen["cancelled"].wait(), 5)  # type: ignore[union-attr]


async def test_a_last_frame_ends_the_call_and_closes_the_handler(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, seen = streams
    assert [f async for f in client.stream(subject, b"last:")] == [b"before", b"whole"]
    await asyncio.wait_for(seen["closed"].wait(), 5)  # type: ignore[union-attr]
    assert "resumed after last" not in seen


async def test_headers_reach_the_server(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, seen = streams
    [f async for f in client.stream(subject, b"count:1", headers={"Hicap-Request-Id": "r-1"})]
    assert seen["headers"]["Hicap-Request-Id"] == "r-1"  # type: ignore[index]


async def test_a_silent_server_times_out(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, _ = streams
    with pytest.raises(BusTimeout):
        [f async for f in client.stream(subject, b"silent:", first_timeout_s=0.3)]


async def test_no_server_for_a_subject_is_reported_at_once(bus: Bus) -> None:
    client = await StreamClient(bus).start()
    try:
        with pytest.raises(BusUnavailable, match="no service answers"):
            [f async for f in client.stream("hicap.egress.nobody", b"x", first_timeout_s=5)]
    finally:
        await client.stop()


async def test_a_publish_waits_for_nats_to_come_back(nats_server_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = nats_server_factory(tmp_path / "js")
    bus = await connect(server.url, name="t")
    await ensure_streams(bus)
    org = "org_restart"
    server.stop()
    server.restart()
    await assert_eventually(lambda: bus.connected, timeout=10)
    event = new_event(auth_pb2.OrgCreated(org_id=org), org_id=org)
    assert not (await publish(bus, event)).duplicate
    assert [e.event_id for e in await read_stream(bus, Stream.AUTH, org)] == [event.event_id]
    await bus.close()


# -- telemetry -------------------------------------------------------------------------


async def test_trace_context_crosses_a_command(bus: Bus, org_id: str) -> None:
    from opentelemetry import trace

    from hicap.telemetry import configure_tracing, tracer

    configure_tracing("test", version="0", otlp_endpoint=None)
    subject = commands.command_subject("test", f"trace_{org_id}")
    seen: list[int] = []

    async def handler(req: auth_pb2.OrgCreated) -> auth_pb2.OrgCreated:
        seen.append(trace.get_current_span().get_span_context().trace_id)
        return req

    sub = await commands.serve(bus, subject, auth_pb2.OrgCreated, handler, queue="test")
    try:
        with tracer("test").start_as_current_span("caller") as span:
            await commands.request(bus, subject, auth_pb2.OrgCreated(), auth_pb2.OrgCreated)
            caller_trace = span.get_span_context().trace_id
    finally:
        await sub.unsubscribe()
    assert caller_trace != 0 and seen == [caller_trace]


async def test_trace_context_reaches_a_stream_handler(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    from hicap.telemetry import configure_tracing, tracer

    configure_tracing("test", version="0", otlp_endpoint=None)
    client, subject, seen = streams
    with tracer("test").start_as_current_span("caller") as span:
        [f async for f in client.stream(subject, b"count:1")]
        trace_hex = f"{span.get_span_context().trace_id:032x}"
    assert seen["headers"]["traceparent"].split("-")[1] == trace_hex  # type: ignore[index]


async def test_a_publish_on_a_closed_connection_fails_as_a_bus_error(
    nats_server_factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    server = nats_server_factory(tmp_path / "js")
    bus = await connect(server.url, name="t")
    await ensure_streams(bus)
    await bus.nc.close()  # what a service sees once the client gave up reconnecting
    event = new_event(auth_pb2.OrgCreated(org_id="org_gone"), org_id="org_gone")
    with pytest.raises(BusUnavailable, match="closed"):  # never a nats-py exception
        await publish(bus, event, timeout_s=1.0)


# -- the hot path when NATS goes away ----------------------------------------------------


async def test_calls_in_flight_when_nats_goes_away_fail_at_once_and_new_ones_wait_for_it(
    nats_server_factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Frames sent while the connection is away are lost, so a call in flight ends with a
    503 at once, not after its 60 s idle timeout; the server side is told to stop once NATS
    is back; a call made while NATS is away goes out when it is back, and is answered."""
    server = nats_server_factory(tmp_path / "js")
    bus = await connect(server.url, name="t")
    cancelled = asyncio.Event()

    async def handler(req: StreamRequest) -> AsyncIterator[bytes]:
        yield b"first"
        if req.data == b"hold":
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise
        yield b"last"

    stream_server = await StreamServer(bus, "hicap.egress.away", handler, queue="q").start()
    client = await StreamClient(bus).start()
    held = client.stream("hicap.egress.away", b"hold", idle_timeout_s=60)
    assert await anext(held) == b"first"
    server.stop()
    with pytest.raises(BusUnavailable, match="connection to NATS was lost"):
        await asyncio.wait_for(anext(held), 30)  # raised long before the idle timeout
    await assert_eventually(lambda: not bus.connected, timeout=5)
    later = asyncio.create_task(_frames(client.stream("hicap.egress.away", b"go")))
    await asyncio.sleep(0.2)
    assert not later.done()  # waiting for NATS, not failed by the loss it came after
    server.restart()
    assert await asyncio.wait_for(later, 30) == [b"first", b"last"]
    await asyncio.wait_for(cancelled.wait(), 10)  # the lost call's cancel went out
    await client.stop()
    await stream_server.stop(grace_s=1)
    await bus.close()


async def test_a_call_in_flight_when_the_bus_closes_fails_as_a_bus_error(
    streams: tuple[StreamClient, str, dict[str, object]],
) -> None:
    client, subject, _ = streams
    forever = client.stream(subject, b"forever:", idle_timeout_s=60)
    assert await anext(forever) == b"tick"
    wire = await client.bus.hot_wire()
    await wire.close()
    with pytest.raises(BusUnavailable, match="closed"):
        async for _ in forever:  # the ticks that came before the close, then the error
            pass


async def _frames(stream: AsyncIterator[bytes]) -> list[bytes]:
    return [frame async for frame in stream]
