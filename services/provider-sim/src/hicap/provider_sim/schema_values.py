"""A deterministic JSON value valid against a (simple) JSON Schema.

Handles `type` (object, array, string, number, integer, boolean, null, or a list of them;
Gemini's upper-case OpenAPI spellings too), `enum`, `const`, `anyOf`/`oneOf`/`allOf`
(first branch), local `$ref` into `$defs`/`definitions`, min/max bounds and item counts.
Every declared property is produced, so strict schemas are met. Pure; no I/O.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["JsonValue", "value_for_schema"]

JsonValue = Any  # what orjson.loads returns; narrowed by the isinstance checks below

WORDS = ("alpha", "bravo", "cedar", "delta", "ember", "fjord", "grove", "harbor")
MAX_DEPTH = 8


def value_for_schema(schema: JsonValue, rng: random.Random) -> JsonValue:
    root = schema if isinstance(schema, dict) else {}
    return _value(root, root, rng, 0)


def _value(
    schema: dict[str, JsonValue], root: dict[str, JsonValue], rng: random.Random, depth: int
) -> JsonValue:
    schema = _resolve(schema, root, depth)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf", "allOf", "any_of"):
        options = schema.get(key)
        if isinstance(options, list) and options and isinstance(options[0], dict):
            return _value(options[0], root, rng, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, root, rng, depth)
    if kind == "array":
        return _array(schema, root, rng, depth)
    return _scalar(kind, schema, rng)


def _resolve(
    schema: dict[str, JsonValue], root: dict[str, JsonValue], depth: int
) -> dict[str, JsonValue]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/") or depth > MAX_DEPTH:
        return schema
    node: JsonValue = root
    for part in ref[2:].split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _type_of(schema: dict[str, JsonValue]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str) and k.lower() != "null"), "null")
    if isinstance(kind, str):
        return kind.lower()
    if "properties" in schema:
        return "object"
    return "array" if "items" in schema else "string"


def _object(
    schema: dict[str, JsonValue], root: dict[str, JsonValue], rng: random.Random, depth: int
) -> JsonValue:
    properties = schema.get("properties")
    if not isinstance(properties, dict) or depth > MAX_DEPTH:
        return {}
    return {
        name: _value(sub if isinstance(sub, dict) else {}, root, rng, depth + 1)
        for name, sub in properties.items()
    }


def _array(
    schema: dict[str, JsonValue], root: dict[str, JsonValue], rng: random.Random, depth: int
) -> JsonValue:
    items = schema.get("items")
    low = _int(schema.get("minItems", schema.get("min_items")), 1)
    high = _int(schema.get("maxItems", schema.get("max_items")), max(low, 2))
    count = min(max(low, 1 + rng.randrange(2)), high)
    if depth > MAX_DEPTH:
        return []
    sub = items if isinstance(items, dict) else {}
    return [_value(sub, root, rng, depth + 1) for _ in range(count)]


def _scalar(kind: str, schema: dict[str, JsonValue], rng: random.Random) -> JsonValue:
    if kind == "integer":
        low = _int(schema.get("minimum"), 0)
        return rng.randint(low, max(low, _int(schema.get("maximum"), low + 100)))
    if kind == "number":
        floor = float(_int(schema.get("minimum"), 0))
        ceiling = max(floor, float(_int(schema.get("maximum"), int(floor) + 100)))
        return round(rng.uniform(floor, ceiling), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    text = rng.choice(WORDS)
    min_length = _int(schema.get("minLength", schema.get("min_length")), 0)
    return text.ljust(min_length, "x")


def _int(value: JsonValue, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        return int(value)
    except ValueError:
        return default
