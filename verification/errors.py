"""Domain errors. Each carries a stable code; the HTTP edge maps the class to a status.

Messages are safe to show to a tenant and never contain personal data.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: Any) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    message = "No such resource."


class InvalidState(DomainError):
    """The state machine refuses this operation in the current status (HTTP 409)."""

    code = "invalid_state_transition"


class InvalidInput(DomainError):
    """The request is well-formed but its content cannot be accepted (HTTP 400)."""

    code = "invalid_input"


class UploadTooLarge(InvalidInput):
    code = "file_too_large"


class UnsupportedFileType(InvalidInput):
    code = "file_type_not_supported"
