"""Anthropic's shape of the models list (`{"data":[{"type":"model",...}],"has_more",
"first_id","last_id"}`, paged by `limit`, `after_id`, `before_id`) and of one model.
Which shape a call gets is decided by the `/v1/models` routes. Imports libs only.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.requests import Request

from hicap.catalog import Model
from hicap.errors import InvalidRequest
from hicap.ingress.relay import listed_since

__all__ = ["model_body", "model_list_body"]

DEFAULT_LIMIT, MAX_LIMIT = 20, 1000  # Anthropic's own


def model_list_body(models: list[Model], request: Request) -> bytes:
    page = _page(models, request)
    return orjson.dumps(
        {
            "data": [_model(m) for m in page.models],
            "has_more": page.has_more,
            "first_id": page.models[0].name if page.models else None,
            "last_id": page.models[-1].name if page.models else None,
        }
    )


def model_body(model: Model) -> bytes:
    return orjson.dumps(_model(model))


@dataclass(frozen=True, slots=True)
class _Page:
    models: list[Model]
    has_more: bool


def _page(models: list[Model], request: Request) -> _Page:
    limit = _limit(request.query_params.get("limit"))
    names = [m.name for m in models]
    after, before = request.query_params.get("after_id"), request.query_params.get("before_id")
    if before is not None:
        end = names.index(before) if before in names else 0
        start = max(0, end - limit)
        return _Page(models[start:end], start > 0)
    start = names.index(after) + 1 if after in names else 0
    return _Page(models[start : start + limit], start + limit < len(models))


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidRequest(f"limit: must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _model(model: Model) -> dict[str, object]:
    created = listed_since(model).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": "model", "id": model.name, "display_name": model.name, "created_at": created}
