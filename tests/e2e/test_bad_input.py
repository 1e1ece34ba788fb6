"""Bad input, as a careless or hostile client sends it, is answered with the documented
status in the API's own error shape, never a 5xx, and the platform keeps serving."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

import httpx
import orjson
import pytest

GOOD = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_GOOD = {**GOOD, "max_tokens": 20}

# (what, body, expected status, a word the message must contain)
OPENAI_CASES: list[tuple[str, bytes, int, str]] = [
    ("not JSON", b"{not json", 400, ""),
    ("invalid UTF-8", b'{"model": "gpt-4.1", "messages": "\xff\xfe"}', 400, ""),
    ("a JSON array", b"[1, 2]", 400, ""),
    ("empty body", b"", 400, ""),
    ("model is a number", orjson.dumps({**GOOD, "model": 5}), 400, "model"),
    ("model missing", orjson.dumps({"messages": GOOD["messages"]}), 400, "model"),
    ("messages is a string", orjson.dumps({**GOOD, "messages": "hi"}), 400, "messages"),
    ("messages empty", orjson.dumps({**GOOD, "messages": []}), 400, "messages"),
    (
        "unknown role",
        orjson.dumps({**GOOD, "messages": [{"role": "wizard", "content": "x"}]}),
        400,
        "role",
    ),
    ("negative max_tokens", orjson.dumps({**GOOD, "max_tokens": -1}), 400, "max_tokens"),
    ("stream is a string", orjson.dumps({**GOOD, "stream": "yes"}), 400, "stream"),
    ("unknown model", orjson.dumps({**GOOD, "model": "no-such-model"}), 404, "no-such-model"),
]

ANTHROPIC_CASES: list[tuple[str, bytes, int, str]] = [
    ("not JSON", b"{not json", 400, ""),
    ("max_tokens missing", orjson.dumps(GOOD), 400, "max_tokens"),
    ("messages empty", orjson.dumps({**ANTHROPIC_GOOD, "messages": []}), 400, "messages"),
    (
        "content is a number",
        orjson.dumps({**ANTHROPIC_GOOD, "messages": [{"role": "user", "content": 3}]}),
        400,
        "content",
    ),
    ("unknown model", orjson.dumps({**ANTHROPIC_GOOD, "model": "no-such-model"}), 404, ""),
]


@pytest.fixture(scope="module")
def http(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {api_key}", "content-type": "application/json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        yield client


def assert_openai_error(reply: httpx.Response, status: int, word: str) -> None:
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["type"]
    assert word.lower() in error["message"].lower() or word == error.get("param")
    assert reply.headers["x-request-id"]


def assert_anthropic_error(reply: httpx.Response, status: int, word: str) -> None:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["type"] == "error"
    assert body["error"]["type"] and body["error"]["message"]
    assert word.lower() in body["error"]["message"].lower()


@pytest.mark.parametrize(
    ("what", "body", "status", "word"), OPENAI_CASES, ids=[c[0] for c in OPENAI_CASES]
)
def test_openai_surface_refuses_bad_input_in_its_format(
    http: httpx.Client, what: str, body: bytes, status: int, word: str
) -> None:
    assert_openai_error(http.post("/chat/completions", content=body), status, word)


@pytest.mark.parametrize(
    ("what", "body", "status", "word"), ANTHROPIC_CASES, ids=[c[0] for c in ANTHROPIC_CASES]
)
def test_anthropic_surface_refuses_bad_input_in_its_format(
    http: httpx.Client, what: str, body: bytes, status: int, word: str
) -> None:
    reply = http.post("/messages", content=body, headers={"anthropic-version": "2023-06-01"})
    assert_anthropic_error(reply, status, word)


def test_a_50_mib_body_is_refused_with_413(http: httpx.Client) -> None:
    huge = (
        b'{"model":"gpt-4.1","messages":[{"role":"user","content":"' + b"a" * (50 << 20) + b'"}]}'
    )
    reply = http.post("/chat/completions", content=huge)
    assert_openai_error(reply, 413, "")
    assert http.post("/chat/completions", json=GOOD).status_code == 200


def test_a_key_in_the_query_string_is_refused(base_url: str, api_key: str) -> None:
    reply = httpx.post(f"{base_url}/chat/completions?api_key={api_key}", json=GOOD)
    assert_openai_error(reply, 401, "header")
    assert api_key not in reply.text


def fuzzed_authorization(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "_-+/=.:; \t!@#$%^&*()[]{}|~`'\""
    shape = rng.randrange(6)
    junk = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))).strip()
    base62 = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(38))
    value = [
        junk,
        f"Bearer {junk}",
        f"Bearer hk_live_{base62}",  # right shape, checksum almost surely wrong
        f"Bearer hk_live_{junk}",
        f"bearer  {base62}",
        f"Basic {junk}",
    ][shape]
    return value.strip()  # HTTP clients refuse a header value with edge whitespace


def test_ten_thousand_fuzzed_authorization_values_get_401_and_the_service_keeps_serving(
    http: httpx.Client, base_url: str
) -> None:
    rng = random.Random(20261124)
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=base_url, timeout=30) as anonymous:
        for _ in range(10_000):
            value = fuzzed_authorization(rng)
            reply = anonymous.post("/chat/completions", json=GOOD, headers={"authorization": value})
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code != 401:
                pytest.fail(f"{value!r} got {reply.status_code}: {reply.text[:200]}")
            assert reply.json()["error"]["type"]
    assert statuses == {401: 10_000}
    assert http.post("/chat/completions", json=GOOD).status_code == 200
