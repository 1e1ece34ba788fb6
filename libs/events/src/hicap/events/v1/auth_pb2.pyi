import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_OWNER: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]
    ROLE_MEMBER: _ClassVar[Role]
    ROLE_VIEWER: _ClassVar[Role]
ROLE_UNSPECIFIED: Role
ROLE_OWNER: Role
ROLE_ADMIN: Role
ROLE_MEMBER: Role
ROLE_VIEWER: Role

class OrgCreated(_message.Message):
    __slots__ = ("org_id", "name")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    name: str
    def __init__(self, org_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class TeamCreated(_message.Message):
    __slots__ = ("org_id", "team_id", "name")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    name: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class AppCreated(_message.Message):
    __slots__ = ("org_id", "team_id", "app_id", "name")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    app_id: str
    name: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ..., app_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class KeyIssued(_message.Message):
    __slots__ = ("org_id", "key_id", "team_id", "app_id", "role", "key_hash", "display_prefix", "allowed_models", "name", "expires_at")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    KEY_HASH_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    key_id: str
    team_id: str
    app_id: str
    role: Role
    key_hash: bytes
    display_prefix: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    name: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, org_id: _Optional[str] = ..., key_id: _Optional[str] = ..., team_id: _Optional[str] = ..., app_id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., key_hash: _Optional[bytes] = ..., display_prefix: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., name: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class KeyRevoked(_message.Message):
    __slots__ = ("org_id", "key_id", "reason")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    key_id: str
    reason: str
    def __init__(self, org_id: _Optional[str] = ..., key_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class KeyRestricted(_message.Message):
    __slots__ = ("org_id", "key_id", "allowed_models")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    key_id: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, org_id: _Optional[str] = ..., key_id: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ...) -> None: ...
