"""hicap.errors: the one error tree every service raises, with a stable `code`.

    HicapError                      code             status  retryable
    ├── InvalidRequest              invalid_request  400
    │   └── PayloadTooLarge         payload_too_large 413
    ├── Unauthenticated             unauthenticated  401
    ├── PermissionDenied            permission_denied 403
    ├── NotFound                    not_found        404
    ├── Conflict                    conflict         409
    ├── RateLimited                 rate_limited     429     yes (retry_after_s)
    ├── Unavailable                 unavailable      503     yes
    │   └── UpstreamFailed          upstream_failed  502     yes
    ├── DeadlineExceeded            deadline_exceeded 504    yes
    └── Internal                    internal         500

Handlers raise these; one renderer per API surface turns them into that surface's error
body, and the bus carries them across a command reply by `code`. Imports nothing.
"""

from __future__ import annotations

from typing import ClassVar


class HicapError(Exception):
    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    default_retryable: ClassVar[bool] = False

    def __init__(
        self, message: str, *, retryable: bool | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after_s = retry_after_s


class InvalidRequest(HicapError):
    code = "invalid_request"
    status = 400


class PayloadTooLarge(InvalidRequest):
    code = "payload_too_large"
    status = 413


class Unauthenticated(HicapError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(HicapError):
    code = "permission_denied"
    status = 403


class NotFound(HicapError):
    code = "not_found"
    status = 404


class Conflict(HicapError):
    code = "conflict"
    status = 409


class RateLimited(HicapError):
    code = "rate_limited"
    status = 429
    default_retryable = True


class Unavailable(HicapError):
    code = "unavailable"
    status = 503
    default_retryable = True


class UpstreamFailed(Unavailable):
    code = "upstream_failed"
    status = 502


class DeadlineExceeded(HicapError):
    code = "deadline_exceeded"
    status = 504
    default_retryable = True


class Internal(HicapError):
    code = "internal"
    status = 500


def _all_subclasses(cls: type[HicapError]) -> list[type[HicapError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_all_subclasses(sub))
    return out


ERROR_CLASSES: dict[str, type[HicapError]] = {c.code: c for c in _all_subclasses(HicapError)}
"""code -> class, so an error that crossed the bus is raised again as its own type."""


def error_from_code(
    code: str, message: str, *, retryable: bool | None = None, retry_after_s: float | None = None
) -> HicapError:
    cls = ERROR_CLASSES.get(code, Internal)
    return cls(message, retryable=retryable, retry_after_s=retry_after_s)


__all__ = [
    "ERROR_CLASSES",
    "Conflict",
    "DeadlineExceeded",
    "HicapError",
    "Internal",
    "InvalidRequest",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
    "UpstreamFailed",
    "error_from_code",
]
