"""Where a call goes: a catalogue deployment's URL (or provider-sim's in dev), its adapter,
its upstream model and its key."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hicap.errors import InvalidRequest, Unavailable
from hicap.events.v1 import egress_pb2
from hicap.provider_egress.credentials import Credentials
from hicap.provider_egress.targets import base_url, resolve
from hicap.provider_egress.wire.registry import adapter_for


@dataclass(frozen=True)
class Dep:
    name: str
    provider: str
    base_url: str
    upstream_model: str
    credential_ref: str


class Catalog:
    def __init__(self, *deps: Dep) -> None:
        self.deps = {d.name: d for d in deps}

    def deployment(self, name: str) -> Dep | None:
        return self.deps.get(name)


OPENAI = Dep("oa", "openai", "https://api.openai.com/v1/", "gpt-4.1", "openai")
ANTHROPIC = Dep("an", "anthropic", "https://api.anthropic.com", "claude-x", "anthropic")
CREDS = Credentials({"openai": "sk-house", "anthropic": "sk-ant-house"}, None)


def target(name: str, provider: str = "", model: str = "") -> egress_pb2.EgressTarget:
    return egress_pb2.EgressTarget(deployment=name, provider=provider, upstream_model=model)


def test_the_real_base_url_is_used_without_an_override() -> None:
    assert base_url(OPENAI, None) == "https://api.openai.com/v1"


def test_the_override_leaves_an_operators_own_endpoint_alone() -> None:
    vllm = Dep("gpu", "openai-compatible", "http://gpu-box:8000/v1", "llama", "model:gpu")
    assert base_url(vllm, "http://127.0.0.1:9") == "http://gpu-box:8000/v1"


def test_the_override_keeps_the_path_of_the_real_base_url() -> None:
    assert base_url(OPENAI, "http://127.0.0.1:9/") == "http://127.0.0.1:9/d/oa/v1"
    assert base_url(ANTHROPIC, "http://127.0.0.1:9") == "http://127.0.0.1:9/d/an"


def test_a_route_carries_adapter_model_and_house_key() -> None:
    route = resolve(target("an"), Catalog(ANTHROPIC), CREDS, adapter_for)
    assert route.adapter.kind == "anthropic"
    assert route.upstream_model == "claude-x"
    assert route.api_key == "sk-ant-house"


def test_the_target_may_name_its_own_upstream_model() -> None:
    route = resolve(target("oa", "openai", "gpt-5.4"), Catalog(OPENAI), CREDS, adapter_for)
    assert route.upstream_model == "gpt-5.4"


def test_byok_key_wins_and_never_shows_in_the_routes_repr() -> None:
    route = resolve(target("oa"), Catalog(OPENAI), CREDS, adapter_for, provider_key="sk-own")
    assert route.api_key == "sk-own"
    assert "sk-own" not in repr(route)


def test_an_unknown_deployment_is_unavailable() -> None:
    with pytest.raises(Unavailable, match="nowhere"):
        resolve(target("nowhere"), Catalog(), CREDS, adapter_for)


def test_an_unknown_provider_kind_is_an_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        resolve(target("oa", "carrier-pigeon"), Catalog(OPENAI), CREDS, adapter_for)


def test_a_missing_credential_names_the_deployment_not_a_key() -> None:
    creds = Credentials({}, None)
    with pytest.raises(Unavailable, match="'oa'") as missing:
        resolve(target("oa"), Catalog(OPENAI), creds, adapter_for)
    assert missing.value.retryable is False
