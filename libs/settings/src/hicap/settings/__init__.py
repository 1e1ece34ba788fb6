"""hicap.settings: one pydantic-settings class per service, from shared sections.

Imports only pydantic; the only module of Hicap that reads the environment.
"""

from __future__ import annotations

from hicap.settings.sections import (
    SERVICE_SETTINGS,
    AuthSettings,
    BaseServiceSettings,
    CapacitySchedulerSettings,
    CapacitySection,
    IngressSettings,
    LogFormat,
    LogLevel,
    MeteringSettings,
    ProviderEgressSettings,
    ProviderSimSettings,
    SpotExchangeSettings,
    TemporalSection,
)
from hicap.settings.table import settings_markdown, settings_rows

__all__ = [
    "SERVICE_SETTINGS",
    "AuthSettings",
    "BaseServiceSettings",
    "CapacitySchedulerSettings",
    "CapacitySection",
    "IngressSettings",
    "LogFormat",
    "LogLevel",
    "MeteringSettings",
    "ProviderEgressSettings",
    "ProviderSimSettings",
    "SpotExchangeSettings",
    "TemporalSection",
    "settings_markdown",
    "settings_rows",
]
