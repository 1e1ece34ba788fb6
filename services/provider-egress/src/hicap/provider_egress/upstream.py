"""The one shared `send()` that owns upstream HTTP: the pooled client (`http1.HttpPool`),
timeouts, retries with backoff, and failover across a call's targets.

`send()` tries the call's routes lane by lane (routes come grouped by lane in failover
order: reserved before on-demand) until one answers 2xx with its first byte (the whole
body for JSON, the first chunk for a stream). Within the last lane it goes round robin,
retrying retryable failures (429, 5xx/529, connection errors, timeouts) as `retry.py`
decides; within a lane that another follows, each target is tried once and a retryable
failure fails over at once (no backoff, no Retry-After wait: a reserved deployment's 429
goes on to on-demand and never reaches the caller), and only when every target of the
lane refused does the next lane start. A non-retryable failure (a 4xx other than 429)
never fails over. Nothing has reached the caller yet, so a retry is invisible to it.
`stream_chunks()` then reads the rest of a stream with an idle timeout; a failure there is
raised as is (no retry after the head). The provider key goes only into that request's
headers, never into the pool (nothing is kept per connection), and redirects are not
followed, so a key never leaves for another host. Never logs a body, a header value or a
key. Imports http1, the wire interfaces and hicap.errors/telemetry.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field, replace

from hicap.errors import DeadlineExceeded, HicapError, InvalidRequest, UpstreamFailed
from hicap.provider_egress.http1 import BadHeader, HttpError, HttpPool, Response
from hicap.provider_egress.retry import RetryPolicy, next_target, retry_delay_s
from hicap.provider_egress.targets import Route
from hicap.provider_egress.wire.base import UpstreamRequest
from hicap.telemetry import Counter, Histogram

__all__ = ["Opened", "SendConfig", "lane_groups", "make_pool", "send", "stream_chunks"]

log = logging.getLogger(__name__)

ATTEMPTS = Counter(
    "hicap_egress_upstream_attempts_total",
    "Upstream HTTP attempts by provider kind and outcome (ok or a Hicap error code).",
    ["provider", "outcome"],
)
FIRST_BYTE = Histogram(
    "hicap_egress_upstream_first_byte_seconds",
    "Time from sending an upstream request to its first body byte, successful attempts.",
    ["provider"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

Build = Callable[[Route], UpstreamRequest]


@dataclass(frozen=True, slots=True)
class SendConfig:
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    first_byte_timeout_s: float = 120.0
    idle_timeout_s: float = 60.0


@dataclass(slots=True)
class Opened:
    """A 2xx answer: the whole body (JSON), or the first chunk and the open response."""

    route: Route
    attempts: int
    body: bytes
    response: Response | None = None  # set while a stream remains to be read


def make_pool(connect_timeout_s: float, *, limit_per_host: int = 256) -> HttpPool:
    """The process's one client: keep-alive pools per origin; no cookies, proxies, redirects."""
    return HttpPool(connect_timeout_s=connect_timeout_s, limit_per_host=limit_per_host)


async def send(
    pool: HttpPool,
    routes: Sequence[Route],
    build: Build,
    config: SendConfig,
    *,
    deadline_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
) -> Opened:
    """The first 2xx answer over lanes, retries and failover; raises the last error otherwise."""
    lanes = lane_groups(routes)
    lane = _Lane(clock() + deadline_s if deadline_s else None, clock, jitter)
    for routes_of_lane in lanes[:-1]:
        one_round = replace(config, policy=RetryPolicy(max_attempts=len(routes_of_lane)))
        try:
            return await lane.send(pool, routes_of_lane, build, one_round)
        except HicapError as err:
            if not err.retryable or lane.expired():
                raise
            log.info(
                "every target of a lane refused; trying the next lane",
                extra={"lane": routes_of_lane[0].lane, "code": err.code},
            )
    return await lane.send(pool, lanes[-1], build, config)


def lane_groups(routes: Sequence[Route]) -> list[Sequence[Route]]:
    """Consecutive routes of one lane, in order (one group when no route names a lane)."""
    groups: list[list[Route]] = []
    for route in routes:
        if groups and groups[-1][-1].lane == route.lane:
            groups[-1].append(route)
        else:
            groups.append([route])
    return list(groups) or [list(routes)]


class _Lane:
    """The sending state that spans lanes: the deadline and the attempts made so far."""

    __slots__ = ("attempts", "clock", "deadline_at", "jitter")

    def __init__(
        self, deadline_at: float | None, clock: Callable[[], float], jitter: Callable[[], float]
    ) -> None:
        self.deadline_at, self.clock, self.jitter = deadline_at, clock, jitter
        self.attempts = 0

    def expired(self) -> bool:
        left = _left(self.deadline_at, self.clock)
        return left is not None and left <= 0

    async def send(
        self,
        pool: HttpPool,
        routes: Sequence[Route],
        build: Build,
        config: SendConfig,
    ) -> Opened:
        """Round robin over one lane's routes, retrying as `config.policy` says."""
        clock, deadline_at = self.clock, self.deadline_at
        not_before = [0.0] * len(routes)  # per route: the end of its last Retry-After
        attempt = 0
        while True:
            attempt += 1
            self.attempts += 1
            index = next_target(attempt, len(routes))
            route = routes[index]
            try:
                opened = await _attempt(
                    pool, route, build(route), config, _left(deadline_at, clock)
                )
            except HicapError as err:
                now = clock()
                if err.retry_after_s is not None:
                    not_before[index] = now + err.retry_after_s
                nxt = next_target(attempt + 1, len(routes))
                delay = retry_delay_s(
                    config.policy,
                    attempt,
                    err,
                    same_target=nxt == index,
                    remaining_s=_left(deadline_at, clock),
                    jitter=self.jitter(),
                )
                delay = _with_retry_after(delay, not_before[nxt] - now, _left(deadline_at, clock))
                if delay is None:
                    raise
                log.info(
                    "upstream attempt failed; trying again",
                    extra={
                        "deployment": route.deployment,
                        "code": err.code,
                        "attempt": self.attempts,
                        "delay_s": round(delay, 3),
                    },
                )
                if delay > 0:
                    await asyncio.sleep(delay)
                continue
            opened.attempts = self.attempts
            return opened


def _left(deadline_at: float | None, clock: Callable[[], float]) -> float | None:
    return None if deadline_at is None else deadline_at - clock()


def _with_retry_after(
    delay: float | None, wait_for_target_s: float, remaining_s: float | None
) -> float | None:
    """The next target may still be inside its own Retry-After: wait for it, deadline allowing."""
    if delay is None:
        return None
    delay = max(delay, wait_for_target_s)
    if remaining_s is not None and delay >= remaining_s:
        return None
    return delay


async def _attempt(
    pool: HttpPool,
    route: Route,
    req: UpstreamRequest,
    config: SendConfig,
    remaining_s: float | None,
) -> Opened:
    provider = route.adapter.kind.value
    timeout_s = config.first_byte_timeout_s
    if remaining_s is not None:
        timeout_s = max(0.0, min(timeout_s, remaining_s))
    started = time.perf_counter()
    try:
        opened = await _post(pool, route, req, timeout_s)
    except HicapError as err:
        ATTEMPTS.labels(provider, err.code).inc()
        raise
    ATTEMPTS.labels(provider, "ok").inc()
    FIRST_BYTE.labels(provider).observe(time.perf_counter() - started)
    return opened


async def _post(pool: HttpPool, route: Route, req: UpstreamRequest, timeout_s: float) -> Opened:
    headers = {"content-type": "application/json", **dict(req.headers)}
    headers.update(route.adapter.auth_headers(route.api_key))
    try:
        async with asyncio.timeout(timeout_s):
            resp = await pool.post(route.base_url + req.path, headers, req.body)
            try:
                return await _read_head(route, req, resp)
            except BaseException:
                resp.close()
                raise
    except TimeoutError:
        raise DeadlineExceeded(
            f"deployment {route.deployment} sent nothing within {timeout_s:.3g}s"
        ) from None
    except BadHeader as exc:  # the caller's BYOK key, say: theirs to fix, never retried
        raise InvalidRequest(f"cannot call deployment {route.deployment}: {exc}") from None
    except HttpError as exc:  # its text names the kind of failure, never a header or URL
        raise UpstreamFailed(
            f"deployment {route.deployment} failed: {exc}", retryable=True
        ) from None


async def _read_head(route: Route, req: UpstreamRequest, resp: Response) -> Opened:
    if resp.status >= 300:
        body = await resp.read()
        raise route.adapter.classify_error(resp.status, resp.headers, body)
    if not req.stream:
        return Opened(route, 0, await resp.read())
    return Opened(route, 0, await resp.read_chunk(), resp)


async def stream_chunks(opened: Opened, idle_timeout_s: float) -> AsyncGenerator[bytes, None]:
    """The stream's chunks, the first one included; closes the response however it ends."""
    resp = opened.response
    if resp is None:
        raise ValueError("stream_chunks needs an opened stream")
    complete = False
    try:
        chunk = opened.body
        while chunk:
            yield chunk
            chunk = await _read_idle(opened.route, resp, idle_timeout_s)
        complete = True
    finally:
        if complete:
            resp.release()
        else:
            resp.close()  # mid-body (cancelled or failed): the connection cannot be reused


async def _read_idle(route: Route, resp: Response, idle_timeout_s: float) -> bytes:
    try:
        async with asyncio.timeout(idle_timeout_s):
            return await resp.read_chunk()
    except TimeoutError:
        raise DeadlineExceeded(
            f"deployment {route.deployment} went silent for {idle_timeout_s:g}s mid-stream"
        ) from None
    except HttpError as exc:
        raise UpstreamFailed(f"deployment {route.deployment} broke off the stream: {exc}") from None
