"""The shared setting sections every service is built from, and the per-service classes.

One pydantic-settings class per service, prefix `HICAP_`, loaded once in the service's
`app.py` and passed down. Nothing else reads `os.environ`. Imports only pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LogFormat = Literal["console", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class BaseServiceSettings(BaseSettings):
    """What every Hicap process needs: where the bus is, where data lives, how to log."""

    model_config = SettingsConfigDict(env_prefix="HICAP_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        Path(".hicap"),
        description="Where all local state lives (JetStream, Temporal db, chDB, logs).",
    )
    nats_url: str = Field(
        "nats://127.0.0.1:4222", description="NATS server(s) to connect to, comma-separated."
    )
    nats_connect_timeout_s: float = Field(
        5.0, description="How long to try to reach NATS at start before failing with a clear error."
    )
    log_format: LogFormat = Field(
        "console", description="`console` (readable) or `json` (one object per line)."
    )
    log_level: LogLevel = Field("INFO", description="Lowest level logged.")
    metrics_port: int = Field(
        0,
        description="Port of the service's `/metrics` and `/healthz` on 127.0.0.1; 0 picks a free one.",
    )
    instance_id: str = Field(
        "", description="Name of this replica; empty: service name, host and pid."
    )
    health_interval_s: float = Field(
        5.0, description="How often a service publishes its health on the bus."
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "HICAP_OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
        description="OTLP/HTTP endpoint for traces (standard OpenTelemetry variable); unset: no exporter.",
    )


class TemporalSection(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HICAP_", extra="ignore", frozen=True)

    temporal_address: str = Field("127.0.0.1:7233", description="Temporal frontend (host:port).")
    temporal_namespace: str = Field(
        "default", description="Temporal namespace for Hicap's workflows."
    )


class KeyHashSection(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HICAP_", extra="ignore", frozen=True)

    key_hash_secret: SecretStr = Field(
        SecretStr("hicap-dev-key-hash-secret-change-me"),
        description="HMAC secret API keys are hashed with (auth and ingress). Set your own in production.",
    )


class CapacitySection(BaseSettings):
    """How reserved TPM is admitted; ingress and capacity-scheduler must agree on it."""

    model_config = SettingsConfigDict(env_prefix="HICAP_", extra="ignore", frozen=True)

    capacity_window_s: float = Field(
        60.0,
        gt=0,
        description="The minute reserved TPM is counted in: a reservation admits its TPM per window (60; tests shorten it).",
    )
    lease_interval_s: float = Field(
        1.0,
        gt=0,
        description="How often an ingress replica renews its leases of reserved TPM from capacity-scheduler.",
    )


class IngressSettings(BaseServiceSettings, KeyHashSection, CapacitySection):
    ingress_host: str = Field("127.0.0.1", description="Address the public API binds to.")
    ingress_port: int = Field(8080, description="Port of the public API (`hicap up --port`).")
    max_body_bytes: int = Field(
        10 * 1024 * 1024, description="Largest request body accepted; larger is refused with 413."
    )
    output_allowance_tokens: int = Field(
        1024,
        ge=1,
        description="Output tokens a reservation is charged up front for a request that sets no max_tokens.",
    )


class AuthSettings(BaseServiceSettings, KeyHashSection):
    pass


class CapacitySchedulerSettings(BaseServiceSettings, TemporalSection, CapacitySection):
    reservation_period_s: float = Field(
        30 * 86_400.0,
        gt=0,
        description="Length of a reservation period (a month: 30 days; tests use seconds).",
    )
    deployments_file: Path | None = Field(
        None,
        description="TOML file of provider deployments ([[deployments]] with model, kind, tpm...) declared at start.",
    )


class ProviderEgressSettings(BaseServiceSettings):
    openai_api_key: SecretStr | None = Field(
        None, description="Key of Hicap's own OpenAI deployments (credential `openai`)."
    )
    anthropic_api_key: SecretStr | None = Field(
        None, description="Key of Hicap's own Anthropic deployments (credential `anthropic`)."
    )
    gemini_api_key: SecretStr | None = Field(
        None, description="Key of Hicap's own Google deployments (credential `gemini`)."
    )
    credentials_file: Path | None = Field(
        None,
        description="JSON file of credential name -> provider key (mode 0600); unset: `<data_dir>/secrets/credentials.json`.",
    )
    upstream_override_url: str | None = Field(
        None,
        description="Dev only: send every catalogue deployment to `<url>/d/<deployment>` (provider-sim) instead of its base URL.",
    )
    connect_timeout_s: float = Field(5.0, description="Upstream TCP/TLS connect timeout.")
    first_byte_timeout_s: float = Field(
        120.0, description="Upstream time to the response head (and first stream event)."
    )
    idle_timeout_s: float = Field(
        60.0, description="Longest upstream silence between two stream chunks."
    )
    max_attempts: int = Field(
        3, description="Attempts per request across retries and failover, before the first byte."
    )
    retry_backoff_s: float = Field(
        0.25,
        description="First retry backoff; doubles per attempt, jittered, capped by Retry-After.",
    )


class SpotExchangeSettings(BaseServiceSettings):
    pass


class MeteringSettings(BaseServiceSettings, TemporalSection):
    clickhouse_url: str | None = Field(
        None, description="ClickHouse server URL; unset: embedded chDB under `<data_dir>/chdb`."
    )


class ProviderSimSettings(BaseServiceSettings):
    provider_sim_port: int = Field(
        0, description="Port of provider-sim's fake provider APIs; 0 picks a free one."
    )
    provider_sim_deployments_file: Path | None = Field(
        None,
        description="Deployments file whose TPM/RPM limits provider-sim enforces per deployment (429 over them).",
    )
    provider_sim_window_s: float = Field(
        60.0, gt=0, description="The sliding window provider-sim counts those limits in."
    )


SERVICE_SETTINGS: dict[str, type[BaseServiceSettings]] = {
    "ingress": IngressSettings,
    "auth": AuthSettings,
    "capacity-scheduler": CapacitySchedulerSettings,
    "provider-egress": ProviderEgressSettings,
    "spot-exchange": SpotExchangeSettings,
    "metering": MeteringSettings,
    "provider-sim": ProviderSimSettings,
}
"""Every service and the settings class it loads, in start order."""
