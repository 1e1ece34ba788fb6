"""The OpenAI Chat Completions adapter, also serving OpenAI-compatible providers (vLLM and
the clouds that copy the API): base URL with `/v1`, path `/chat/completions`,
`Authorization: Bearer`. The two kinds differ only in the field carrying the output cap
(`max_completion_tokens` for OpenAI, `max_tokens` for compatible servers). Streaming
requests always ask for `stream_options.include_usage`. OpenAI has no token-counting
endpoint: callers count locally (`wire.estimate`). Imports the OpenAI format modules and
the interfaces; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from hicap.errors import HicapError
from hicap.provider_egress.ir import ChatRequest, ChatResponse
from hicap.provider_egress.wire.base import Capabilities, ProviderKind, UpstreamRequest
from hicap.provider_egress.wire.jsonview import parse_upstream
from hicap.provider_egress.wire.openai.errors import classify_error
from hicap.provider_egress.wire.openai.request import encode_request
from hicap.provider_egress.wire.openai.response import decode_response
from hicap.provider_egress.wire.openai.stream import OpenAIStreamDecoder

__all__ = ["OpenAIAdapter"]

_JSON = (("content-type", "application/json"),)


class OpenAIAdapter:
    def __init__(
        self,
        kind: ProviderKind = ProviderKind.OPENAI,
        max_tokens_field: str = "max_completion_tokens",
    ) -> None:
        self.kind = kind
        self.capabilities = Capabilities(count_tokens=False)
        self._max_tokens_field = max_tokens_field

    def build_request(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest:
        body = encode_request(req, upstream_model, self._max_tokens_field)
        return UpstreamRequest("/chat/completions", orjson.dumps(body), _JSON, req.stream)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def parse_response(self, body: bytes) -> ChatResponse:
        return decode_response(parse_upstream(body))

    def stream_decoder(self) -> OpenAIStreamDecoder:
        return OpenAIStreamDecoder(self.kind.value)

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> HicapError:
        return classify_error(self.kind.value, status, headers, body)

    def build_count_tokens(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest | None:
        return None

    def parse_count_tokens(self, body: bytes) -> int:
        return parse_upstream(body)["input_tokens"].integer()
