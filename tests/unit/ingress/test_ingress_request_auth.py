"""The key is found in Authorization: Bearer, x-api-key or api-key; a key in the URL is
refused with a message that says to use a header; the key never appears in an error."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from hicap.errors import Unauthenticated
from hicap.ingress.request_auth import presented_key

KEY = "hk_live_abc"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"authorization": f"bearer  {KEY} "},
        {"x-api-key": KEY},
        {"X-Api-Key": KEY},
        {"api-key": KEY},
    ],
)
def test_the_key_is_found_in_any_supported_header(headers: dict[str, str]) -> None:
    assert presented_key(Headers(headers)) == KEY


def test_bearer_wins_over_x_api_key() -> None:
    assert presented_key(Headers({"authorization": "Bearer a", "x-api-key": "b"})) == "a"


def test_a_non_bearer_authorization_falls_back_to_x_api_key() -> None:
    assert presented_key(Headers({"authorization": "Basic Zm9v", "x-api-key": KEY})) == KEY


@pytest.mark.parametrize("name", ["key", "api_key", "api-key", "API_KEY"])
def test_a_key_in_the_query_string_is_refused_pointing_to_the_header(name: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        presented_key(Headers({"authorization": f"Bearer {KEY}"}), f"{name}={KEY}".encode())
    assert "header" in caught.value.message
    assert KEY not in caught.value.message


def test_other_query_parameters_are_fine() -> None:
    assert presented_key(Headers({"x-api-key": KEY}), b"beta=true&limit=5") == KEY


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer "}, {"x-api-key": " "}])
def test_no_key_is_unauthenticated(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated):
        presented_key(Headers(headers))
