"""The part of every call the three APIs share: the simulator's state (`Sim`), and one
call's admission: key check, body parse, `x-sim-*` headers, faults raised before any
byte, and the deployment's rate limit.

Request headers read here (all optional):

    x-sim-fault: 500 | 529 | reset | slow     overrides the deployment's configured fault
    x-sim-ttft-ms: <float>                    time to first token, ms
    x-sim-tps: <float>                        output pieces per second (0 = no pacing)
    x-sim-cached-tokens: <int>                input tokens reported as cached

Never logs a key, a header value or a body.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from fastapi import Request

from hicap.provider_sim.config import DEFAULT_DEPLOYMENT, Fault, Latency, Provider, SimConfig
from hicap.provider_sim.errors import ErrorKind, SimError, quota_headers
from hicap.provider_sim.generate import Completion
from hicap.provider_sim.keys import KeyCheck, check_key, key_from
from hicap.provider_sim.limits import RateLimited, RateLimiter
from hicap.provider_sim.schema_values import JsonValue

__all__ = ["Call", "Sim", "admit", "begin"]


@dataclass
class Sim:
    config: SimConfig
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.monotonic)


@dataclass(frozen=True)
class Call:
    provider: Provider
    deployment: str
    request_id: str
    fault: Fault | None
    pace: Latency
    cached_tokens: int


async def begin(
    request: Request, sim: Sim, provider: Provider, *, with_body: bool = True
) -> tuple[Call, JsonValue]:
    """Admit a call up to generation; raises SimError in the provider's shape."""
    request_id = _request_id(provider)
    _check_key(request, sim, provider, request_id)
    call = _call(request, sim, provider, request_id)
    body = await _body(request, provider, request_id) if with_body else None
    if call.fault is Fault.SERVER_ERROR:
        raise SimError(provider, ErrorKind.SERVER_ERROR, request_id=request_id)
    if call.fault is Fault.OVERLOADED:
        raise SimError(provider, ErrorKind.OVERLOADED, request_id=request_id)
    return call, body


def admit(sim: Sim, call: Call, completion: Completion) -> dict[str, str]:
    """Count the call against its deployment's limits; the rate-limit headers to send."""
    tokens = completion.usage.input_tokens + completion.usage.output_tokens
    deployment = sim.config.deployment(call.deployment)
    try:
        quota = sim.limiter.admit(call.deployment, deployment, tokens)
    except RateLimited as exc:
        headers = quota_headers(call.provider, exc.quota, sim.wall_clock())
        headers["retry-after"] = str(exc.retry_after_whole_s)
        if call.provider is Provider.OPENAI:
            headers["retry-after-ms"] = str(max(1, round(exc.retry_after_s * 1000)))
        message = f"Rate limit reached for {exc.kind.value} on deployment {call.deployment}."
        raise SimError(
            call.provider,
            ErrorKind.RATE_LIMITED,
            message,
            openai_type=exc.kind.value,
            headers=headers,
            request_id=call.request_id,
        ) from None
    return {} if quota is None else quota_headers(call.provider, quota, sim.wall_clock())


def request_id_header(call: Call) -> dict[str, str]:
    if call.provider is Provider.OPENAI:
        return {"x-request-id": call.request_id}
    if call.provider is Provider.ANTHROPIC:
        return {"request-id": call.request_id}
    return {}


def _request_id(provider: Provider) -> str:
    return ("req_" if provider is not Provider.GEMINI else "") + secrets.token_hex(12)


def _check_key(request: Request, sim: Sim, provider: Provider, request_id: str) -> None:
    key = key_from(provider, request.headers, request.query_params)
    verdict = check_key(provider, key, sim.config.accepted_keys)
    if verdict is KeyCheck.MISSING:
        raise SimError(provider, ErrorKind.MISSING_KEY, request_id=request_id)
    if verdict is KeyCheck.INVALID:
        raise SimError(provider, ErrorKind.INVALID_KEY, request_id=request_id)


def _call(request: Request, sim: Sim, provider: Provider, request_id: str) -> Call:
    deployment = str(request.path_params.get("deployment", DEFAULT_DEPLOYMENT))
    configured = sim.config.deployment(deployment)
    latency = sim.config.latency_for(deployment)
    headers = request.headers
    try:
        fault_name = headers.get("x-sim-fault")
        fault = Fault(fault_name) if fault_name else configured.fault
        pace = Latency(
            ttft_ms=float(headers.get("x-sim-ttft-ms", latency.ttft_ms)),
            tps=float(headers.get("x-sim-tps", latency.tps)),
        )
        cached = int(headers.get("x-sim-cached-tokens", "0"))
    except ValueError:
        message = "Invalid x-sim-* header value."
        raise SimError(provider, ErrorKind.BAD_REQUEST, message, request_id=request_id) from None
    if fault is Fault.SLOW:
        pace = Latency(ttft_ms=pace.ttft_ms, tps=sim.config.slow_tps)
    return Call(provider, deployment, request_id, fault, pace, max(0, cached))


async def _body(request: Request, provider: Provider, request_id: str) -> JsonValue:
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        message = "We could not parse the JSON body of your request."
        raise SimError(provider, ErrorKind.BAD_REQUEST, message, request_id=request_id) from None
    if not isinstance(body, dict):
        message = "The request body must be a JSON object."
        raise SimError(provider, ErrorKind.BAD_REQUEST, message, request_id=request_id)
    return body


def bad_request(call: Call, message: str, param: str | None = None) -> SimError:
    return SimError(
        call.provider, ErrorKind.BAD_REQUEST, message, param, request_id=call.request_id
    )
