import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProjectionLag(_message.Message):
    __slots__ = ("stream", "applied_seq", "stream_last_seq", "caught_up")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    APPLIED_SEQ_FIELD_NUMBER: _ClassVar[int]
    STREAM_LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    CAUGHT_UP_FIELD_NUMBER: _ClassVar[int]
    stream: str
    applied_seq: int
    stream_last_seq: int
    caught_up: bool
    def __init__(self, stream: _Optional[str] = ..., applied_seq: _Optional[int] = ..., stream_last_seq: _Optional[int] = ..., caught_up: _Optional[bool] = ...) -> None: ...

class ServiceHealth(_message.Message):
    __slots__ = ("service", "instance_id", "version", "pid", "started_at", "reported_at", "ready", "status", "detail", "projections", "metrics_url", "http_url")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PROJECTIONS_FIELD_NUMBER: _ClassVar[int]
    METRICS_URL_FIELD_NUMBER: _ClassVar[int]
    HTTP_URL_FIELD_NUMBER: _ClassVar[int]
    service: str
    instance_id: str
    version: str
    pid: int
    started_at: _timestamp_pb2.Timestamp
    reported_at: _timestamp_pb2.Timestamp
    ready: bool
    status: str
    detail: str
    projections: _containers.RepeatedCompositeFieldContainer[ProjectionLag]
    metrics_url: str
    http_url: str
    def __init__(self, service: _Optional[str] = ..., instance_id: _Optional[str] = ..., version: _Optional[str] = ..., pid: _Optional[int] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ready: _Optional[bool] = ..., status: _Optional[str] = ..., detail: _Optional[str] = ..., projections: _Optional[_Iterable[_Union[ProjectionLag, _Mapping]]] = ..., metrics_url: _Optional[str] = ..., http_url: _Optional[str] = ...) -> None: ...
