"""The Gemini generateContent adapter: base URL without a version, paths
`/v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
`:countTokens`, header `x-goog-api-key`. The translation lives in the sibling modules.
Imports them and the interfaces; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

import orjson

from hicap.errors import HicapError
from hicap.provider_egress.ir import ChatRequest, ChatResponse
from hicap.provider_egress.wire.base import Capabilities, ProviderKind, UpstreamRequest
from hicap.provider_egress.wire.gemini.errors import classify_error
from hicap.provider_egress.wire.gemini.request import encode_contents, encode_request
from hicap.provider_egress.wire.gemini.response import decode_response
from hicap.provider_egress.wire.gemini.stream import GeminiStreamDecoder
from hicap.provider_egress.wire.jsonview import parse_upstream

__all__ = ["GeminiAdapter"]

_JSON = (("content-type", "application/json"),)


def _model_path(upstream_model: str, action: str) -> str:
    model = upstream_model.removeprefix("models/")
    return f"/v1beta/models/{quote(model, safe='')}:{action}"


class GeminiAdapter:
    def __init__(self) -> None:
        self.kind = ProviderKind.GEMINI
        self.capabilities = Capabilities(count_tokens=True)

    def build_request(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest:
        action = "streamGenerateContent?alt=sse" if req.stream else "generateContent"
        body = orjson.dumps(encode_request(req))
        return UpstreamRequest(_model_path(upstream_model, action), body, _JSON, req.stream)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-goog-api-key": api_key}

    def parse_response(self, body: bytes) -> ChatResponse:
        return decode_response(parse_upstream(body))

    def stream_decoder(self) -> GeminiStreamDecoder:
        return GeminiStreamDecoder()

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> HicapError:
        return classify_error(status, headers, body)

    def build_count_tokens(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest:
        model = upstream_model.removeprefix("models/")
        inner = {"model": f"models/{model}"} | encode_contents(req)
        body = orjson.dumps({"generateContentRequest": inner})
        return UpstreamRequest(_model_path(upstream_model, "countTokens"), body, _JSON)

    def parse_count_tokens(self, body: bytes) -> int:
        return parse_upstream(body)["totalTokens"].integer()
