"""The tamper-evident audit trail: append a record, verify a chain, export a tenant's records.

Appending locks the chain's head row, so concurrent writers of one chain take turns and the chain
never forks; chains of different tenants do not wait for each other. Call `audit_record` inside
the transaction of the change it records: a rolled-back change leaves no record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from verification.models import AuditChainHead, AuditRecord, Tenant

OPERATOR_CHAIN = "operator"
GENESIS = "0" * 64
# The record's fields its digest covers, in the order record_digest hashes them.
DIGESTED_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "details",
    "prev_digest",
)


def chain_for(tenant: Tenant | str | None) -> str:
    if tenant is None:
        return OPERATOR_CHAIN
    return str(tenant.pk if isinstance(tenant, Tenant) else tenant)


def record_digest(
    *,
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any],
    prev_digest: str,
) -> str:
    body = json.dumps(
        [chain, seq, at.isoformat(), actor, action, target_type, target_id, details, prev_digest],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@transaction.atomic
def audit_record(
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    tenant: Tenant | str | None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one record to the tenant's chain. `actor` is e.g. "api_key:<id>", "reviewer:<id>",
    "system:worker"; `details` must hold no personal data (ids, codes, counts)."""
    chain = chain_for(tenant)
    AuditChainHead.objects.get_or_create(chain=chain, defaults={"digest": GENESIS})
    head = AuditChainHead.objects.select_for_update().get(chain=chain)
    # JSON round trip: the digest must cover exactly what the database gives back on verification.
    clean_details: dict[str, Any] = json.loads(json.dumps(details or {}, default=str))
    seq = head.seq + 1
    fields: dict[str, Any] = {
        "chain": chain,
        "seq": seq,
        "at": timezone.now(),
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "details": clean_details,
        "prev_digest": head.digest,
    }
    digest = record_digest(**fields)
    record = AuditRecord.objects.create(**fields, digest=digest)
    head.seq, head.digest = seq, digest
    head.save(update_fields=["seq", "digest"])
    return record


@dataclass(frozen=True, slots=True)
class ChainProblem:
    chain: str
    seq: int
    # "digest_mismatch" | "broken_link" | "missing_record" | "head_mismatch" | "unrecorded_prune"
    problem: str


def audit_verify(*, chain: str | None = None) -> list[ChainProblem]:
    """Recompute every chain (or one) from its first record; an empty list means intact."""
    chains = [chain] if chain else sorted(AuditChainHead.objects.values_list("chain", flat=True))
    problems: list[ChainProblem] = []
    for name in chains:
        problems.extend(_verify_chain(name))
    return problems


def _verify_chain(chain: str) -> Iterator[ChainProblem]:
    head = AuditChainHead.objects.filter(chain=chain).first()
    # Records past their retention are deleted from the front (audit_prune): the kept part starts
    # at the head's base, and a base that no "audit.pruned" record vouches for is a break.
    prev, expected_seq = GENESIS, 1
    if head is not None and head.base_seq:
        prev, expected_seq = head.base_digest, head.base_seq + 1
        vouched = AuditRecord.objects.filter(
            chain=chain,
            action="audit.pruned",
            details__through_seq=head.base_seq,
            details__through_digest=head.base_digest,
        ).exists()
        if not vouched:
            yield ChainProblem(chain, head.base_seq, "unrecorded_prune")
    for record in AuditRecord.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        if record.seq != expected_seq:
            yield ChainProblem(chain, expected_seq, "missing_record")
        if record.prev_digest != prev:
            yield ChainProblem(chain, record.seq, "broken_link")
        recomputed = record_digest(**{name: getattr(record, name) for name in DIGESTED_FIELDS})
        if recomputed != record.digest:
            yield ChainProblem(chain, record.seq, "digest_mismatch")
        prev, expected_seq = record.digest, record.seq + 1
    # Deleting the newest records leaves a consistent prefix: only the head row can tell.
    if head is not None and (head.seq != expected_seq - 1 or head.digest != prev):
        yield ChainProblem(chain, head.seq, "head_mismatch")


def audit_export(*, tenant: Tenant) -> Iterator[dict[str, Any]]:
    """The tenant's chain in order, as JSON-ready dicts (verifiable with `record_digest`)."""
    for record in AuditRecord.objects.filter(chain=chain_for(tenant)).order_by("seq").iterator():
        yield {
            "seq": record.seq,
            "at": record.at.isoformat(),
            "actor": record.actor,
            "action": record.action,
            "target_type": record.target_type,
            "target_id": record.target_id,
            "details": record.details,
            "prev_digest": record.prev_digest,
            "digest": record.digest,
        }


@transaction.atomic
def audit_prune(*, chain: str, before: datetime) -> int:
    """Delete the chain's records older than `before` (retention); returns how many went.

    Only a prefix can go, so the chain stays verifiable: the head keeps the seq and digest of the
    last deleted record as the new start, and an "audit.pruned" record states the same in-chain.
    """
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        return 0
    last = AuditRecord.objects.filter(chain=chain, at__lt=before).order_by("-seq").first()
    if last is None:
        return 0
    deleted, _ = AuditRecord.objects.filter(chain=chain, seq__lte=last.seq).delete()
    AuditChainHead.objects.filter(chain=chain).update(base_seq=last.seq, base_digest=last.digest)
    audit_record(
        actor="system:retention",
        action="audit.pruned",
        target_type="audit_chain",
        target_id=chain,
        tenant=chain,
        details={"through_seq": last.seq, "through_digest": last.digest, "count": deleted},
    )
    return deleted
