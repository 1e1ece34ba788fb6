"""Settings: the README's table lists every setting, and the environment reaches them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hicap.settings import SERVICE_SETTINGS, IngressSettings, settings_markdown, settings_rows

ROOT = Path(__file__).resolve().parents[2]


def test_readme_holds_the_current_settings_table() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings_markdown() in readme, "regenerate the table: python -m hicap.settings"


def test_every_setting_of_every_service_is_in_the_table() -> None:
    names = {row[0] for row in settings_rows()}
    for cls in SERVICE_SETTINGS.values():
        for field in cls.model_fields:
            assert any(field.upper() in n for n in names), field


def test_settings_come_from_hicap_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HICAP_INGRESS_PORT", "9099")
    monkeypatch.setenv("HICAP_LOG_FORMAT", "json")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    s = IngressSettings()
    assert (s.ingress_port, s.log_format, s.otel_exporter_otlp_endpoint) == (
        9099,
        "json",
        "http://127.0.0.1:4318",
    )


def test_a_bad_value_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HICAP_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        IngressSettings()
