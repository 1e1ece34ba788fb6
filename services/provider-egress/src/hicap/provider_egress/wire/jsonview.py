"""Typed, path-aware reading of decoded JSON: the one place wire code meets untyped values.

A `JsonView` wraps a value decoded by orjson together with its path (`messages[2].role`)
and the error class to raise when the value has the wrong shape: `InvalidRequest` for a
caller's body (the message names the field), `UpstreamFailed` for a provider's answer. A
missing key reads as null. Also `dumps` (compact orjson text) and `loads_object`. Imports orjson, the IR's
`Json` alias and hicap.errors only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import orjson

from hicap.errors import HicapError, InvalidRequest, UpstreamFailed
from hicap.provider_egress.ir import Json

__all__ = ["JsonView", "dumps", "loads_object", "parse_body", "parse_upstream"]


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def loads_object(text: str) -> dict[str, Json] | None:
    """JSON text holding an object (tool-call arguments) as a dict; None otherwise.
    Empty text reads as {}."""
    try:
        value = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return None
    return cast("dict[str, Json]", value) if isinstance(value, dict) else None


def parse_body(body: bytes) -> JsonView:
    """A caller's JSON object; InvalidRequest when it is not one."""
    return _parse(body, InvalidRequest, "the request body")


def parse_upstream(body: bytes) -> JsonView:
    """A provider's JSON object; UpstreamFailed when it is not one."""
    return _parse(body, UpstreamFailed, "the provider's answer")


def _parse(body: bytes, error: type[HicapError], what: str) -> JsonView:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise error(f"{what} is not valid JSON") from None
    view = JsonView(value, "", error)
    if not isinstance(value, dict):
        raise error(f"{what} must be a JSON object")
    return view


class JsonView:
    __slots__ = ("error", "path", "value")

    def __init__(self, value: object, path: str, error: type[HicapError]) -> None:
        self.value = value
        self.path = path
        self.error = error

    def __getitem__(self, key: str) -> JsonView:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return JsonView(value, f"{self.path}.{key}" if self.path else key, self.error)

    def fail(self, what: str) -> HicapError:
        return self.error(f"`{self.path or 'body'}` {what}")

    @property
    def is_null(self) -> bool:
        return self.value is None

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def items(self) -> list[JsonView]:
        """The elements of an array (a null reads as empty)."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.fail("must be an array")
        return [JsonView(v, f"{self.path}[{i}]", self.error) for i, v in enumerate(self.value)]

    def entries(self) -> Iterator[tuple[str, JsonView]]:
        if not isinstance(self.value, dict):
            return iter(())
        return ((str(k), self[str(k)]) for k in self.value)

    def text(self, default: str | None = None) -> str:
        if isinstance(self.value, str):
            return self.value
        if self.value is None and default is not None:
            return default
        raise self.fail("must be a string")

    def opt_text(self) -> str | None:
        return None if self.value is None else self.text()

    def opt_integer(self) -> int | None:
        if self.value is None:
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("must be an integer")
        return self.value

    def integer(self, default: int = 0) -> int:
        found = self.opt_integer()
        return default if found is None else found

    def opt_number(self) -> float | None:
        if self.value is None:
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise self.fail("must be a number")
        return float(self.value)

    def flag(self, default: bool = False) -> bool:
        if self.value is None:
            return default
        if not isinstance(self.value, bool):
            raise self.fail("must be a boolean")
        return self.value

    def object(self) -> JsonView:
        """This view, checked to be an object (null is refused)."""
        if not isinstance(self.value, dict):
            raise self.fail("must be an object")
        return self

    def json(self) -> Json:
        """The value as-is, for pass-through JSON (schemas, tool arguments)."""
        return cast(Json, self.value)
