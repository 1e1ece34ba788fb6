"""The Gemini generateContent wire format: request, response and stream translation in
both directions, schema dialect and error classification; used by the Gemini adapter."""

from __future__ import annotations

from hicap.provider_egress.wire.gemini.adapter import GeminiAdapter

__all__ = ["GeminiAdapter"]
