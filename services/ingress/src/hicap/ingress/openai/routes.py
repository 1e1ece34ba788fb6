"""The OpenAI-compatible routes: `POST /v1/chat/completions` (relayed to provider-egress)
and `GET /v1/models`, `GET /v1/models/{id}` (the catalogue models the key may use). The
models routes serve both SDKs: Anthropic's shape when the call carries `anthropic-version`
(its SDK always does), OpenAI's otherwise. Plain Starlette routes (no FastAPI dependency
resolution on the hot path). Imports libs and ingress modules only.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hicap.catalog import Model
from hicap.events import egress_pb2
from hicap.ingress.anthropic import models as anthropic_models
from hicap.ingress.errors import ApiSurface
from hicap.ingress.relay import Relay, listed_since

__all__ = ["model_body", "model_list_body", "routes"]

JSON = "application/json"


def routes(relay: Relay) -> list[Route]:
    async def chat_completions(request: Request) -> Response:
        return await relay.handle(request, egress_pb2.SURFACE_OPENAI_CHAT, ApiSurface.OPENAI)

    async def list_models(request: Request) -> Response:
        models = relay.visible_models(relay.authenticate(request))
        if "anthropic-version" in request.headers:
            return Response(anthropic_models.model_list_body(models, request), media_type=JSON)
        return Response(model_list_body(models), media_type=JSON)

    async def get_model(request: Request) -> Response:
        key = relay.authenticate(request)
        model = relay.visible_model(key, request.path_params["model_id"])
        if "anthropic-version" in request.headers:
            return Response(anthropic_models.model_body(model), media_type=JSON)
        return Response(model_body(model), media_type=JSON)

    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
    ]


def model_list_body(models: list[Model]) -> bytes:
    return orjson.dumps({"object": "list", "data": [_model(m) for m in models]})


def model_body(model: Model) -> bytes:
    return orjson.dumps(_model(model))


def _model(model: Model) -> dict[str, object]:
    return {
        "id": model.name,
        "object": "model",
        "created": int(listed_since(model).timestamp()),
        "owned_by": model.provider,
    }
