"""Sending an answer: JSON bodies and SSE streams, paced by the call's latency, with the
`reset` fault (part of the body, then the connection dropped) and `slow` pacing.

A reset is made by raising `SimulatedReset` inside the body iterator after some bytes
went out: uvicorn then closes the connection without ending the chunked body, which is
what a client sees when a provider's connection breaks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import orjson
from fastapi.responses import Response, StreamingResponse

from hicap.provider_sim.config import Fault, Latency
from hicap.provider_sim.context import Call, request_id_header

__all__ = ["Frame", "SimulatedReset", "json_answer", "sse_answer"]

SSE_HEADERS = {"cache-control": "no-cache"}


class SimulatedReset(Exception):
    """Raised on purpose to drop the connection mid-body (fault `reset`)."""


@dataclass(frozen=True)
class Frame:
    data: bytes
    paced: bool = False  # a frame carrying output pieces waits its turn


def sse(data: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + orjson.dumps(data) + b"\n\n"


async def json_answer(
    call: Call, body: object, output_pieces: int, headers: dict[str, str]
) -> Response:
    delay_s = _total_delay_s(call.pace, output_pieces)
    if delay_s > 0:
        await asyncio.sleep(delay_s)
    payload = orjson.dumps(body)
    all_headers = {**request_id_header(call), **headers}
    if call.fault is Fault.RESET:
        chunks = [Frame(payload[: len(payload) // 2])]
        return StreamingResponse(
            _frames(chunks, Latency(), reset_after=1),
            media_type="application/json",
            headers=all_headers,
        )
    return Response(payload, media_type="application/json", headers=all_headers)


def sse_answer(call: Call, frames: Sequence[Frame], headers: dict[str, str]) -> StreamingResponse:
    reset_after = max(1, len(frames) // 2) if call.fault is Fault.RESET else None
    return StreamingResponse(
        _frames(frames, call.pace, reset_after),
        media_type="text/event-stream",
        headers={**SSE_HEADERS, **request_id_header(call), **headers},
    )


async def _frames(
    frames: Sequence[Frame], pace: Latency, reset_after: int | None
) -> AsyncIterator[bytes]:
    first_token = True
    for sent, frame in enumerate(frames):
        if reset_after is not None and sent >= reset_after:
            raise SimulatedReset("provider-sim: simulated connection reset (x-sim-fault)")
        if frame.paced:
            delay_s = pace.ttft_ms / 1000 if first_token else _gap_s(pace)
            first_token = False
            if delay_s > 0:
                await asyncio.sleep(delay_s)
        yield frame.data
    if reset_after is not None:
        raise SimulatedReset("provider-sim: simulated connection reset (x-sim-fault)")


def _gap_s(pace: Latency) -> float:
    return 1 / pace.tps if pace.tps > 0 else 0.0


def _total_delay_s(pace: Latency, output_pieces: int) -> float:
    return pace.ttft_ms / 1000 + max(0, output_pieces - 1) * _gap_s(pace)
