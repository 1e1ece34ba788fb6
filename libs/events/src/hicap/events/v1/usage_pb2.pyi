import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Lane(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LANE_UNSPECIFIED: _ClassVar[Lane]
    LANE_RESERVED: _ClassVar[Lane]
    LANE_SPOT: _ClassVar[Lane]
    LANE_ON_DEMAND: _ClassVar[Lane]
    LANE_BYOK: _ClassVar[Lane]
LANE_UNSPECIFIED: Lane
LANE_RESERVED: Lane
LANE_SPOT: Lane
LANE_ON_DEMAND: Lane
LANE_BYOK: Lane

class UsageRecorded(_message.Message):
    __slots__ = ("request_id", "started_at", "org_id", "team_id", "app_id", "key_id", "end_user_hash", "route", "model_requested", "model_served", "provider", "deployment", "lane", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "input_cost_micros", "cached_input_cost_micros", "cache_write_cost_micros", "output_cost_micros", "total_cost_micros", "list_value_micros", "latency_ms", "ttft_ms", "http_status", "finish_reason", "streamed", "error_code", "api_surface")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    END_USER_HASH_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    MODEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    MODEL_SERVED_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    INPUT_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    LIST_VALUE_MICROS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    TTFT_MS_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    STREAMED_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    API_SURFACE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    started_at: _timestamp_pb2.Timestamp
    org_id: str
    team_id: str
    app_id: str
    key_id: str
    end_user_hash: str
    route: str
    model_requested: str
    model_served: str
    provider: str
    deployment: str
    lane: Lane
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    input_cost_micros: int
    cached_input_cost_micros: int
    cache_write_cost_micros: int
    output_cost_micros: int
    total_cost_micros: int
    list_value_micros: int
    latency_ms: int
    ttft_ms: int
    http_status: int
    finish_reason: str
    streamed: bool
    error_code: str
    api_surface: str
    def __init__(self, request_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., org_id: _Optional[str] = ..., team_id: _Optional[str] = ..., app_id: _Optional[str] = ..., key_id: _Optional[str] = ..., end_user_hash: _Optional[str] = ..., route: _Optional[str] = ..., model_requested: _Optional[str] = ..., model_served: _Optional[str] = ..., provider: _Optional[str] = ..., deployment: _Optional[str] = ..., lane: _Optional[_Union[Lane, str]] = ..., input_tokens: _Optional[int] = ..., cached_input_tokens: _Optional[int] = ..., cache_write_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., input_cost_micros: _Optional[int] = ..., cached_input_cost_micros: _Optional[int] = ..., cache_write_cost_micros: _Optional[int] = ..., output_cost_micros: _Optional[int] = ..., total_cost_micros: _Optional[int] = ..., list_value_micros: _Optional[int] = ..., latency_ms: _Optional[int] = ..., ttft_ms: _Optional[int] = ..., http_status: _Optional[int] = ..., finish_reason: _Optional[str] = ..., streamed: _Optional[bool] = ..., error_code: _Optional[str] = ..., api_surface: _Optional[str] = ...) -> None: ...

class UsageRecordedBatch(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[UsageRecorded]
    def __init__(self, records: _Optional[_Iterable[_Union[UsageRecorded, _Mapping]]] = ...) -> None: ...

class UsageDeleted(_message.Message):
    __slots__ = ("org_id", "key_id", "before")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    key_id: str
    before: _timestamp_pb2.Timestamp
    def __init__(self, org_id: _Optional[str] = ..., key_id: _Optional[str] = ..., before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
