"""provider-sim's own configuration: deployments with their TPM/RPM limits and faults,
the provider keys Hicap's deployments use, default latency and the model lists.

`build_app(SimConfig(...))` takes it as an argument; `app.py` builds the default one and
tests construct it directly. Frozen dataclasses only; imports nothing from the web stack
and reads no environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["DEFAULT_DEPLOYMENT", "Deployment", "Fault", "Latency", "Provider", "SimConfig"]

DEFAULT_DEPLOYMENT = "default"
"""The deployment of the plain routes (`/v1/...`); `/d/{name}/v1/...` names another one."""


class Provider(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GEMINI = "gemini"


class Fault(StrEnum):
    """What `x-sim-fault` (or a deployment's `fault`) injects."""

    SERVER_ERROR = "500"
    OVERLOADED = "529"  # Anthropic 529 overloaded_error; 503 for OpenAI and Gemini
    RESET = "reset"  # the connection is dropped after part of the body was sent
    SLOW = "slow"  # the stream is paced at `SimConfig.slow_tps`


@dataclass(frozen=True)
class Latency:
    """Time to first token and tokens per second; `tps=0` means no pacing after the first."""

    ttft_ms: float = 0.0
    tps: float = 0.0


@dataclass(frozen=True)
class Deployment:
    """Limits of one deployment; 0 means unlimited. `window_s` is the sliding window
    (60 s for real per-minute limits; tests shorten it)."""

    rpm: int = 0
    tpm: int = 0
    window_s: float = 60.0
    fault: Fault | None = None
    latency: Latency | None = None


@dataclass(frozen=True)
class SimConfig:
    deployments: dict[str, Deployment] = field(default_factory=dict)
    accepted_keys: frozenset[str] = frozenset()
    """Keys of Hicap's own deployments, accepted whatever their shape."""
    latency: Latency = Latency()
    slow_tps: float = 5.0
    reasoning_model_prefixes: tuple[str, ...] = ("o1", "o3", "o4", "gpt-5", "codex")
    openai_models: tuple[str, ...] = ("gpt-5.4", "gpt-4.1", "codex-mini-latest")
    # The providers' own API ids, as the catalogue's deployments name them upstream.
    anthropic_models: tuple[str, ...] = ("claude-opus-4-6", "claude-opus-4-5", "claude-sonnet-4-5")
    gemini_models: tuple[str, ...] = ("gemini-3.1-pro-preview", "gemini-3-flash-preview")
    embedding_dims: int = 1536

    def deployment(self, name: str) -> Deployment:
        return self.deployments.get(name, Deployment())

    def latency_for(self, name: str) -> Latency:
        return self.deployment(name).latency or self.latency

    def is_reasoning_model(self, model: str) -> bool:
        return model.startswith(self.reasoning_model_prefixes)
