"""The Anthropic-compatible routes: `POST /v1/messages` and `POST /v1/messages/count_tokens`
(the Anthropic SDK's base URL has no `/v1`, so these are its paths), relayed to
provider-egress; errors in Anthropic's format. `GET /v1/models` is served by the OpenAI
routes in Anthropic's shape when the call carries `anthropic-version`. Imports libs and
ingress modules only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hicap.events import egress_pb2
from hicap.ingress.errors import ApiSurface
from hicap.ingress.relay import Relay

__all__ = ["routes"]


def routes(relay: Relay) -> list[Route]:
    async def messages(request: Request) -> Response:
        surface = egress_pb2.SURFACE_ANTHROPIC_MESSAGES
        return await relay.handle(request, surface, ApiSurface.ANTHROPIC)

    async def count_tokens(request: Request) -> Response:
        surface = egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS
        return await relay.handle(request, surface, ApiSurface.ANTHROPIC)

    return [
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
    ]
