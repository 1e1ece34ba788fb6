"""Projections against a real JetStream: for random event sequences, the state rebuilt by
replay equals the state folded live, and the state rebuilt from a snapshot equals the
state folded from the start."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, append, caught_up, publish
from hicap.errors import Unavailable
from hicap.events import Event, Stream, auth_pb2, new_event
from tests.asserts import assert_eventually


@dataclass(frozen=True)
class OrgView:
    """An order-sensitive fold of one org's auth events (so a reordering would show)."""

    org_id: str
    names: tuple[str, ...] = ()
    live_keys: frozenset[str] = frozenset()
    history: tuple[str, ...] = ()


def evolve(state: OrgView, event: Event[Message]) -> OrgView:
    if event.org_id != state.org_id:
        return state
    p = event.payload
    state = replace(state, history=(*state.history, event.event_id))
    if isinstance(p, auth_pb2.TeamCreated):
        return replace(state, names=(*state.names, p.name))
    if isinstance(p, auth_pb2.KeyIssued):
        return replace(state, live_keys=state.live_keys | {p.key_id})
    if isinstance(p, auth_pb2.KeyRevoked):
        return replace(state, live_keys=state.live_keys - {p.key_id})
    return state


keys = st.sampled_from(["k1", "k2", "k3"])
commands = st.lists(
    st.one_of(
        st.builds(lambda n: auth_pb2.TeamCreated(name=n), st.text("abc", max_size=3)),
        st.builds(lambda k: auth_pb2.KeyIssued(key_id=k), keys),
        st.builds(lambda k: auth_pb2.KeyRevoked(key_id=k), keys),
    ),
    min_size=1,
    max_size=25,
)


async def run_to(bus: Bus, projection: Projection[OrgView], seq: int) -> ProjectionRunner[OrgView]:
    runner = ProjectionRunner(bus, projection)
    await runner.start()
    await runner.wait_caught_up(10)
    await assert_eventually(lambda: projection.applied_seq >= seq, timeout=10)
    return runner


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(payloads=commands, cut=st.floats(0, 1))
async def test_replay_and_snapshot_rebuild_the_state_folded_live(
    bus: Bus, payloads: list[Message], cut: float
) -> None:
    org = f"org_{uuid.uuid4().hex}"
    start = OrgView(org)
    live = await run_to(bus, Projection(Stream.AUTH, evolve, Snapshot(start, 0)), 0)
    events = [new_event(p, org_id=org) for p in payloads]
    seqs = [(await publish(bus, e)).seq for e in events]
    await assert_eventually(lambda: live.projection.applied_seq >= seqs[-1], timeout=10)

    replayed = await run_to(bus, Projection(Stream.AUTH, evolve, Snapshot(start, 0)), seqs[-1])

    k = int(cut * len(events))
    prefix = start
    for event in events[:k]:
        prefix = evolve(prefix, event)
    from_seq = seqs[k - 1] if k else 0
    snapshotted = await run_to(
        bus, Projection(Stream.AUTH, evolve, Snapshot(prefix, from_seq)), seqs[-1]
    )

    try:
        assert live.state.history == tuple(e.event_id for e in events)
        assert replayed.state == live.state
        assert snapshotted.state == live.state
    finally:
        for runner in (live, replayed, snapshotted):
            await runner.stop()


async def test_a_projection_on_an_empty_stream_is_caught_up_at_once(bus: Bus) -> None:
    await bus.js.purge_stream("POLICY")
    runner = ProjectionRunner(bus, Projection(Stream.POLICY, evolve, Snapshot(OrgView("x"), 0)))
    await runner.start()
    await runner.wait_caught_up(2)
    lag = await runner.lag()
    assert lag.caught_up and lag.applied_seq == lag.stream_last_seq
    await runner.stop()


async def test_a_writer_can_wait_until_its_own_event_is_folded(bus: Bus, org_id: str) -> None:
    runner = await run_to(bus, Projection(Stream.AUTH, evolve, Snapshot(OrgView(org_id), 0)), 0)
    try:
        seq = (await publish(bus, new_event(auth_pb2.TeamCreated(name="ml"), org_id=org_id))).seq
        await runner.wait_applied(seq, 5)
        assert runner.state.names == ("ml",)
        with pytest.raises(TimeoutError):
            await runner.wait_applied(seq + 1_000_000, 0.2)
    finally:
        await runner.stop()


async def test_append_answers_once_its_events_are_folded_in(bus: Bus, org_id: str) -> None:
    runner = await run_to(bus, Projection(Stream.AUTH, evolve, Snapshot(OrgView(org_id), 0)), 0)
    try:
        names = [auth_pb2.TeamCreated(name=n) for n in ("a", "b")]
        await append(bus, runner, (new_event(p, org_id=org_id) for p in names))
        assert runner.state.names == ("a", "b")  # read back at once, no waiting
    finally:
        await runner.stop()


async def test_append_to_a_projection_that_does_not_follow_is_unavailable(
    bus: Bus, org_id: str
) -> None:
    stopped = ProjectionRunner(bus, Projection(Stream.AUTH, evolve, Snapshot(OrgView(org_id), 0)))
    event = new_event(auth_pb2.TeamCreated(name="late"), org_id=org_id)
    with pytest.raises(Unavailable, match="stored but not yet applied"):
        await append(bus, stopped, [event], timeout_s=0.2)
    with pytest.raises(Unavailable, match="replaying"):
        await caught_up(stopped, timeout_s=0.2)
