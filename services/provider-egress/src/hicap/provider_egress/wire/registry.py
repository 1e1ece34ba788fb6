"""The one place that maps a provider kind to its adapter and an API surface to its codec.

`adapter_for(kind)` and `surface_for(surface)` never raise KeyError: an unknown kind or
surface is an `InvalidRequest`. This is the only module allowed to know which provider
is which (no `if provider == ...` anywhere else). Imports the wire packages, the
generated `Surface` enum and hicap.errors; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hicap.errors import InvalidRequest
from hicap.events.v1.egress_pb2 import Surface
from hicap.provider_egress.wire.anthropic import AnthropicAdapter
from hicap.provider_egress.wire.base import Adapter, ProviderKind, SurfaceCodec
from hicap.provider_egress.wire.gemini import GeminiAdapter
from hicap.provider_egress.wire.openai import OpenAIAdapter
from hicap.provider_egress.wire.surfaces.anthropic_messages import AnthropicMessagesSurface
from hicap.provider_egress.wire.surfaces.openai_chat import OpenAIChatSurface

__all__ = ["ADAPTERS", "SURFACES", "adapter_for", "surface_for"]

ADAPTERS: Mapping[ProviderKind, Adapter] = MappingProxyType(
    {
        ProviderKind.OPENAI: OpenAIAdapter(ProviderKind.OPENAI, "max_completion_tokens"),
        # vLLM and most OpenAI-compatible clouds still expect the older `max_tokens`.
        ProviderKind.OPENAI_COMPATIBLE: OpenAIAdapter(ProviderKind.OPENAI_COMPATIBLE, "max_tokens"),
        ProviderKind.ANTHROPIC: AnthropicAdapter(),
        ProviderKind.GEMINI: GeminiAdapter(),
    }
)

SURFACES: Mapping[int, SurfaceCodec] = MappingProxyType(
    {
        Surface.SURFACE_OPENAI_CHAT: OpenAIChatSurface(),
        Surface.SURFACE_ANTHROPIC_MESSAGES: AnthropicMessagesSurface(),
        # count_tokens takes a messages body without max_tokens; answers render_count_tokens
        Surface.SURFACE_ANTHROPIC_COUNT_TOKENS: AnthropicMessagesSurface(require_max_tokens=False),
    }
)


def adapter_for(kind: ProviderKind | str) -> Adapter:
    """The adapter for a provider kind; InvalidRequest when there is none."""
    try:
        return ADAPTERS[ProviderKind(kind)]
    except (KeyError, ValueError):
        raise InvalidRequest(f"unknown provider kind {str(kind)[:64]!r}") from None


def surface_for(surface: int) -> SurfaceCodec:
    """The codec for a `hicap.events.v1.egress_pb2.Surface` value; InvalidRequest when none."""
    codec = SURFACES.get(surface)
    if codec is None:
        raise InvalidRequest(f"unknown API surface {surface}")
    return codec
