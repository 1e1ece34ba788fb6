"""Image URLs as the IR carries them (`https://...` or `data:<type>;base64,<data>`), split
into the media type and base64 data the Anthropic and Gemini formats want, and back.
Imports nothing but the standard library.
"""

from __future__ import annotations

import mimetypes

__all__ = ["data_url", "guess_media_type", "split_data_url"]


def split_data_url(url: str) -> tuple[str, str] | None:
    """`(media_type, base64 data)` of a base64 data URL; None for any other URL."""
    if not url.startswith("data:"):
        return None
    head, sep, data = url[5:].partition(",")
    if not sep or not head.endswith(";base64"):
        return None
    return head[: -len(";base64")] or "application/octet-stream", data


def data_url(media_type: str, data: str) -> str:
    return f"data:{media_type};base64,{data}"


def guess_media_type(url: str) -> str:
    guessed, _ = mimetypes.guess_type(url.split("?", 1)[0])
    return guessed or "image/jpeg"
