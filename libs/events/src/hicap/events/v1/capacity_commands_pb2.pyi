import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from hicap.events.v1 import capacity_pb2 as _capacity_pb2
from hicap.events.v1 import catalog_pb2 as _catalog_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PublishModel(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: _catalog_pb2.ModelPublished
    def __init__(self, model: _Optional[_Union[_catalog_pb2.ModelPublished, _Mapping]] = ...) -> None: ...

class PublishModelReply(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class DeclareDeployment(_message.Message):
    __slots__ = ("model", "deployment")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    model: str
    deployment: _catalog_pb2.ModelDeployment
    def __init__(self, model: _Optional[str] = ..., deployment: _Optional[_Union[_catalog_pb2.ModelDeployment, _Mapping]] = ...) -> None: ...

class DeclareDeploymentReply(_message.Message):
    __slots__ = ("deployment",)
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    deployment: str
    def __init__(self, deployment: _Optional[str] = ...) -> None: ...

class ReservationView(_message.Message):
    __slots__ = ("id", "org_id", "model", "tpm", "pending_tpm", "months", "auto_renew", "overflow", "status", "period", "period_start", "period_end", "term_end", "created_at", "ended_at", "allocations", "fee_micros_per_period")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    PENDING_TPM_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    AUTO_RENEW_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    TERM_END_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    FEE_MICROS_PER_PERIOD_FIELD_NUMBER: _ClassVar[int]
    id: str
    org_id: str
    model: str
    tpm: int
    pending_tpm: int
    months: int
    auto_renew: bool
    overflow: bool
    status: str
    period: int
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    term_end: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    allocations: _containers.RepeatedCompositeFieldContainer[_capacity_pb2.ReservationAllocation]
    fee_micros_per_period: int
    def __init__(self, id: _Optional[str] = ..., org_id: _Optional[str] = ..., model: _Optional[str] = ..., tpm: _Optional[int] = ..., pending_tpm: _Optional[int] = ..., months: _Optional[int] = ..., auto_renew: _Optional[bool] = ..., overflow: _Optional[bool] = ..., status: _Optional[str] = ..., period: _Optional[int] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., term_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., allocations: _Optional[_Iterable[_Union[_capacity_pb2.ReservationAllocation, _Mapping]]] = ..., fee_micros_per_period: _Optional[int] = ...) -> None: ...

class ReservationReply(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: ReservationView
    def __init__(self, reservation: _Optional[_Union[ReservationView, _Mapping]] = ...) -> None: ...

class CreateReservation(_message.Message):
    __slots__ = ("org_id", "model", "tpm", "months", "auto_renew", "overflow", "requested_by")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    AUTO_RENEW_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    model: str
    tpm: int
    months: int
    auto_renew: bool
    overflow: bool
    requested_by: str
    def __init__(self, org_id: _Optional[str] = ..., model: _Optional[str] = ..., tpm: _Optional[int] = ..., months: _Optional[int] = ..., auto_renew: _Optional[bool] = ..., overflow: _Optional[bool] = ..., requested_by: _Optional[str] = ...) -> None: ...

class GetReservation(_message.Message):
    __slots__ = ("org_id", "reservation_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    reservation_id: str
    def __init__(self, org_id: _Optional[str] = ..., reservation_id: _Optional[str] = ...) -> None: ...

class ListReservations(_message.Message):
    __slots__ = ("org_id",)
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    def __init__(self, org_id: _Optional[str] = ...) -> None: ...

class ReservationList(_message.Message):
    __slots__ = ("reservations",)
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    reservations: _containers.RepeatedCompositeFieldContainer[ReservationView]
    def __init__(self, reservations: _Optional[_Iterable[_Union[ReservationView, _Mapping]]] = ...) -> None: ...

class UpdateReservation(_message.Message):
    __slots__ = ("org_id", "reservation_id", "tpm", "overflow", "auto_renew", "change_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_FIELD_NUMBER: _ClassVar[int]
    AUTO_RENEW_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    reservation_id: str
    tpm: int
    overflow: bool
    auto_renew: bool
    change_id: str
    def __init__(self, org_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., tpm: _Optional[int] = ..., overflow: _Optional[bool] = ..., auto_renew: _Optional[bool] = ..., change_id: _Optional[str] = ...) -> None: ...

class CancelReservation(_message.Message):
    __slots__ = ("org_id", "reservation_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    reservation_id: str
    def __init__(self, org_id: _Optional[str] = ..., reservation_id: _Optional[str] = ...) -> None: ...

class LeaseWant(_message.Message):
    __slots__ = ("reservation_id", "window", "tokens", "used", "held")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    window: int
    tokens: int
    used: int
    held: int
    def __init__(self, reservation_id: _Optional[str] = ..., window: _Optional[int] = ..., tokens: _Optional[int] = ..., used: _Optional[int] = ..., held: _Optional[int] = ...) -> None: ...

class LeaseRequest(_message.Message):
    __slots__ = ("replica", "wants")
    REPLICA_FIELD_NUMBER: _ClassVar[int]
    WANTS_FIELD_NUMBER: _ClassVar[int]
    replica: str
    wants: _containers.RepeatedCompositeFieldContainer[LeaseWant]
    def __init__(self, replica: _Optional[str] = ..., wants: _Optional[_Iterable[_Union[LeaseWant, _Mapping]]] = ...) -> None: ...

class LeaseGrant(_message.Message):
    __slots__ = ("reservation_id", "window", "tokens", "remaining")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    window: int
    tokens: int
    remaining: int
    def __init__(self, reservation_id: _Optional[str] = ..., window: _Optional[int] = ..., tokens: _Optional[int] = ..., remaining: _Optional[int] = ...) -> None: ...

class LeaseReply(_message.Message):
    __slots__ = ("grants",)
    GRANTS_FIELD_NUMBER: _ClassVar[int]
    grants: _containers.RepeatedCompositeFieldContainer[LeaseGrant]
    def __init__(self, grants: _Optional[_Iterable[_Union[LeaseGrant, _Mapping]]] = ...) -> None: ...
