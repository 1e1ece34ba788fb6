"""The Anthropic Messages adapter: base URL without `/v1`, paths `/v1/messages` and
`/v1/messages/count_tokens`, headers `x-api-key` and `anthropic-version: 2023-06-01`.
The translation lives in the sibling modules. Imports them and the interfaces; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from hicap.errors import HicapError
from hicap.provider_egress.ir import ChatRequest, ChatResponse
from hicap.provider_egress.wire.anthropic.errors import classify_error
from hicap.provider_egress.wire.anthropic.request import DEFAULT_MAX_TOKENS, encode_request
from hicap.provider_egress.wire.anthropic.response import decode_response
from hicap.provider_egress.wire.anthropic.stream import AnthropicStreamDecoder
from hicap.provider_egress.wire.base import Capabilities, ProviderKind, UpstreamRequest
from hicap.provider_egress.wire.jsonview import parse_upstream

__all__ = ["ANTHROPIC_VERSION", "AnthropicAdapter"]

ANTHROPIC_VERSION = "2023-06-01"
_HEADERS = (("content-type", "application/json"), ("anthropic-version", ANTHROPIC_VERSION))
_NOT_COUNTED = ("max_tokens", "stream", "temperature", "top_p", "stop_sequences", "metadata")


class AnthropicAdapter:
    def __init__(self, default_max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        self.kind = ProviderKind.ANTHROPIC
        self.capabilities = Capabilities(count_tokens=True)
        self._default_max_tokens = default_max_tokens

    def build_request(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest:
        body = encode_request(req, upstream_model, self._default_max_tokens)
        return UpstreamRequest("/v1/messages", orjson.dumps(body), _HEADERS, req.stream)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key}

    def parse_response(self, body: bytes) -> ChatResponse:
        return decode_response(parse_upstream(body))

    def stream_decoder(self) -> AnthropicStreamDecoder:
        return AnthropicStreamDecoder()

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> HicapError:
        return classify_error(status, headers, body)

    def build_count_tokens(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest:
        body = encode_request(req, upstream_model)
        for field in _NOT_COUNTED:  # count_tokens takes the messages body minus these
            body.pop(field, None)
        return UpstreamRequest("/v1/messages/count_tokens", orjson.dumps(body), _HEADERS)

    def parse_count_tokens(self, body: bytes) -> int:
        return parse_upstream(body)["input_tokens"].integer()
