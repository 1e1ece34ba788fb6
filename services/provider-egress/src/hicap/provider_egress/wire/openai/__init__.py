"""The OpenAI Chat Completions wire format: request, response and stream translation in
both directions, and error classification; used by the OpenAI and OpenAI-compatible
adapters and by the OpenAI chat surface."""

from __future__ import annotations

from hicap.provider_egress.wire.openai.adapter import OpenAIAdapter

__all__ = ["OpenAIAdapter"]
