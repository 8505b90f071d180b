"""Erasure on request: redact one verification, or every verification of a tenant's subject.

Like Stripe's redaction, the object stays (id, tenant, type, timestamps) so references to it keep
working, but its status becomes `redacted` and everything personal or outcome-bearing is gone at
once: documents (rows and wrapped keys in this transaction, objects right after the commit),
verified outputs, the subject reference, checks, last error, derived facts, the client secret, and
the same fields in the outbox events' payloads. The duplicate-identity fingerprint goes too, unless
the tenant's retention policy keeps it for fraud prevention (then it is kept without the subject).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from verification.errors import NotFound
from verification.identity import subject_ref
from verification.models import Event, IdentityFingerprint, PhoneChallenge, Status, Tenant, Verification
from verification.retention import RetentionPolicy
from verification.services.audit import audit_record
from verification.services.documents import documents_shred, object_deletions_flush
from verification.services.events import event_record, verification_changed
from verification.services.retention import deletion_receipt_issue
from verification.state_machine import transition
from verification.tokens import new_client_secret, token_hash

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"


def _scrub_events(verification: Verification) -> None:
    for event in Event.objects.filter(verification=verification):
        event.payload = {
            **event.payload,
            "subject": REDACTED,
            "checks": [],
            "last_error": None,
            "derived": {},
        }
        event.save(update_fields=["payload"])


@transaction.atomic
def verification_redact(*, verification: Verification, actor: str) -> Verification:
    """Redact at once; redacting a redacted verification changes nothing (idempotent)."""
    locked = Verification.objects.select_for_update().select_related("tenant").get(pk=verification.pk)
    if locked.status == Status.REDACTED:
        return locked
    now = timezone.now()
    if locked.type == "affiliation":  # issue #8: the token, member reference and outcome go too
        from verification.services.affiliation import affiliation_erase

        affiliation_erase(verification=locked)
    keys = documents_shred(documents=locked.documents.all())
    documents_were_live = locked.documents_deleted_at is None
    transition(locked, Status.REDACTED)
    locked.subject = REDACTED
    locked.checks = []
    locked.last_error = None
    locked.derived = {}
    locked.outputs_ciphertext = None
    locked.outputs_wrapped_key = None
    locked.outputs_key_id = ""
    locked.run_id = None
    # The capture app's secret stops working: a fresh random hash nobody holds, already expired.
    locked.client_secret_hash = token_hash(new_client_secret())
    locked.client_secret_expires_at = now
    locked.redacted_at = now
    locked.documents_expire_at = min(locked.documents_expire_at, now)
    if documents_were_live:
        locked.documents_deleted_at = now
    locked.save()

    kept = RetentionPolicy.for_tenant(locked.tenant).keep_fingerprints_on_erasure
    fingerprints = IdentityFingerprint.objects.filter(verification=locked)
    if kept:
        fingerprints.update(subject=REDACTED)
    else:
        fingerprints.delete()
    PhoneChallenge.objects.filter(verification=locked).delete()  # the sealed number and its hash
    _scrub_events(locked)
    if documents_were_live:
        event_record(verification=locked, type="verification.documents_deleted")
        deletion_receipt_issue(verification=locked)
    verification_changed(verification=locked, actor=actor)
    audit_record(
        actor=actor,
        action="documents.shredded",
        target_type="verification",
        target_id=str(locked.id),
        tenant=str(locked.tenant_id),
        details={"documents": len(keys), "fingerprint_kept": kept},
    )
    transaction.on_commit(lambda: object_deletions_flush(keys=keys))
    logger.info("verification redacted verification=%s documents=%d", locked.id, len(keys))
    return locked


@transaction.atomic
def subject_erase(
    *, tenant: Tenant, subject: str, actor: str, livemode: bool | None = None
) -> list[Verification]:
    """Redact every verification of `subject` at `tenant`; 404 when nothing is held about it.

    `livemode` (the caller's key's mode) keeps test and live apart: a test key never erases live
    data. None means both modes (an operator's erasure request)."""
    mode = {} if livemode is None else {"livemode": livemode}
    targets = list(
        Verification.objects.select_for_update()
        .filter(tenant=tenant, subject=subject, **mode)
        .exclude(status=Status.REDACTED)
        .order_by("created_at", "id")
    )
    if not targets:
        raise NotFound("Nothing is held about this subject.", code="subject_not_found")
    redacted = [verification_redact(verification=v, actor=actor) for v in targets]
    audit_record(
        actor=actor,
        action="subject.erased",
        target_type="subject",
        target_id=subject_ref(tenant_id=str(tenant.pk), subject=subject),
        tenant=tenant,
        details={"verifications": [str(v.id) for v in redacted]},
    )
    return redacted
