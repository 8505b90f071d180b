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


# --- Manual review -------------------------------------------------------------------------------


class AuthenticationError(DomainError):
    """The caller could not be authenticated (HTTP 401)."""

    code = "login_failed"
    message = "The username, password or code is not valid."


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this (HTTP 403)."""

    code = "permission_denied"
    message = "You may not do this."


class Locked(DomainError):
    """Too many failed attempts; `details.retry_after` says in how many seconds to try again (429)."""

    code = "reviewer_locked"
    message = "Too many failed attempts. Try again later."


class Gone(DomainError):
    """The resource existed but has been deleted for good, e.g. purged documents (HTTP 410)."""

    code = "gone"
    message = "This resource no longer exists."


class UnsupportedBackend(RuntimeError):
    """A configured storage or broker backend that an operation does not know how to inspect.

    Not a request error: operators see it (in `verify_retention` output) and choose a supported
    backend (S3 or the filesystem for documents; Redis or the filesystem for the broker).
    """
