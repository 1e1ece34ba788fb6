"""The admin API as an org's admin uses it: teams and apps, a key issued (shown once, and
working at once), listed without its secret, restricted to models, revoked (refused within
a second); and its errors in the OpenAI format."""

from __future__ import annotations

import httpx
import pytest

from hicap.auth.app import AuthService
from hicap.bus import Bus, ProjectionRunner
from hicap.errors import Unauthenticated
from hicap.ingress.keys import KeyIndex, KeyRecord, KeyRing
from tests.asserts import assert_eventually
from tests.integration.admin.tenants import IssuedKey, Tenant, new_tenant, settled

KeyRunner = tuple[ProjectionRunner[KeyIndex], KeyRing]


def known(ring: KeyRing, key: str) -> KeyRecord | None:
    try:
        return ring.authenticate(key)
    except Unauthenticated:
        return None


@pytest.fixture
async def tenant(bus: Bus, auth: AuthService, key_runner: KeyRunner) -> Tenant:
    t = await new_tenant(bus)
    await settled(bus, key_runner[0])
    return t


async def test_teams_and_apps_are_created_read_and_listed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    base, h = f"/v1/admin/orgs/{tenant.org_id}", tenant.admin.headers
    made = await client.post(f"{base}/teams", json={"name": " research "}, headers=h)
    assert made.status_code == 201
    team = made.json()
    assert team["name"] == "research" and team["team_id"].startswith("team_")
    assert (await client.get(f"{base}/teams/{team['team_id']}", headers=h)).json() == team
    names = [t["name"] for t in (await client.get(f"{base}/teams", headers=h)).json()["data"]]
    assert names == ["ml", "research"]
    app = await client.post(f"{base}/teams/{team['team_id']}/apps", json={"name": "rag"}, headers=h)
    assert app.status_code == 201 and app.json()["team_id"] == team["team_id"]
    apps = (await client.get(f"{base}/teams/{team['team_id']}/apps", headers=h)).json()["data"]
    assert apps == [app.json()]
    org = (await client.get(base, headers=h)).json()
    assert org["org_id"] == tenant.org_id and org["name"].startswith("Acme")
    again = await client.post(f"{base}/teams", json={"name": "research"}, headers=h)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


async def test_an_issued_key_is_shown_once_and_authenticates_within_a_second(
    client: httpx.AsyncClient, tenant: Tenant, key_runner: KeyRunner
) -> None:
    base, h = f"/v1/admin/orgs/{tenant.org_id}", tenant.admin.headers
    body = {"name": "svc", "team_id": tenant.team_id, "app_id": tenant.app_id,
            "allowed_models": ["gpt-4.1"]}  # fmt: skip
    issued = await client.post(f"{base}/keys", json=body, headers=h)
    assert issued.status_code == 201
    new = issued.json()
    assert new["key"].startswith(new["display_prefix"]) and new["role"] == "member"
    assert (new["team_id"], new["app_id"], new["allowed_models"]) == (
        tenant.team_id, tenant.app_id, ["gpt-4.1"],
    )  # fmt: skip
    await assert_eventually(lambda: known(key_runner[1], new["key"]) is not None, timeout=1.0)
    record = known(key_runner[1], new["key"])
    assert (
        record is not None
        and record.key_id == new["key_id"]
        and record.allowed_models == ("gpt-4.1",)
    )
    listed = await client.get(f"{base}/keys", headers=h)
    one = await client.get(f"{base}/keys/{new['key_id']}", headers=h)
    for answer in (listed, one):
        assert new["key"] not in answer.text and new["key"][:20] not in answer.text
        assert "hash" not in answer.text
    assert new["key_id"] in {k["key_id"] for k in listed.json()["data"]}
    assert one.json() == {k: v for k, v in new.items() if k != "key"}


async def test_a_revoked_key_is_refused_within_one_second(
    client: httpx.AsyncClient, tenant: Tenant, key_runner: KeyRunner
) -> None:
    base, ring = f"/v1/admin/orgs/{tenant.org_id}", key_runner[1]
    revoked = await client.post(
        f"{base}/keys/{tenant.member.key_id}/revoke", json={"reason": "leaked"},
        headers=tenant.owner.headers,
    )  # fmt: skip
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    await assert_eventually(lambda: known(ring, tenant.member.key) is None, timeout=1.0)
    # An admin key revoked without a body: its next admin call is refused as well.
    await client.post(f"{base}/keys/{tenant.admin.key_id}/revoke", headers=tenant.owner.headers)

    async def admin_refused() -> bool:
        return (await client.get(base, headers=tenant.admin.headers)).status_code == 401

    await assert_eventually(admin_refused, timeout=1.0)
    twice = await client.post(
        f"{base}/keys/{tenant.member.key_id}/revoke", headers=tenant.owner.headers
    )
    assert twice.status_code == 409


async def test_restricting_a_key_changes_the_models_it_may_use(
    client: httpx.AsyncClient, tenant: Tenant, key_runner: KeyRunner
) -> None:
    url, h = f"/v1/admin/orgs/{tenant.org_id}/keys/{tenant.member.key_id}", tenant.admin.headers
    patched = await client.patch(url, json={"allowed_models": ["o3", "gpt-4.1"]}, headers=h)
    assert patched.status_code == 200 and patched.json()["allowed_models"] == ["o3", "gpt-4.1"]

    def allowed() -> tuple[str, ...]:
        record = known(key_runner[1], tenant.member.key)
        assert record is not None
        return record.allowed_models

    await assert_eventually(lambda: allowed() == ("o3", "gpt-4.1"), timeout=1.0)
    assert (await client.get(url, headers=h)).json()["allowed_models"] == ["o3", "gpt-4.1"]
    lifted = await client.patch(url, json={"allowed_models": []}, headers=h)
    assert lifted.json()["allowed_models"] == []
    await assert_eventually(lambda: allowed() == (), timeout=1.0)


async def test_an_admin_key_cannot_issue_an_owner_key(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    answer = await client.post(
        f"/v1/admin/orgs/{tenant.org_id}/keys", json={"name": "boss", "role": "owner"},
        headers=tenant.admin.headers,
    )  # fmt: skip
    assert answer.status_code == 403
    assert answer.json()["error"]["type"] == "permission_error"


async def test_an_invalid_body_is_a_400_naming_the_field_not_echoing_the_value(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    base, h = f"/v1/admin/orgs/{tenant.org_id}", tenant.admin.headers
    secretish = "x" * 300
    answer = await client.post(f"{base}/teams", json={"name": secretish}, headers=h)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and "name" in error["message"]
    assert secretish not in answer.text
    unknown = await client.post(f"{base}/keys", json={"name": "k", "rol": "admin"}, headers=h)
    assert unknown.status_code == 400 and "rol" in unknown.json()["error"]["message"]


async def test_a_key_in_the_query_string_or_a_mistyped_key_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    base = f"/v1/admin/orgs/{tenant.org_id}"
    in_url = await client.get(base, params={"api_key": tenant.admin.key})
    assert in_url.status_code == 401 and "header" in in_url.json()["error"]["message"]
    mistyped = IssuedKey("", tenant.admin.key[:-1] + ("A" if tenant.admin.key[-1] != "A" else "B"))
    answer = await client.get(base, headers=mistyped.headers)
    assert answer.status_code == 401 and tenant.admin.key not in answer.text
