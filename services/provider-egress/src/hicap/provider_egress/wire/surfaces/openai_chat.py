"""The `/v1/chat/completions` surface: a caller's OpenAI chat body as IR, and the IR answer
as a `chat.completion` object or a `chat.completion.chunk` stream that the official
`openai` SDK accepts. The translation lives in `wire.openai`; this module only frames it.
Imports the OpenAI format modules; no I/O.
"""

from __future__ import annotations

import orjson

from hicap.provider_egress.ir import ChatRequest, ChatResponse
from hicap.provider_egress.wire.jsonview import parse_body
from hicap.provider_egress.wire.openai.request import decode_request
from hicap.provider_egress.wire.openai.response import encode_response
from hicap.provider_egress.wire.openai.stream import OpenAIStreamEncoder

__all__ = ["OpenAIChatSurface"]


class OpenAIChatSurface:
    def parse_request(self, body: bytes) -> ChatRequest:
        return decode_request(parse_body(body))

    def render_response(self, resp: ChatResponse, model: str) -> bytes:
        return orjson.dumps(encode_response(resp, model))

    def stream_encoder(self, req: ChatRequest) -> OpenAIStreamEncoder:
        return OpenAIStreamEncoder(req)

    def render_count_tokens(self, input_tokens: int) -> bytes:
        # OpenAI has no counting endpoint; answer in Anthropic's shape, the only caller's.
        return orjson.dumps({"input_tokens": input_tokens})
