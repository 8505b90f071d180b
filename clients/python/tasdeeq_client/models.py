"""Typed views of the API's objects (the OpenAPI schema at /v1/schema/ is the source of truth).

`from_dict` ignores fields it does not know, so a newer server does not break an older client.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True, slots=True)
class LastError:
    code: str
    message: str
    retryable: bool | None = None
    step: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    outcome: str  # pass | fail | inconclusive
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class File:
    kind: str
    width: int
    height: int
    sha256: str
    created_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> File:
        return cls(
            kind=data["kind"],
            width=int(data["width"]),
            height=int(data["height"]),
            sha256=data["sha256"],
            created_at=_dt(data.get("created_at")),
            expires_at=_dt(data.get("expires_at")),
        )


@dataclass(frozen=True, slots=True)
class Verification:
    id: str
    livemode: bool
    subject: str
    type: str
    status: str
    last_error: LastError | None
    checks: list[Check]
    files: list[File]
    verified_outputs: dict[str, Any] | None
    derived: dict[str, Any]
    created_at: datetime | None
    submitted_at: datetime | None
    decided_at: datetime | None
    documents_expire_at: datetime | None
    documents_deleted_at: datetime | None
    redacted_at: datetime | None
    # A phone verification's state (masked number, attempts); None for other types.
    phone: dict[str, Any] | None = None
    # Only in the answer to create:
    client_secret: str | None = None
    capture_url: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verification:
        error = data.get("last_error")
        return cls(
            id=str(data["id"]),
            livemode=bool(data.get("livemode", True)),
            subject=data.get("subject", ""),
            type=data.get("type", ""),
            status=data["status"],
            last_error=LastError(**_known(LastError, error)) if error else None,
            checks=[Check(**_known(Check, c)) for c in data.get("checks") or []],
            files=[File.from_dict(f) for f in data.get("files") or []],
            verified_outputs=data.get("verified_outputs"),
            derived=dict(data.get("derived") or {}),
            created_at=_dt(data.get("created_at")),
            submitted_at=_dt(data.get("submitted_at")),
            decided_at=_dt(data.get("decided_at")),
            documents_expire_at=_dt(data.get("documents_expire_at")),
            documents_deleted_at=_dt(data.get("documents_deleted_at")),
            redacted_at=_dt(data.get("redacted_at")),
            phone=data.get("phone"),
            client_secret=data.get("client_secret"),
            capture_url=data.get("capture_url"),
        )

    @property
    def final(self) -> bool:
        return self.status in {"verified", "rejected", "canceled", "redacted"}


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str
    livemode: bool
    url: str
    description: str
    enabled_events: list[str]
    status: str  # enabled | disabled
    disabled_reason: str
    disabled_at: datetime | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime | None
    # Only in the answers to create and rotate-secret:
    secret: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookEndpoint:
        return cls(
            id=str(data["id"]),
            livemode=bool(data["livemode"]),
            url=data["url"],
            description=data.get("description", ""),
            enabled_events=list(data.get("enabled_events") or []),
            status=data["status"],
            disabled_reason=data.get("disabled_reason", ""),
            disabled_at=_dt(data.get("disabled_at")),
            failing_since=_dt(data.get("failing_since")),
            previous_secret_expires_at=_dt(data.get("previous_secret_expires_at")),
            created_at=_dt(data.get("created_at")),
            secret=data.get("secret"),
        )


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    at: datetime | None
    status_code: int | None
    latency_ms: int
    error: str
    succeeded: bool


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: str
    event_id: str
    event_type: str
    status: str  # pending | succeeded | failed
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    succeeded_at: datetime | None
    resent_from: str | None
    created_at: datetime | None
    attempt_log: list[WebhookAttempt]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookDelivery:
        return cls(
            id=str(data["id"]),
            event_id=str(data["event_id"]),
            event_type=data["event_type"],
            status=data["status"],
            attempts=int(data["attempts"]),
            next_attempt_at=_dt(data.get("next_attempt_at")),
            last_attempt_at=_dt(data.get("last_attempt_at")),
            succeeded_at=_dt(data.get("succeeded_at")),
            resent_from=data.get("resent_from"),
            created_at=_dt(data.get("created_at")),
            attempt_log=[
                WebhookAttempt(
                    at=_dt(a.get("at")),
                    status_code=a.get("status_code"),
                    latency_ms=int(a.get("latency_ms") or 0),
                    error=a.get("error", ""),
                    succeeded=bool(a.get("succeeded")),
                )
                for a in data.get("attempt_log") or []
            ],
        )


@dataclass(frozen=True, slots=True)
class Event:
    """A webhook's body. `id` is the same on every retry and resend: use it to drop duplicates;
    `sequence` orders one verification's events whatever order they arrive in."""

    id: str
    type: str
    created: int
    livemode: bool
    sequence: int
    data: dict[str, Any]

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Event:
        return cls(
            id=str(body["id"]),
            type=body["type"],
            created=int(body["created"]),
            livemode=bool(body["livemode"]),
            sequence=int(body.get("sequence") or 0),
            data=dict(body["data"]),
        )

    @property
    def verification(self) -> Verification:
        return Verification.from_dict(self.data["object"])


@dataclass(frozen=True, slots=True)
class ReceiptClaims:
    """What a verified receipt states (see the server's verification/receipts.py)."""

    verification_id: str
    tenant_id: str
    tenant_slug: str
    subject: str
    type: str
    outcome: str
    livemode: bool
    checks: list[Check]
    derived: dict[str, Any]
    assurance: dict[str, Any]
    decided_at: datetime | None
    documents_expire_at: datetime | None
    documents_deleted_at: datetime | None
    issuer: str
    issued_at: int
    jti: str
    supersedes: str | None
    kid: str

    @classmethod
    def from_claims(cls, claims: dict[str, Any], *, kid: str) -> ReceiptClaims:
        tenant = claims.get("tenant") or {}
        return cls(
            verification_id=str(claims["verification_id"]),
            tenant_id=str(tenant.get("id", "")),
            tenant_slug=str(tenant.get("slug", "")),
            subject=str(claims.get("sub", "")),
            type=str(claims.get("type", "")),
            outcome=str(claims["outcome"]),
            livemode=claims.get("livemode") is True,
            checks=[Check(**_known(Check, c)) for c in claims.get("checks") or []],
            derived=dict(claims.get("derived") or {}),
            assurance=dict(claims.get("assurance") or {}),
            decided_at=_dt(claims.get("decided_at")),
            documents_expire_at=_dt(claims.get("documents_expire_at")),
            documents_deleted_at=_dt(claims.get("documents_deleted_at")),
            issuer=str(claims.get("iss", "")),
            issued_at=int(claims["iat"]),
            jti=str(claims["jti"]),
            supersedes=claims.get("supersedes"),
            kid=kid,
        )
