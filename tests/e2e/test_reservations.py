"""Reserved throughput as a customer's admin and its applications see it, through `hicap up`
with its demo deployments on provider-sim (the minute shortened to a few seconds): reserve
TPM of a model, traffic rides the reserved lane until the window's TPM is used and then
overflows on-demand without an error, the lane is on every response and usage row, with
overflow off the request past the reservation gets 429 and a Retry-After after which a
retry succeeds, the reservation shows its utilisation, a reservation that would oversell
is refused naming what is free, and cancelling keeps it serving until its term ends."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.asserts import assert_eventually_sync
from tests.e2e.platform import RunningPlatform, start_platform
from tests.fixtures.cli import HICAP
from tests.fixtures.servers import free_port

WINDOW_S = 4.0
MODEL = "gpt-5.4"
TPM = 3_000  # tokens per (shortened) minute


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    env = {
        "HICAP_CAPACITY_WINDOW_S": str(WINDOW_S),
        "HICAP_LEASE_INTERVAL_S": "0.2",
        "HICAP_PROVIDER_SIM_WINDOW_S": str(WINDOW_S),
        "HICAP_RESERVATION_PERIOD_S": "3600",
    }
    running = start_platform(tmp_path_factory.mktemp("reservations") / "data", free_port(), env=env)
    try:
        yield running
    finally:
        running.stop()


def admin(platform: RunningPlatform) -> httpx.Client:
    return httpx.Client(
        base_url=platform.env["HICAP_BASE_URL"],
        headers={"authorization": f"Bearer {platform.env['HICAP_ADMIN_KEY']}"},
        timeout=30,
    )


def chat(http: httpx.Client, i: int) -> httpx.Response:
    body = {
        "model": MODEL,
        "max_tokens": 40,
        "messages": [{"role": "user", "content": f"request {i}: one short line"}],
    }
    return http.post("/chat/completions", json=body)


def app_client(platform: RunningPlatform) -> httpx.Client:
    return httpx.Client(
        base_url=platform.env["HICAP_BASE_URL"],
        headers={"authorization": f"Bearer {platform.env['HICAP_API_KEY']}"},
        timeout=30,
    )


def wait_active(http: httpx.Client, rid: str) -> dict[str, object]:
    seen: dict[str, object] = {}

    def active() -> None:
        reply = http.get(f"/admin/reservations/{rid}")
        assert reply.status_code == 200, reply.text
        seen.update(reply.json())
        assert seen["status"] == "active"

    assert_eventually_sync(active, timeout=30)
    return seen


def test_a_reservation_serves_its_tpm_reserved_then_overflows_on_demand(
    platform: RunningPlatform,
) -> None:
    with admin(platform) as http, app_client(platform) as api:
        created = http.post("/admin/reservations", json={"model": MODEL, "tpm": TPM})
        assert created.status_code == 201, created.text
        rid = str(created.json()["id"])
        assert created.json()["status"] in ("requested", "active")
        wait_active(http, rid)

        lanes: Counter[str] = Counter()
        deadline = time.monotonic() + 3 * WINDOW_S
        i = 0
        while time.monotonic() < deadline:
            reply = chat(api, i)
            assert reply.status_code == 200, reply.text  # overflow never fails a request
            lanes[reply.headers["x-hicap-lane"]] += 1
            i += 1
        assert lanes["reserved"] > 0 and lanes["on-demand"] > 0, lanes
        assert set(lanes) == {"reserved", "on-demand"}

        def usage_has_both_lanes() -> None:
            reply = http.get("/admin/usage", params={"group_by": "lane"})
            assert reply.status_code == 200, reply.text
            rows = {row["lane"]: row for row in reply.json()["data"]}
            assert rows["reserved"]["requests"] == lanes["reserved"]
            assert rows["on-demand"]["requests"] == lanes["on-demand"]
            assert rows["reserved"]["cost_micros"] == 0  # covered by the reservation fee
            assert rows["on-demand"]["cost_micros"] > 0

        assert_eventually_sync(usage_has_both_lanes, timeout=60)

        def utilisation_shows_overflow() -> None:
            view = http.get(f"/admin/reservations/{rid}").json()
            period = view["utilization"]["period"]
            assert period["reserved_tokens"] > 0
            assert period["on_demand_tokens"] > 0
            assert 0 < period["overflow_share"] < 1
            for minute in view["utilization"]["last_hour"]:
                assert minute["reserved_tokens"] <= TPM * 1.05

        assert_eventually_sync(utilisation_shows_overflow, timeout=60)

        # Without overflow, the request past the reservation waits for the next window.
        patched = http.patch(f"/admin/reservations/{rid}", json={"overflow": False})
        assert patched.status_code == 200, patched.text
        refused = None
        for j in range(500):
            reply = chat(api, 10_000 + j)
            if reply.status_code == 429:
                refused = reply
                break
            assert reply.headers["x-hicap-lane"] == "reserved"
        assert refused is not None, "the reservation never ran out"
        assert refused.json()["error"]["type"]  # the OpenAI error format
        retry_after = float(refused.headers["retry-after"])
        assert 0 < retry_after <= WINDOW_S + 1
        time.sleep(retry_after)
        again = chat(api, 20_000)
        assert again.status_code == 200, again.text
        assert again.headers["x-hicap-lane"] == "reserved"

        cancelled = http.delete(f"/admin/reservations/{rid}")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelling"
        assert chat(api, 30_000).status_code == 200  # serves until its term ends


def test_a_reservation_that_would_oversell_is_refused_naming_what_is_free(
    platform: RunningPlatform,
) -> None:
    with admin(platform) as http:
        reply = http.post("/admin/reservations", json={"model": "gpt-4.1", "tpm": 5_000_000})
        assert reply.status_code == 409, reply.text
        message = reply.json()["error"]["message"]
        assert "free" in message and "gpt-4.1" in message


def test_a_byok_call_rides_the_byok_lane_and_is_billed_nothing(platform: RunningPlatform) -> None:
    with app_client(platform) as api, admin(platform) as http:
        reply = api.post(
            "/chat/completions",
            json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "mine"}]},
            headers={"x-provider-key": "sk-customer-own-key-0123456789"},
        )
        assert reply.status_code == 200, reply.text
        assert reply.headers["x-hicap-lane"] == "byok"

        def billed_nothing() -> None:
            rows = http.get("/admin/usage", params={"group_by": "lane"}).json()["data"]
            byok = {row["lane"]: row for row in rows}.get("byok")
            assert byok is not None, rows
            assert byok["requests"] == 1 and byok["cost_micros"] == 0

        assert_eventually_sync(billed_nothing, timeout=60)


def test_the_operator_lists_reservations_from_the_terminal(platform: RunningPlatform) -> None:
    import subprocess

    ran = subprocess.run(
        [HICAP, "reservations", "list", "--data-dir", str(platform.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert MODEL in ran.stdout
