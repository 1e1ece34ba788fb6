from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Surface(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SURFACE_UNSPECIFIED: _ClassVar[Surface]
    SURFACE_OPENAI_CHAT: _ClassVar[Surface]
    SURFACE_ANTHROPIC_MESSAGES: _ClassVar[Surface]
    SURFACE_ANTHROPIC_COUNT_TOKENS: _ClassVar[Surface]
SURFACE_UNSPECIFIED: Surface
SURFACE_OPENAI_CHAT: Surface
SURFACE_ANTHROPIC_MESSAGES: Surface
SURFACE_ANTHROPIC_COUNT_TOKENS: Surface

class EgressTarget(_message.Message):
    __slots__ = ("deployment", "provider", "upstream_model", "lane")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_MODEL_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    deployment: str
    provider: str
    upstream_model: str
    lane: str
    def __init__(self, deployment: _Optional[str] = ..., provider: _Optional[str] = ..., upstream_model: _Optional[str] = ..., lane: _Optional[str] = ...) -> None: ...

class EgressCall(_message.Message):
    __slots__ = ("request_id", "org_id", "surface", "body", "model", "targets", "provider_key", "deadline_s")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    SURFACE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_KEY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_S_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    org_id: str
    surface: Surface
    body: bytes
    model: str
    targets: _containers.RepeatedCompositeFieldContainer[EgressTarget]
    provider_key: str
    deadline_s: float
    def __init__(self, request_id: _Optional[str] = ..., org_id: _Optional[str] = ..., surface: _Optional[_Union[Surface, str]] = ..., body: _Optional[bytes] = ..., model: _Optional[str] = ..., targets: _Optional[_Iterable[_Union[EgressTarget, _Mapping]]] = ..., provider_key: _Optional[str] = ..., deadline_s: _Optional[float] = ...) -> None: ...

class EgressHead(_message.Message):
    __slots__ = ("status", "content_type", "deployment", "model_served", "attempts", "lane")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    MODEL_SERVED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    status: int
    content_type: str
    deployment: str
    model_served: str
    attempts: int
    lane: str
    def __init__(self, status: _Optional[int] = ..., content_type: _Optional[str] = ..., deployment: _Optional[str] = ..., model_served: _Optional[str] = ..., attempts: _Optional[int] = ..., lane: _Optional[str] = ...) -> None: ...

class EgressTrailer(_message.Message):
    __slots__ = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "finish_reason", "error_code", "end_user_hash", "route_fingerprint")
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    END_USER_HASH_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    finish_reason: str
    error_code: str
    end_user_hash: str
    route_fingerprint: str
    def __init__(self, input_tokens: _Optional[int] = ..., cached_input_tokens: _Optional[int] = ..., cache_write_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., finish_reason: _Optional[str] = ..., error_code: _Optional[str] = ..., end_user_hash: _Optional[str] = ..., route_fingerprint: _Optional[str] = ...) -> None: ...

class EgressAnswer(_message.Message):
    __slots__ = ("head", "body", "trailer")
    HEAD_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    TRAILER_FIELD_NUMBER: _ClassVar[int]
    head: EgressHead
    body: bytes
    trailer: EgressTrailer
    def __init__(self, head: _Optional[_Union[EgressHead, _Mapping]] = ..., body: _Optional[bytes] = ..., trailer: _Optional[_Union[EgressTrailer, _Mapping]] = ...) -> None: ...
