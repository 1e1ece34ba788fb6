"""The Anthropic Messages wire format: request, response and stream translation in both
directions, and error classification; used by the Anthropic adapter and surface."""

from __future__ import annotations

from hicap.provider_egress.wire.anthropic.adapter import AnthropicAdapter

__all__ = ["AnthropicAdapter"]
