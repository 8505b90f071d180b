"""Subject access and portability: everything held about one subject of a tenant, as JSON.

A service rather than a selector because the export itself is audited (and so is every document
it reads when the images are asked for).
"""

from __future__ import annotations

import base64
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from verification.errors import NotFound
from verification.identity import subject_ref
from verification.models import AuditRecord, Event, IdentityFingerprint, Status, Tenant, Verification
from verification.selectors import verification_verified_outputs
from verification.services.audit import audit_record, chain_for
from verification.services.documents import document_read


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _verification_export(
    verification: Verification, *, actor: str, include_documents: bool
) -> dict[str, Any]:
    files = []
    for document in sorted(verification.documents.all(), key=lambda d: d.kind):
        entry: dict[str, Any] = {
            "id": str(document.id),
            "kind": document.kind,
            "content_type": document.content_type,
            "width": document.width,
            "height": document.height,
            "sha256": document.sha256,
            "created_at": _iso(document.created_at),
            "expires_at": _iso(document.expires_at),
        }
        if include_documents:
            data = document_read(document=document, actor=actor, purpose="export")
            entry["content_base64"] = base64.b64encode(data).decode("ascii")
        files.append(entry)
    ids = [str(verification.id)]
    audit = AuditRecord.objects.filter(chain=chain_for(str(verification.tenant_id))).filter(
        Q(target_type="verification", target_id__in=ids)
        | Q(target_type="document", details__verification__in=ids)
    )
    return {
        "id": str(verification.id),
        "type": verification.type,
        "status": verification.status,
        "last_error": verification.last_error,
        "checks": [{k: c[k] for k in ("name", "outcome", "reasons")} for c in verification.checks],
        "derived": verification.derived,
        "verified_outputs": verification_verified_outputs(verification=verification),
        "files": files,
        # The keyed digest is useless to the subject and sensitive to us: only whether one is held.
        "identity_fingerprint": {
            "held": IdentityFingerprint.objects.filter(verification=verification).exists()
        },
        "created_at": _iso(verification.created_at),
        "submitted_at": _iso(verification.submitted_at),
        "decided_at": _iso(verification.decided_at),
        "documents_expire_at": _iso(verification.documents_expire_at),
        "documents_deleted_at": _iso(verification.documents_deleted_at),
        "events": [
            {"type": e.type, "created_at": _iso(e.created_at)}
            for e in Event.objects.filter(verification=verification).order_by("created_at")
        ],
        "audit": [
            {
                "seq": r.seq,
                "at": _iso(r.at),
                "actor": r.actor,
                "action": r.action,
                "target_type": r.target_type,
                "target_id": r.target_id,
                "details": r.details,
            }
            for r in audit.order_by("seq")
        ],
    }


@transaction.atomic
def subject_export(
    *,
    tenant: Tenant,
    subject: str,
    actor: str,
    include_documents: bool = False,
    livemode: bool | None = None,
) -> dict[str, Any]:
    """`livemode` (the caller's key's mode) keeps test and live apart; None means both (operators)."""
    mode = {} if livemode is None else {"livemode": livemode}
    verifications = list(
        Verification.objects.filter(tenant=tenant, subject=subject, **mode)
        .exclude(status=Status.REDACTED)
        .prefetch_related("documents")
        .order_by("created_at", "id")
    )
    if not verifications:
        raise NotFound("Nothing is held about this subject.", code="subject_not_found")
    exported = [
        _verification_export(v, actor=actor, include_documents=include_documents) for v in verifications
    ]
    audit_record(
        actor=actor,
        action="subject.exported",
        target_type="subject",
        target_id=subject_ref(tenant_id=str(tenant.pk), subject=subject),
        tenant=tenant,
        details={"verifications": [v["id"] for v in exported], "documents": include_documents},
    )
    return {
        "object": "subject_export",
        "subject": subject,
        "exported_at": timezone.now().isoformat(),
        "verifications": exported,
    }
