"""An in-memory HTTP transport for the official SDKs: each request body is parsed by a
surface codec and answered with a fixed IR answer rendered by that codec, so the tests
see exactly what the `openai` and `anthropic` SDKs make of our bytes. No sockets."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2

from hicap.provider_egress.ir import ChatRequest, ChatResponse, StreamEvent
from hicap.provider_egress.wire.base import SurfaceCodec


@dataclass
class FakeGateway:
    codec: SurfaceCodec
    answer: ChatResponse
    events: list[StreamEvent]
    count: int = 0
    seen: list[ChatRequest] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        req = self.codec.parse_request(request.content)
        self.seen.append(req)
        if request.url.path.endswith("/count_tokens"):
            return httpx2.Response(200, content=self.codec.render_count_tokens(self.count))
        if not req.stream:
            body = self.codec.render_response(self.answer, req.model)
            return httpx2.Response(200, content=body, headers={"content-type": "application/json"})
        encoder = self.codec.stream_encoder(req)
        raw = b"".join(encoder.encode(e) for e in self.events) + encoder.close()
        return httpx2.Response(200, content=raw, headers={"content-type": "text/event-stream"})

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handle))
