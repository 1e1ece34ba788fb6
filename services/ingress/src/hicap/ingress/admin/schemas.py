"""The admin API's request and response bodies (pydantic, so the OpenAPI document describes
them) and their conversion from auth's command replies. A response never holds a key or a
key hash, except `IssuedKey.key`, the full key shown once. Imports pydantic, the
generated messages and hicap.money only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hicap.events import auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.events.v1 import metering_commands_pb2 as metering
from hicap.money import format_usd

RoleName = Literal["owner", "admin", "member", "viewer"]
ROLE_BY_NAME: dict[RoleName, auth_pb2.Role] = {
    "owner": auth_pb2.ROLE_OWNER,
    "admin": auth_pb2.ROLE_ADMIN,
    "member": auth_pb2.ROLE_MEMBER,
    "viewer": auth_pb2.ROLE_VIEWER,
}
NAME_BY_ROLE: dict[int, RoleName] = {role: name for name, role in ROLE_BY_NAME.items()}
MAX_NAME_CHARS = 200
MAX_MODELS = 256

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]
ModelList = list[Name]


class _Body(BaseModel):
    """A request body: an unknown field is a mistake worth a 400, not silence."""

    model_config = ConfigDict(extra="forbid")


class Org(BaseModel):
    org_id: str
    name: str

    @classmethod
    def of(cls, org: cmd.OrgSummary) -> Org:
        return cls(org_id=org.org_id, name=org.name)


class Team(BaseModel):
    team_id: str
    name: str

    @classmethod
    def of(cls, team: cmd.TeamSummary) -> Team:
        return cls(team_id=team.team_id, name=team.name)


class TeamList(BaseModel):
    data: list[Team]


class App(BaseModel):
    app_id: str
    team_id: str
    name: str

    @classmethod
    def of(cls, app: cmd.AppSummary) -> App:
        return cls(app_id=app.app_id, team_id=app.team_id, name=app.name)


class AppList(BaseModel):
    data: list[App]


class Key(BaseModel):
    """A key as listed: its id and display prefix, never the key or its hash."""

    key_id: str
    name: str
    display_prefix: str
    role: RoleName
    team_id: str | None
    app_id: str | None
    allowed_models: ModelList = Field(description="Empty: every model the org may use.")
    revoked: bool

    @classmethod
    def of(cls, key: cmd.KeySummary) -> Key:
        return cls(
            key_id=key.key_id,
            name=key.name,
            display_prefix=key.display_prefix,
            role=NAME_BY_ROLE[key.role],
            team_id=key.team_id or None,
            app_id=key.app_id or None,
            allowed_models=list(key.allowed_models),
            revoked=key.revoked,
        )


class IssuedKey(Key):
    key: str = Field(description="The full API key. Shown once: it cannot be read again.")

    @classmethod
    def issued(cls, reply: cmd.IssueKeyReply) -> IssuedKey:
        return cls.model_validate({**Key.of(reply.summary).model_dump(), "key": reply.key.key})


class KeyList(BaseModel):
    data: list[Key]


class NewTeam(_Body):
    name: Name


class NewApp(_Body):
    name: Name


class NewKey(_Body):
    name: Name
    role: RoleName = "member"
    team_id: str | None = Field(None, description="Set for a member or viewer key of a team.")
    app_id: str | None = Field(None, description="Set (with team_id) to bind the key to an app.")
    allowed_models: ModelList = Field(default_factory=list, max_length=MAX_MODELS)


class KeyRevocation(_Body):
    reason: str = Field("", max_length=500)


class KeyRestriction(_Body):
    allowed_models: ModelList = Field(
        max_length=MAX_MODELS, description="Replaces the list; empty lifts the restriction."
    )


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# Usage (`admin/usage.py`): metering's aggregates as the admin API shows them.

GroupBy = Literal["model", "app", "team", "lane", "route", "key", "day"]
ExportFormat = Literal["csv", "jsonl"]


class UsageRow(BaseModel):
    """One group: its value under the dimension's own name (exactly one of `model` ... `day`
    is present), then the group's totals."""

    model: str | None = None
    app: str | None = None
    team: str | None = None
    lane: str | None = None
    route: str | None = None
    key: str | None = Field(None, description="A key id (never a key).")
    day: str | None = Field(None, description="A UTC day, 2026-11-24.")
    requests: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: str = Field(description="Decimal USD, six places: '1.250000'.")
    cost_micros: int = Field(description="The same cost in micro-dollars (1 USD = 1,000,000).")
    latency_p50_ms: float
    latency_p95_ms: float

    @classmethod
    def of(cls, group_by: GroupBy, group: metering.UsageGroup) -> UsageRow:
        return cls.model_validate(
            {
                group_by: group.key,
                "requests": group.requests,
                "input_tokens": group.input_tokens,
                "cached_input_tokens": group.cached_input_tokens,
                "output_tokens": group.output_tokens,
                "reasoning_tokens": group.reasoning_tokens,
                "cost_usd": format_usd(group.cost_micros),
                "cost_micros": group.cost_micros,
                "latency_p50_ms": group.latency_p50_ms,
                "latency_p95_ms": group.latency_p95_ms,
            }
        )


class UsageReport(BaseModel):
    data: list[UsageRow] = Field(description="One object per group, highest cost first.")


class UsageDeletion(BaseModel):
    org_id: str
    deleted: bool = Field(description="True: the org's usage rows are gone.")
