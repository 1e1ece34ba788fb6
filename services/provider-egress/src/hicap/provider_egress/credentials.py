"""Which provider key a call uses: the caller's own key (BYOK) or its deployment's credential.

Credential refs `openai`, `anthropic` and `gemini` come from the settings
(`HICAP_OPENAI_API_KEY`...); any ref (`model:<name>` for models an operator added) from the
JSON credentials file `{"ref": "key", ...}`, read again when a ref is unknown and the file
changed since it was last read, so a model added by `hicap models add` works without a
restart. A missing credential is `Unavailable` naming the deployment and the ref, never a
key. Keys are held in memory only and never logged. Imports hicap.errors and hicap.settings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import orjson

from hicap.errors import Unavailable
from hicap.settings import ProviderEgressSettings

__all__ = ["Credentials"]

log = logging.getLogger(__name__)


class Credentials:
    def __init__(self, builtin: Mapping[str, str], path: Path | None) -> None:
        self._builtin = dict(builtin)
        self._path = path
        self._file: dict[str, str] = {}
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file last read

    @classmethod
    def from_settings(cls, settings: ProviderEgressSettings) -> Credentials:
        builtin = {
            ref: secret.get_secret_value()
            for ref, secret in (
                ("openai", settings.openai_api_key),
                ("anthropic", settings.anthropic_api_key),
                ("gemini", settings.gemini_api_key),
            )
            if secret is not None and secret.get_secret_value()
        }
        path = settings.credentials_file or settings.data_dir / "secrets" / "credentials.json"
        return cls(builtin, path)

    def key_for(self, deployment: str, ref: str, provider_key: str = "") -> str:
        """The key to call `deployment` with; the caller's own key wins (BYOK)."""
        if provider_key:
            return provider_key
        key = self._builtin.get(ref) or self._file.get(ref)
        if key is None and self._reload():
            key = self._file.get(ref)
        if not key:
            raise Unavailable(
                f"no provider credential {ref!r} for deployment {deployment!r}; "
                "set it in the settings or the credentials file",
                retryable=False,
            )
        return key

    def _reload(self) -> bool:
        """Read the file again if it changed; True when it was read."""
        if self._path is None:
            return False
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return False
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        self._file = _read(self._path)
        return True


def _read(path: Path) -> dict[str, str]:
    try:
        raw = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("credentials file %s unreadable: %s", path, type(exc).__name__)
        return {}
    if not isinstance(raw, dict):
        log.warning("credentials file %s is not a JSON object", path)
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, str) and v}
