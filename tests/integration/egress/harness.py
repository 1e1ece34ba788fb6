"""The conformance harness: one provider-sim with a set of deployments per adapter (healthy,
faulty, overloaded, rate-limited, slow, resetting, dribbling, bad key), a stand-in
catalogue pointing at them through `upstream_override_url`, and an `Egress` driver that
sends an `EgressCall` through the real handler and collects its frames.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import orjson

from hicap.bus import Last, StreamRequest, Urgent
from hicap.events.egress import ANSWER, BODY, HEAD, TRAILER, parse_frame
from hicap.events.v1 import egress_pb2
from hicap.provider_egress.credentials import Credentials
from hicap.provider_egress.handlers import EgressHandler, Wire
from hicap.provider_egress.http1 import HttpPool
from hicap.provider_egress.retry import RetryPolicy
from hicap.provider_egress.sse import SseEvent, SseParser
from hicap.provider_egress.upstream import SendConfig
from hicap.provider_egress.wire.base import ProviderKind
from hicap.provider_sim.config import Deployment, Fault, Latency, SimConfig

BAD_KEY = "bad-key-0000000000"
HICAP_MODEL = "hicap-test-model"


@dataclass(frozen=True)
class Profile:
    """One adapter under test: where its real API lives, a key the sim accepts, a model."""

    name: str
    kind: ProviderKind
    base_url: str
    key: str
    model: str
    real_wire: bool = True


PROFILES = (
    Profile(
        "openai", ProviderKind.OPENAI, "https://api.openai.com/v1", "sk-egress-test", "gpt-4.1"
    ),
    Profile(
        "anthropic",
        ProviderKind.ANTHROPIC,
        "https://api.anthropic.com",
        "sk-ant-egress-test",
        "claude-sonnet-4.5",
    ),
    Profile(
        "gemini",
        ProviderKind.GEMINI,
        "https://generativelanguage.googleapis.com",
        "AIzaEgressTest",
        "gemini-3.0-flash",
    ),
    Profile(
        "compatible",
        ProviderKind.OPENAI_COMPATIBLE,
        "http://vllm.internal:8000/v1",
        "sk-compat-test",
        "gpt-4.1",
    ),
    Profile(
        "fake-openai",
        ProviderKind.OPENAI,
        "https://api.openai.com/v1",
        "sk-fake-test",
        "gpt-4.1",
        real_wire=False,
    ),
)

ROLES: Mapping[str, Deployment] = {
    "ok": Deployment(),
    "ok2": Deployment(),
    "faulty": Deployment(fault=Fault.SERVER_ERROR),
    "overloaded": Deployment(fault=Fault.OVERLOADED),
    "limited-wait": Deployment(rpm=1, window_s=1.0),
    "limited-short": Deployment(rpm=1, window_s=1.0),
    "limited-lane": Deployment(rpm=1, window_s=30.0),  # one call, then 429 for a long while
    "slow": Deployment(latency=Latency(ttft_ms=3000)),
    "reset": Deployment(fault=Fault.RESET, latency=Latency(tps=20)),  # paced: head first
    "reset-now": Deployment(fault=Fault.RESET),
    "dribble": Deployment(latency=Latency(tps=2)),
    "badkey": Deployment(),
}


def sim_config() -> SimConfig:
    return SimConfig(
        deployments={f"{p.name}-{role}": d for p in PROFILES for role, d in ROLES.items()}
    )


@dataclass(frozen=True)
class CatalogDeployment:
    name: str
    provider: str
    base_url: str
    upstream_model: str
    credential_ref: str


@dataclass(frozen=True)
class StandInCatalog:
    deployments: Mapping[str, CatalogDeployment]

    def deployment(self, name: str) -> CatalogDeployment | None:
        return self.deployments.get(name)


def catalog() -> StandInCatalog:
    deployments = {}
    for p in PROFILES:
        for role in ROLES:
            name = f"{p.name}-{role}"
            ref = "bad" if role == "badkey" else p.name
            deployments[name] = CatalogDeployment(name, p.kind.value, p.base_url, p.model, ref)
    return StandInCatalog(deployments)


def credentials() -> Credentials:
    return Credentials({**{p.name: p.key for p in PROFILES}, "bad": BAD_KEY}, None)


CONFIG = SendConfig(
    policy=RetryPolicy(max_attempts=3, backoff_s=0.05),
    first_byte_timeout_s=1.0,
    idle_timeout_s=1.5,
)


@dataclass
class Answer:
    head: egress_pb2.EgressHead
    body: bytes = b""
    trailer: egress_pb2.EgressTrailer | None = None
    tags: list[str] = field(default_factory=list)

    def json(self) -> dict[str, object]:
        doc = orjson.loads(self.body)
        assert isinstance(doc, dict)
        return doc

    def events(self) -> list[SseEvent]:
        parser = SseParser()
        return parser.feed(self.body) + parser.close()


def openai_body(*, stream: bool = False, **extra: object) -> dict[str, object]:
    messages = [{"role": "user", "content": "Say hello to the conformance suite."}]
    return {"model": HICAP_MODEL, "messages": messages, "stream": stream, **extra}


def anthropic_body(*, stream: bool = False, **extra: object) -> dict[str, object]:
    messages = [{"role": "user", "content": "Say hello to the conformance suite."}]
    return {
        "model": HICAP_MODEL,
        "max_tokens": 200,
        "messages": messages,
        "stream": stream,
        **extra,
    }


class Egress:
    """Drives one handler with calls aimed at one profile's deployments."""

    def __init__(self, pool: HttpPool, sim_url: str, profile: Profile, wire: Wire) -> None:
        self.profile = profile
        self.handler = EgressHandler(
            pool,
            catalog,
            credentials(),
            CONFIG,
            wire,
            override_url=sim_url,
            simulated=None,  # every stand-in deployment lives on provider-sim
        )

    def dep(self, role: str) -> str:
        return f"{self.profile.name}-{role}"

    def call(
        self,
        roles: list[str],
        body: dict[str, object],
        *,
        surface: egress_pb2.Surface = egress_pb2.Surface.SURFACE_OPENAI_CHAT,
        deadline_s: float = 10.0,
        provider_key: str = "",
    ) -> egress_pb2.EgressCall:
        targets = [
            egress_pb2.EgressTarget(
                deployment=self.dep(role),
                provider=self.profile.kind.value,
                upstream_model=self.profile.model,
            )
            for role in roles
        ]
        return egress_pb2.EgressCall(
            request_id="req-test",
            org_id="org-test",
            surface=surface,
            body=orjson.dumps(body),
            model=HICAP_MODEL,
            targets=targets,
            provider_key=provider_key,
            deadline_s=deadline_s,
        )

    def frames(self, call: egress_pb2.EgressCall) -> AsyncIterator[bytes | Urgent | Last]:
        return self.handler(StreamRequest(call.SerializeToString(), {}, "call-test"))

    async def run(self, call: egress_pb2.EgressCall) -> Answer:
        return await collect(self.frames(call), from_handler=True)


def raw(item: bytes | Urgent | Last) -> bytes:
    return item if isinstance(item, bytes) else item.data


async def collect(
    frames: AsyncIterator[bytes | Urgent | Last], *, from_handler: bool = False
) -> Answer:
    """Check the frame order (head first, trailer last; or one whole answer) and gather it.
    Straight from the handler, a whole answer must be marked `Last` and the body frame with
    a stream's first token `Urgent`: they leave at once, nothing else does."""
    answer: Answer | None = None
    urgent = 0
    async for item in frames:
        frame = parse_frame(raw(item))
        assert not isinstance(item, Last) or frame.tag == ANSWER, "only a whole answer is last"
        if isinstance(item, Urgent):
            assert frame.tag == BODY and b'"' in frame.data, "a token's body frame is urgent"
            urgent += 1
        if answer is None and frame.tag == ANSWER:
            assert isinstance(item, Last) or not from_handler, "a whole answer leaves at once"
            whole = egress_pb2.EgressAnswer.FromString(frame.data)
            answer = Answer(whole.head, body=whole.body, tags=["A"], trailer=whole.trailer)
            continue
        if answer is None:
            assert frame.tag == HEAD, "the head comes before any body byte"
            answer = Answer(egress_pb2.EgressHead.FromString(frame.data), tags=["H"])
            continue
        assert answer.trailer is None, "nothing follows the trailer"
        if frame.tag == BODY:
            answer.body += frame.data
            answer.tags.append("B")
        else:
            assert frame.tag == TRAILER
            answer.trailer = egress_pb2.EgressTrailer.FromString(frame.data)
            answer.tags.append("T")
    assert answer is not None and answer.trailer is not None
    if from_handler and answer.tags[0] == "H":
        assert urgent == (1 if answer.trailer.output_tokens else 0), "one first token"
    return answer
