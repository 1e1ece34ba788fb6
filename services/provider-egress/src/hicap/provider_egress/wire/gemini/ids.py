"""Tool-call ids for Gemini, whose function calls may carry none: a stable id made from
the call's position, name and arguments, so the same answer always gets the same ids
(a parsed response and a decoded stream agree). Imports the standard library only.
"""

from __future__ import annotations

import hashlib

__all__ = ["synthesize_call_id"]


def synthesize_call_id(index: int, name: str, arguments: str) -> str:
    digest = hashlib.sha256(f"{index}\x00{name}\x00{arguments}".encode()).hexdigest()
    return f"call_{digest[:24]}"
