"""JSON Schema to Gemini's schema dialect (the OpenAPI 3.0 subset `parameters` and
`responseSchema` accept), and back for round trips.

Gemini refuses keys it does not know, so only its keys are kept (`additionalProperties`,
`$schema`, `strict`, `examples`... are dropped); local `$ref`s into `$defs`/`definitions`
are inlined (to a depth of 8); `const` becomes a one-value `enum`; a type list such as
`["string", "null"]` becomes `type` + `nullable`; type names are upper-cased. Imports the
IR's `Json` alias only.
"""

from __future__ import annotations

from hicap.provider_egress.ir import Json

__all__ = ["from_gemini_schema", "to_gemini_schema"]

_KEEP = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
        "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
        "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum",
        "maximum",
    }
)  # fmt: skip
_MAX_REF_DEPTH = 8


def to_gemini_schema(schema: Json) -> Json:
    if not isinstance(schema, dict):
        return schema
    defs = schema.get("$defs") or schema.get("definitions") or {}
    return _convert(schema, defs if isinstance(defs, dict) else {}, 0)


def _convert(node: Json, defs: dict[str, Json], depth: int) -> Json:
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and depth < _MAX_REF_DEPTH:
        return _convert(defs.get(ref.rsplit("/", 1)[-1], {}), defs, depth + 1)
    out: dict[str, Json] = {}
    for key, value in node.items():
        if key == "const":
            out["enum"] = [value]
        elif key == "type":
            out |= _type(value)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: _convert(v, defs, depth) for k, v in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = _convert_any(value, defs, depth)
        elif key in _KEEP:
            out[key] = value
    return out


def _convert_any(value: Json, defs: dict[str, Json], depth: int) -> Json:
    if isinstance(value, list):
        return [_convert(v, defs, depth) for v in value]
    return _convert(value, defs, depth)


def _type(value: Json) -> dict[str, Json]:
    if isinstance(value, str):
        return {"type": value.upper()}
    if not isinstance(value, list):
        return {}
    named = [v for v in value if isinstance(v, str) and v != "null"]
    out: dict[str, Json] = {"type": named[0].upper()} if named else {}
    return out | {"nullable": True} if "null" in value else out


def from_gemini_schema(schema: Json) -> Json:
    """Gemini's schema with JSON Schema's lower-case type names."""
    if isinstance(schema, list):
        return [from_gemini_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Json] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: from_gemini_schema(v) for k, v in value.items()}
        else:
            out[key] = from_gemini_schema(value) if key in ("items", "anyOf") else value
    return out
