"""The admin API's request and response bodies (pydantic, so the OpenAPI document describes
them) and their conversion from auth's command replies. A response never holds a key or a
key hash, except `IssuedKey.key`, the full key shown once. Imports pydantic and the
generated messages only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hicap.events import auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd

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
