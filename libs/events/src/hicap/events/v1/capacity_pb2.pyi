import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReservationAllocation(_message.Message):
    __slots__ = ("deployment", "tpm")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    deployment: str
    tpm: int
    def __init__(self, deployment: _Optional[str] = ..., tpm: _Optional[int] = ...) -> None: ...

class ReservationRequested(_message.Message):
    __slots__ = ("reservation_id", "org_id", "model", "tpm", "months", "auto_renew", "overflow", "allocations", "requested_at", "requested_by")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    AUTO_RENEW_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    model: str
    tpm: int
    months: int
    auto_renew: bool
    overflow: bool
    allocations: _containers.RepeatedCompositeFieldContainer[ReservationAllocation]
    requested_at: _timestamp_pb2.Timestamp
    requested_by: str
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., model: _Optional[str] = ..., tpm: _Optional[int] = ..., months: _Optional[int] = ..., auto_renew: _Optional[bool] = ..., overflow: _Optional[bool] = ..., allocations: _Optional[_Iterable[_Union[ReservationAllocation, _Mapping]]] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., requested_by: _Optional[str] = ...) -> None: ...

class ReservationActivated(_message.Message):
    __slots__ = ("reservation_id", "org_id", "period", "period_start", "period_end", "term_end")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    TERM_END_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    period: int
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    term_end: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., period: _Optional[int] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., term_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationRenewed(_message.Message):
    __slots__ = ("reservation_id", "org_id", "period", "period_start", "period_end", "term_end", "tpm", "allocations")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    TERM_END_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    period: int
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    term_end: _timestamp_pb2.Timestamp
    tpm: int
    allocations: _containers.RepeatedCompositeFieldContainer[ReservationAllocation]
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., period: _Optional[int] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., term_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tpm: _Optional[int] = ..., allocations: _Optional[_Iterable[_Union[ReservationAllocation, _Mapping]]] = ...) -> None: ...

class ReservationScaled(_message.Message):
    __slots__ = ("reservation_id", "org_id", "change_id", "tpm", "immediate", "allocations", "effective_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    IMMEDIATE_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    change_id: str
    tpm: int
    immediate: bool
    allocations: _containers.RepeatedCompositeFieldContainer[ReservationAllocation]
    effective_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., change_id: _Optional[str] = ..., tpm: _Optional[int] = ..., immediate: _Optional[bool] = ..., allocations: _Optional[_Iterable[_Union[ReservationAllocation, _Mapping]]] = ..., effective_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationUpdated(_message.Message):
    __slots__ = ("reservation_id", "org_id", "change_id", "overflow", "auto_renew")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_FIELD_NUMBER: _ClassVar[int]
    AUTO_RENEW_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    change_id: str
    overflow: bool
    auto_renew: bool
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., change_id: _Optional[str] = ..., overflow: _Optional[bool] = ..., auto_renew: _Optional[bool] = ...) -> None: ...

class ReservationCancelRequested(_message.Message):
    __slots__ = ("reservation_id", "org_id", "effective_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    effective_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., effective_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationCancelled(_message.Message):
    __slots__ = ("reservation_id", "org_id", "ended_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationExpired(_message.Message):
    __slots__ = ("reservation_id", "org_id", "ended_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    org_id: str
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., org_id: _Optional[str] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
