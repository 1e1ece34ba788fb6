"""Provider keys from the settings and from the operator's credentials file, which is read
again when a model added at run time names a ref not seen before."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from pydantic import SecretStr

from hicap.errors import Unavailable
from hicap.provider_egress.credentials import Credentials
from hicap.settings import ProviderEgressSettings


def write(path: Path, refs: dict[str, str], *, mtime_ns: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(refs))
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_settings_keys_serve_the_house_refs(tmp_path: Path) -> None:
    settings = ProviderEgressSettings(
        data_dir=tmp_path, openai_api_key=SecretStr("sk-house"), gemini_api_key=SecretStr("")
    )
    creds = Credentials.from_settings(settings)
    assert creds.key_for("openai-gpt-4.1", "openai") == "sk-house"
    with pytest.raises(Unavailable, match="gemini"):
        creds.key_for("gemini-pro", "gemini")


def test_the_default_file_lives_under_the_data_dir(tmp_path: Path) -> None:
    write(tmp_path / "secrets" / "credentials.json", {"model:mine": "sk-mine"})
    creds = Credentials.from_settings(ProviderEgressSettings(data_dir=tmp_path))
    assert creds.key_for("mine", "model:mine") == "sk-mine"


def test_a_ref_added_to_the_file_later_is_found_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    write(path, {"model:a": "sk-a"}, mtime_ns=1_000_000_000)
    creds = Credentials({}, path)
    assert creds.key_for("a", "model:a") == "sk-a"
    with pytest.raises(Unavailable):
        creds.key_for("b", "model:b")
    write(path, {"model:a": "sk-a", "model:b": "sk-b"}, mtime_ns=2_000_000_000)
    assert creds.key_for("b", "model:b") == "sk-b"


def test_a_missing_credential_names_deployment_and_ref_but_no_key(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    write(path, {"model:a": "sk-secret-a"})
    with pytest.raises(Unavailable) as missing:
        Credentials({"openai": "sk-secret-house"}, path).key_for("dep-x", "model:x")
    assert "dep-x" in missing.value.message and "model:x" in missing.value.message
    assert "sk-secret" not in missing.value.message


def test_an_unreadable_file_is_no_credentials_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text("{not json")
    with pytest.raises(Unavailable):
        Credentials({}, path).key_for("dep", "model:x")
