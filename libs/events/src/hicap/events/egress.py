"""The frames of the hot path's reply from provider-egress to ingress (see egress.proto).

Each data frame starts with one tag byte: `H` the head (EgressHead), `B` body bytes in the
caller's wire format, `T` the trailer (EgressTrailer); or `A`, a whole non-streamed answer
(EgressAnswer) in one frame. Both sides use these helpers, so
the tags live in one place. Imports only the generated messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from hicap.events.v1 import egress_pb2

__all__ = [
    "ANSWER",
    "BODY",
    "HEAD",
    "TRAILER",
    "Frame",
    "answer_frame",
    "body_frame",
    "egress_subject",
    "head_frame",
    "parse_frame",
    "trailer_frame",
]

HEAD, BODY, TRAILER, ANSWER = b"H"[0], b"B"[0], b"T"[0], b"A"[0]


def egress_subject(provider: str) -> str:
    """`hicap.egress.<provider>`; a provider kind such as `openai-compatible` is one token."""
    return f"hicap.egress.{provider}"


def head_frame(head: egress_pb2.EgressHead) -> bytes:
    return b"H" + head.SerializeToString()


def body_frame(data: bytes) -> bytes:
    return b"B" + data


def answer_frame(answer: egress_pb2.EgressAnswer) -> bytes:
    return b"A" + answer.SerializeToString()


def trailer_frame(trailer: egress_pb2.EgressTrailer) -> bytes:
    return b"T" + trailer.SerializeToString()


@dataclass(frozen=True, slots=True)
class Frame:
    tag: int
    data: bytes


def parse_frame(frame: bytes) -> Frame:
    """Split a frame into its tag and payload; an empty frame is a ValueError."""
    if not frame:
        raise ValueError("empty egress frame")
    return Frame(frame[0], frame[1:])
