"""The `/v1/messages` surface (and `/v1/messages/count_tokens`, built with
`require_max_tokens=False`): a caller's Anthropic body as IR, and the IR answer as a
Message object or the Messages event stream that the official `anthropic` SDK accepts.
The translation lives in `wire.anthropic`; this module only frames it. Imports the
Anthropic format modules; no I/O.
"""

from __future__ import annotations

import orjson

from hicap.provider_egress.ir import ChatRequest, ChatResponse
from hicap.provider_egress.wire.anthropic.request import decode_request
from hicap.provider_egress.wire.anthropic.response import encode_response
from hicap.provider_egress.wire.anthropic.stream import AnthropicStreamEncoder
from hicap.provider_egress.wire.jsonview import parse_body

__all__ = ["AnthropicMessagesSurface"]


class AnthropicMessagesSurface:
    def __init__(self, *, require_max_tokens: bool = True) -> None:
        self._require_max_tokens = require_max_tokens

    def parse_request(self, body: bytes) -> ChatRequest:
        return decode_request(parse_body(body), require_max_tokens=self._require_max_tokens)

    def render_response(self, resp: ChatResponse, model: str) -> bytes:
        return orjson.dumps(encode_response(resp, model))

    def stream_encoder(self, req: ChatRequest) -> AnthropicStreamEncoder:
        return AnthropicStreamEncoder(req)

    def render_count_tokens(self, input_tokens: int) -> bytes:
        return orjson.dumps({"input_tokens": input_tokens})
