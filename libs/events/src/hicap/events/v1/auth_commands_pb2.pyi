from hicap.events.v1 import auth_pb2 as _auth_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Actor(_message.Message):
    __slots__ = ("org_id", "key_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    key_id: str
    def __init__(self, org_id: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class IssuedKey(_message.Message):
    __slots__ = ("key_id", "key", "display_prefix")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    key: str
    display_prefix: str
    def __init__(self, key_id: _Optional[str] = ..., key: _Optional[str] = ..., display_prefix: _Optional[str] = ...) -> None: ...

class CreateOrg(_message.Message):
    __slots__ = ("name", "owner_key_name")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_KEY_NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner_key_name: str
    def __init__(self, name: _Optional[str] = ..., owner_key_name: _Optional[str] = ...) -> None: ...

class CreateOrgReply(_message.Message):
    __slots__ = ("org_id", "owner_key")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_KEY_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    owner_key: IssuedKey
    def __init__(self, org_id: _Optional[str] = ..., owner_key: _Optional[_Union[IssuedKey, _Mapping]] = ...) -> None: ...

class CreateTeam(_message.Message):
    __slots__ = ("actor", "name")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    name: str
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class CreateTeamReply(_message.Message):
    __slots__ = ("team_id", "team")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    team: TeamSummary
    def __init__(self, team_id: _Optional[str] = ..., team: _Optional[_Union[TeamSummary, _Mapping]] = ...) -> None: ...

class CreateApp(_message.Message):
    __slots__ = ("actor", "team_id", "name")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    team_id: str
    name: str
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., team_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class CreateAppReply(_message.Message):
    __slots__ = ("app_id", "app")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    app: AppSummary
    def __init__(self, app_id: _Optional[str] = ..., app: _Optional[_Union[AppSummary, _Mapping]] = ...) -> None: ...

class IssueKey(_message.Message):
    __slots__ = ("actor", "team_id", "app_id", "role", "allowed_models", "name")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    team_id: str
    app_id: str
    role: _auth_pb2.Role
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    name: str
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., team_id: _Optional[str] = ..., app_id: _Optional[str] = ..., role: _Optional[_Union[_auth_pb2.Role, str]] = ..., allowed_models: _Optional[_Iterable[str]] = ..., name: _Optional[str] = ...) -> None: ...

class IssueKeyReply(_message.Message):
    __slots__ = ("key", "summary")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    key: IssuedKey
    summary: KeySummary
    def __init__(self, key: _Optional[_Union[IssuedKey, _Mapping]] = ..., summary: _Optional[_Union[KeySummary, _Mapping]] = ...) -> None: ...

class RevokeKey(_message.Message):
    __slots__ = ("actor", "key_id", "reason")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    key_id: str
    reason: str
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., key_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeKeyReply(_message.Message):
    __slots__ = ("key_id", "key")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    key: KeySummary
    def __init__(self, key_id: _Optional[str] = ..., key: _Optional[_Union[KeySummary, _Mapping]] = ...) -> None: ...

class ListKeys(_message.Message):
    __slots__ = ("actor", "team_id", "app_id", "include_revoked")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    team_id: str
    app_id: str
    include_revoked: bool
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., team_id: _Optional[str] = ..., app_id: _Optional[str] = ..., include_revoked: _Optional[bool] = ...) -> None: ...

class KeySummary(_message.Message):
    __slots__ = ("key_id", "name", "display_prefix", "role", "team_id", "app_id", "allowed_models", "revoked")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    name: str
    display_prefix: str
    role: _auth_pb2.Role
    team_id: str
    app_id: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    revoked: bool
    def __init__(self, key_id: _Optional[str] = ..., name: _Optional[str] = ..., display_prefix: _Optional[str] = ..., role: _Optional[_Union[_auth_pb2.Role, str]] = ..., team_id: _Optional[str] = ..., app_id: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., revoked: _Optional[bool] = ...) -> None: ...

class ListKeysReply(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[KeySummary]
    def __init__(self, keys: _Optional[_Iterable[_Union[KeySummary, _Mapping]]] = ...) -> None: ...

class OrgSummary(_message.Message):
    __slots__ = ("org_id", "name")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    name: str
    def __init__(self, org_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class TeamSummary(_message.Message):
    __slots__ = ("team_id", "name")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    name: str
    def __init__(self, team_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class AppSummary(_message.Message):
    __slots__ = ("app_id", "team_id", "name")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    team_id: str
    name: str
    def __init__(self, app_id: _Optional[str] = ..., team_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetOrg(_message.Message):
    __slots__ = ("actor",)
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ...) -> None: ...

class GetOrgReply(_message.Message):
    __slots__ = ("org",)
    ORG_FIELD_NUMBER: _ClassVar[int]
    org: OrgSummary
    def __init__(self, org: _Optional[_Union[OrgSummary, _Mapping]] = ...) -> None: ...

class ListTeams(_message.Message):
    __slots__ = ("actor",)
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ...) -> None: ...

class ListTeamsReply(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[TeamSummary]
    def __init__(self, teams: _Optional[_Iterable[_Union[TeamSummary, _Mapping]]] = ...) -> None: ...

class GetTeam(_message.Message):
    __slots__ = ("actor", "team_id")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    team_id: str
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., team_id: _Optional[str] = ...) -> None: ...

class GetTeamReply(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: TeamSummary
    def __init__(self, team: _Optional[_Union[TeamSummary, _Mapping]] = ...) -> None: ...

class ListApps(_message.Message):
    __slots__ = ("actor", "team_id")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    team_id: str
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., team_id: _Optional[str] = ...) -> None: ...

class ListAppsReply(_message.Message):
    __slots__ = ("apps",)
    APPS_FIELD_NUMBER: _ClassVar[int]
    apps: _containers.RepeatedCompositeFieldContainer[AppSummary]
    def __init__(self, apps: _Optional[_Iterable[_Union[AppSummary, _Mapping]]] = ...) -> None: ...

class GetKey(_message.Message):
    __slots__ = ("actor", "key_id")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    key_id: str
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., key_id: _Optional[str] = ...) -> None: ...

class GetKeyReply(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: KeySummary
    def __init__(self, key: _Optional[_Union[KeySummary, _Mapping]] = ...) -> None: ...

class RestrictKey(_message.Message):
    __slots__ = ("actor", "key_id", "allowed_models")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    actor: Actor
    key_id: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, actor: _Optional[_Union[Actor, _Mapping]] = ..., key_id: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ...) -> None: ...

class RestrictKeyReply(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: KeySummary
    def __init__(self, key: _Optional[_Union[KeySummary, _Mapping]] = ...) -> None: ...
