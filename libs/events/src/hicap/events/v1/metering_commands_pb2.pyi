import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageQuery(_message.Message):
    __slots__ = ("org_id", "to", "group_by")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    to: _timestamp_pb2.Timestamp
    group_by: str
    def __init__(self, org_id: _Optional[str] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., group_by: _Optional[str] = ..., **kwargs) -> None: ...

class UsageGroup(_message.Message):
    __slots__ = ("key", "requests", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "cost_micros", "latency_p50_ms", "latency_p95_ms")
    KEY_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_MS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_MS_FIELD_NUMBER: _ClassVar[int]
    key: str
    requests: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_micros: int
    latency_p50_ms: float
    latency_p95_ms: float
    def __init__(self, key: _Optional[str] = ..., requests: _Optional[int] = ..., input_tokens: _Optional[int] = ..., cached_input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., cost_micros: _Optional[int] = ..., latency_p50_ms: _Optional[float] = ..., latency_p95_ms: _Optional[float] = ...) -> None: ...

class UsageQueryReply(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    def __init__(self, groups: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ...) -> None: ...

class UsageExport(_message.Message):
    __slots__ = ("org_id", "to", "format")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    to: _timestamp_pb2.Timestamp
    format: str
    def __init__(self, org_id: _Optional[str] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., format: _Optional[str] = ..., **kwargs) -> None: ...

class DeleteUsage(_message.Message):
    __slots__ = ("org_id", "key_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    key_id: str
    def __init__(self, org_id: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class DeleteUsageReply(_message.Message):
    __slots__ = ("org_id",)
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    def __init__(self, org_id: _Optional[str] = ...) -> None: ...

class UsageSeriesQuery(_message.Message):
    __slots__ = ("org_id", "model", "to", "bucket_s")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    BUCKET_S_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    model: str
    to: _timestamp_pb2.Timestamp
    bucket_s: int
    def __init__(self, org_id: _Optional[str] = ..., model: _Optional[str] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bucket_s: _Optional[int] = ..., **kwargs) -> None: ...

class UsageSeriesPoint(_message.Message):
    __slots__ = ("start", "reserved_tokens", "spot_tokens", "on_demand_tokens", "byok_tokens")
    START_FIELD_NUMBER: _ClassVar[int]
    RESERVED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SPOT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ON_DEMAND_TOKENS_FIELD_NUMBER: _ClassVar[int]
    BYOK_TOKENS_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    reserved_tokens: int
    spot_tokens: int
    on_demand_tokens: int
    byok_tokens: int
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reserved_tokens: _Optional[int] = ..., spot_tokens: _Optional[int] = ..., on_demand_tokens: _Optional[int] = ..., byok_tokens: _Optional[int] = ...) -> None: ...

class UsageSeriesReply(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[UsageSeriesPoint]
    def __init__(self, points: _Optional[_Iterable[_Union[UsageSeriesPoint, _Mapping]]] = ...) -> None: ...
