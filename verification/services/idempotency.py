"""Idempotency keys: the first answer to a POST is kept (sealed) and replayed for 24 hours.

Records are per caller (`scope`, a hash of the credential) and key; the request is remembered only
as a hash. A second request with the key while the first still runs is refused (`in use`), with a
different body it is refused (`reused`), with the same body it gets the first answer again.

An answer is linked to the verification its request created or acted on (`verification_ref`), and
redacting that verification deletes it (`idempotency_records_forget`, called by the redaction
service): a creation answer holds the subject and the client secret, which must not outlive the
erasure for the rest of the 24 hours. An organisation's answer to a confirmation request is linked
to the request's verification, and its kept answers go at the affiliation decision too (the
member's input is minimised then, not at the TTL).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from verification.crypto import Sealed, seal, unseal
from verification.models import IdempotencyRecord, Verification

# Longer than any request may take: past it, a record whose request died can be taken over.
_LOCK = timedelta(seconds=120)


class IdempotencyConflict(Exception):
    code = "idempotency_conflict"
    status = 409


class IdempotencyKeyReused(IdempotencyConflict):
    code = "idempotency_key_reused"
    status = 422


class IdempotencyKeyInUse(IdempotencyConflict):
    code = "idempotency_key_in_use"
    status = 409


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    content_type: str
    body: bytes


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Replay:
    assert record.status_code is not None
    body = b""
    if record.body_ciphertext and record.body_wrapped_key is not None:
        sealed = Sealed(bytes(record.body_ciphertext), record.body_key_id, bytes(record.body_wrapped_key))
        body = unseal(sealed, context=record.id.bytes + b"idempotency")
    return Replay(status_code=record.status_code, content_type=record.content_type, body=body)


def idempotency_begin(
    *, scope: str, key: str, request_hash: str, now: datetime | None = None
) -> IdempotencyRecord | Replay:
    """Claim `key` for this request, or return the first answer to replay; raise on a conflict."""
    now = now or timezone.now()
    key_hash = _hash(key)
    for _ in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    scope=scope,
                    key_hash=key_hash,
                    request_hash=request_hash,
                    created_at=now,
                    locked_until=now + _LOCK,
                    expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS),
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(scope=scope, key_hash=key_hash).first()
        if existing is None:
            continue
        if existing.expires_at <= now:
            IdempotencyRecord.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if existing.status_code is not None:
            if _predates_redaction(existing):
                # Kept before its verification was redacted: never replayed (see idempotency_complete).
                IdempotencyRecord.objects.filter(pk=existing.pk).delete()
                continue
            return _replay(existing)
        if existing.locked_until is not None and existing.locked_until > now:
            raise IdempotencyKeyInUse()
        # The first request died without an answer: this one takes the key over.
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, status_code__isnull=True, locked_until=existing.locked_until
        ).update(locked_until=now + _LOCK)
        if taken:
            existing.locked_until = now + _LOCK
            return existing
        raise IdempotencyKeyInUse()
    raise IdempotencyKeyInUse()


def _predates_redaction(record: IdempotencyRecord) -> bool:
    return (
        record.verification_ref is not None
        and Verification.objects.filter(
            pk=record.verification_ref, redacted_at__isnull=False, redacted_at__gte=record.created_at
        ).exists()
    )


@transaction.atomic
def idempotency_complete(
    *,
    record: IdempotencyRecord,
    status_code: int,
    content_type: str,
    body: bytes,
    verification_id: uuid.UUID | None = None,
) -> None:
    """Keep the answer, sealed: a verification's creation answer holds its client secret.

    The verification's row lock orders this against its redaction: a redaction that committed
    first, while this request ran, means the answer may hold what was erased (or is the redaction's
    own, which a retry gets again by redacting again), so it is not kept; one that comes after
    deletes the linked answer."""
    if verification_id is not None:
        locked = list(
            Verification.objects.select_for_update()
            .filter(pk=verification_id)
            .values_list("redacted_at", flat=True)
        )
        if locked and locked[0] is not None and locked[0] >= record.created_at:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return
    sealed = seal(body, context=record.id.bytes + b"idempotency")
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status_code,
        content_type=content_type[:100],
        body_ciphertext=sealed.ciphertext,
        body_key_id=sealed.key_id,
        body_wrapped_key=sealed.wrapped_key,
        locked_until=None,
        verification_ref=verification_id,
    )


def idempotency_records_forget(
    *, verification_ids: Iterable[uuid.UUID], scopes: QuerySet[Any, str] | None = None
) -> int:
    """Delete the kept answers about these verifications (in the caller's transaction: redaction,
    or the affiliation decision for the organisations' answers, `scopes` being their credentials)."""
    records = IdempotencyRecord.objects.filter(verification_ref__in=list(verification_ids))
    if scopes is not None:
        records = records.filter(scope__in=scopes)
    deleted, _ = records.delete()
    return int(deleted)


def idempotency_abandon(*, record: IdempotencyRecord) -> None:
    """No answer worth keeping (a 5xx, a 401, a 429): the key is free for the retry."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return int(deleted)
