"""Walking the admin API from its own OpenAPI document: every (method, path) under
`/v1/admin/`, each turned into a concrete request with its path and query parameters and
its JSON body filled from the schema. Ids come from the caller (`org_id`, `team_id`, ...),
other values from the schema (its first example, its default or first enum value); a
parameter or an id-like field no filler knows makes the walk fail (`Unfillable`), so a new
route cannot slip past the cross-org test without a case. A route with no `{org_id}` in its
path answers for the org of the caller's key; one of those that names a resource in its
path (`/v1/admin/reservations/{reservation_id}`) answers for that resource of the caller's
org only. A route's `x-hicap-roles` names the only roles it serves (default: owner and
admin)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ADMIN_PREFIX = "/v1/admin/"
METHODS = ("get", "post", "put", "patch", "delete")
MANAGERS = ("owner", "admin")
Json = object  # a JSON value built from a schema
Schema = Mapping[str, object]


class Unfillable(AssertionError):
    """The walk met a parameter or field it cannot fill: teach it, do not skip the route."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: str  # "path" or "query"
    required: bool
    schema: Schema


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    params: tuple[Param, ...]
    body: Schema | None
    roles: tuple[str, ...] = MANAGERS  # the roles the route serves

    @property
    def of_callers_org(self) -> bool:
        """No org in the path: the route answers for the org of the caller's key."""
        return "{org_id}" not in self.path

    @property
    def names_a_resource(self) -> bool:
        """A path parameter names one resource (of the caller's org, when no org is named)."""
        return any(p.where == "path" for p in self.params)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass(slots=True)
class Call:
    method: str
    url: str
    query: dict[str, str] = field(default_factory=dict)
    body: Json | None = None
    ids_used: set[str] = field(default_factory=set)


def admin_operations(doc: Mapping[str, object]) -> list[Operation]:
    paths = doc["paths"]
    assert isinstance(paths, Mapping)
    ops = []
    for path, item in sorted(paths.items()):
        if not path.startswith(ADMIN_PREFIX):
            continue
        for method in METHODS:
            if method in item:
                ops.append(_operation(doc, method, path, item[method]))
    return ops


def _operation(doc: Mapping[str, object], method: str, path: str, op: Schema) -> Operation:
    params = tuple(
        Param(p["name"], p["in"], bool(p.get("required")), p.get("schema", {}))
        for p in op.get("parameters", [])  # type: ignore[attr-defined]  # JSON from OpenAPI
    )
    content = op.get("requestBody", {}).get("content", {})  # type: ignore[attr-defined]  # JSON
    schema = content.get("application/json", {}).get("schema") if content else None
    roles: tuple[str, ...] = tuple(op.get("x-hicap-roles", MANAGERS))  # type: ignore[arg-type]  # JSON
    return Operation(method, path, params, _resolve(doc, schema) if schema else None, roles)


def fill(doc: Mapping[str, object], op: Operation, ids: Mapping[str, str]) -> Call:
    """The request for `op` with every parameter and body field set, ids from `ids`."""
    call = Call(op.method.upper(), op.path)
    for p in op.params:
        if p.where == "path":
            if p.name not in ids:
                raise Unfillable(f"{op}: no value for the path parameter {p.name!r}")
            call.ids_used.add(p.name)
            call.url = call.url.replace("{" + p.name + "}", ids[p.name])
        elif p.where == "query":
            value = _example(doc, p.schema, p.name, ids, call.ids_used, str(op))
            call.query[p.name] = "true" if value is True else str(value)
        else:
            raise Unfillable(f"{op}: a {p.where} parameter {p.name!r}")
    if op.body is not None:
        call.body = _example(doc, op.body, "", ids, call.ids_used, str(op))
    return call


def _example(
    doc: Mapping[str, object], schema: Schema, name: str, ids: Mapping[str, str],
    used: set[str], where: str,
) -> Json:  # fmt: skip
    schema = _resolve(doc, schema)
    if schema.get("examples") and name not in ids and not name.endswith("_id"):
        return schema["examples"][0]  # type: ignore[index]  # JSON
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]  # type: ignore[attr-defined]  # JSON
        return _example(doc, options[0], name, ids, used, where)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        assert isinstance(props, Mapping)
        return {k: _example(doc, v, k, ids, used, where) for k, v in props.items()}
    if kind == "array":
        return [_example(doc, schema["items"], name, ids, used, where)]  # type: ignore[arg-type]  # JSON
    if kind == "string":
        return _string(schema, name, ids, used, where)
    if kind == "boolean":
        return True
    raise Unfillable(f"{where}: cannot fill field {name!r} of schema {dict(schema)}")


def _string(schema: Schema, name: str, ids: Mapping[str, str], used: set[str], where: str) -> str:
    if name in ids:
        used.add(name)
        return ids[name]
    if name.endswith("_id"):
        raise Unfillable(f"{where}: no id for the body field {name!r}")
    if "enum" in schema:
        enum = schema["enum"]
        assert isinstance(enum, list)
        return str(schema.get("default", enum[0]))
    return "gpt-4.1" if "model" in name else "walk"


def _resolve(doc: Mapping[str, object], schema: Schema) -> Schema:
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema
    node: object = doc
    for part in ref.removeprefix("#/").split("/"):
        assert isinstance(node, Mapping)
        node = node[part]
    assert isinstance(node, Mapping)
    return node
