from __future__ import annotations

from typing import Any


class TasdeeqError(Exception):
    """An API error: `code` is the stable machine-readable code of {"error": {...}}."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class RateLimited(TasdeeqError):
    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None, retry_after: float
    ):
        super().__init__(status, code, message, details)
        self.retry_after = retry_after


class SignatureVerificationError(Exception):
    """A webhook whose signature is missing, wrong or stale; `code` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ReceiptVerificationError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
