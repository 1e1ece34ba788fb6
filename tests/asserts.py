"""Assertions for things that happen asynchronously: retry a check until it passes or time is up.

A check passes when it returns without raising and its result is not falsy; `None` counts
as a pass, so a check written with plain `assert` statements works. It fails for now when
it raises AssertionError or returns a falsy value other than None (`False`, `0`, `[]`,
`""`), and is tried again after `interval` seconds. Any other exception is a bug, not a
"not yet", and propagates at once. At the timeout the last AssertionError is re-raised
(pytest shows its introspection) with a note saying how long it was tried.
To wait for a value that may be None, compare explicitly: `lambda: row() is not None`.
Must not import the platform's packages.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

__all__ = ["assert_eventually", "assert_eventually_sync"]

T = TypeVar("T")


# ASYNC109 prefers asyncio.timeout(); `timeout=` is the signature the conventions name.
@overload
async def assert_eventually(
    check: Callable[[], Awaitable[T]],
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...
@overload
async def assert_eventually(
    check: Callable[[], T],
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...
async def assert_eventually(
    check: Callable[[], object],
    timeout: float = 5.0,  # noqa: ASYNC109
    interval: float = 0.05,
) -> object:
    """Await `check()` until it passes; return its result. Sync or async `check`."""
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            return _passed(result)
        except AssertionError as error:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timed_out(error, check, timeout, attempts) from None
            await asyncio.sleep(min(interval, remaining))


def assert_eventually_sync(
    check: Callable[[], T], timeout: float = 5.0, interval: float = 0.05
) -> T:
    """Call `check()` until it passes; return its result."""
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            return _passed(check())
        except AssertionError as error:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timed_out(error, check, timeout, attempts) from None
            time.sleep(min(interval, remaining))


def _passed(result: T) -> T:
    if result is None or result:
        return result
    raise AssertionError(f"check returned {result!r}")


def _timed_out(
    error: AssertionError, check: Callable[..., object], timeout: float, attempts: int
) -> AssertionError:
    name = getattr(check, "__qualname__", repr(check))
    error.add_note(f"assert_eventually: {name} still failing after {timeout} s ({attempts} tries)")
    return error
