import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelPrice(_message.Message):
    __slots__ = ("effective_from", "input_micros_per_mtok", "cached_input_micros_per_mtok", "cache_write_micros_per_mtok", "output_micros_per_mtok")
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    INPUT_MICROS_PER_MTOK_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_MICROS_PER_MTOK_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_MICROS_PER_MTOK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_MICROS_PER_MTOK_FIELD_NUMBER: _ClassVar[int]
    effective_from: _timestamp_pb2.Timestamp
    input_micros_per_mtok: int
    cached_input_micros_per_mtok: int
    cache_write_micros_per_mtok: int
    output_micros_per_mtok: int
    def __init__(self, effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., input_micros_per_mtok: _Optional[int] = ..., cached_input_micros_per_mtok: _Optional[int] = ..., cache_write_micros_per_mtok: _Optional[int] = ..., output_micros_per_mtok: _Optional[int] = ...) -> None: ...

class ModelDeployment(_message.Message):
    __slots__ = ("name", "provider", "base_url", "upstream_model", "credential_ref", "kind", "region", "tpm", "rpm", "hourly_cost_micros", "input_cost_micros_per_mtok", "output_cost_micros_per_mtok")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_MODEL_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_REF_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    TPM_FIELD_NUMBER: _ClassVar[int]
    RPM_FIELD_NUMBER: _ClassVar[int]
    HOURLY_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    INPUT_COST_MICROS_PER_MTOK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_COST_MICROS_PER_MTOK_FIELD_NUMBER: _ClassVar[int]
    name: str
    provider: str
    base_url: str
    upstream_model: str
    credential_ref: str
    kind: str
    region: str
    tpm: int
    rpm: int
    hourly_cost_micros: int
    input_cost_micros_per_mtok: int
    output_cost_micros_per_mtok: int
    def __init__(self, name: _Optional[str] = ..., provider: _Optional[str] = ..., base_url: _Optional[str] = ..., upstream_model: _Optional[str] = ..., credential_ref: _Optional[str] = ..., kind: _Optional[str] = ..., region: _Optional[str] = ..., tpm: _Optional[int] = ..., rpm: _Optional[int] = ..., hourly_cost_micros: _Optional[int] = ..., input_cost_micros_per_mtok: _Optional[int] = ..., output_cost_micros_per_mtok: _Optional[int] = ...) -> None: ...

class ModelPublished(_message.Message):
    __slots__ = ("model", "provider", "context_window", "deployments", "prices")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_WINDOW_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    model: str
    provider: str
    context_window: int
    deployments: _containers.RepeatedCompositeFieldContainer[ModelDeployment]
    prices: _containers.RepeatedCompositeFieldContainer[ModelPrice]
    def __init__(self, model: _Optional[str] = ..., provider: _Optional[str] = ..., context_window: _Optional[int] = ..., deployments: _Optional[_Iterable[_Union[ModelDeployment, _Mapping]]] = ..., prices: _Optional[_Iterable[_Union[ModelPrice, _Mapping]]] = ...) -> None: ...

class ModelWithdrawn(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class DeploymentDeclared(_message.Message):
    __slots__ = ("model", "deployment")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    model: str
    deployment: ModelDeployment
    def __init__(self, model: _Optional[str] = ..., deployment: _Optional[_Union[ModelDeployment, _Mapping]] = ...) -> None: ...
