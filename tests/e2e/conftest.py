"""One platform, started as a user starts it (`hicap up`), shared by the SDK tests of a
session; tests that need their own (restarts, signals) start one themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.platform import RunningPlatform, start_platform
from tests.fixtures.servers import free_port


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path_factory.mktemp("platform") / "data", free_port())
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def base_url(platform: RunningPlatform) -> str:
    return platform.env["HICAP_BASE_URL"]


@pytest.fixture(scope="session")
def api_key(platform: RunningPlatform) -> str:
    return platform.env["HICAP_API_KEY"]


@pytest.fixture(scope="session")
def admin_key(platform: RunningPlatform) -> str:
    return platform.env["HICAP_ADMIN_KEY"]
