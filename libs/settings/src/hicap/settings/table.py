"""The README's table of every setting, generated from the settings classes."""

from __future__ import annotations

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from hicap.settings.sections import SERVICE_SETTINGS


def env_name(cls: type[BaseSettings], name: str, info: FieldInfo) -> str:
    alias = info.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    return f"{cls.model_config.get('env_prefix', '')}{name}".upper()


def settings_rows() -> list[tuple[str, str, str, str]]:
    """(variable, default, services, description) for every setting, each once."""
    rows: dict[str, tuple[str, str, list[str], str]] = {}
    for service, cls in SERVICE_SETTINGS.items():
        for name, info in cls.model_fields.items():
            var = env_name(cls, name, info)
            default = "" if info.default is None else str(info.default)
            if "secret" in name:
                default = "(dev value)"
            entry = rows.setdefault(var, (var, default, [], info.description or ""))
            entry[2].append(service)
    every = len(SERVICE_SETTINGS)
    return [
        (var, default, "all" if len(svcs) == every else ", ".join(svcs), desc)
        for var, default, svcs, desc in rows.values()
    ]


def settings_markdown() -> str:
    lines = ["| variable | default | used by | what it sets |", "|---|---|---|---|"]
    for var, default, services, desc in settings_rows():
        lines.append(f"| `{var}` | `{default}` | {services} | {desc} |")
    return "\n".join(lines)
