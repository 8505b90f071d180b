"""The audit trail: chained records, tampering detected, concurrent appends never fork a chain."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from verification.models import AuditChainHead, AuditRecord, Tenant
from verification.services.audit import audit_export, audit_record, audit_verify, chain_for, record_digest
from verification.services.tenants import tenant_create


def _append(tenant: Tenant, n: int) -> list[AuditRecord]:
    return [
        audit_record(
            actor="reviewer:7",
            action="document.viewed",
            target_type="document",
            target_id=f"doc-{i}",
            tenant=tenant,
            details={"kind": "selfie", "i": i},
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_an_untouched_chain_verifies_and_exports_in_order(tenant: Tenant) -> None:
    records = _append(tenant, 5)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[1].prev_digest == records[0].digest
    assert audit_verify() == []
    exported = list(audit_export(tenant=tenant))
    assert [row["seq"] for row in exported] == [1, 2, 3, 4, 5]
    assert exported[-1]["digest"] == AuditChainHead.objects.get(chain=chain_for(tenant)).digest
    # Anyone holding the export can recompute each digest without the database.
    row = exported[2]
    assert row["digest"] == record_digest(
        chain=chain_for(tenant),
        seq=row["seq"],
        at=AuditRecord.objects.get(chain=chain_for(tenant), seq=3).at,
        actor=row["actor"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        details=row["details"],
        prev_digest=row["prev_digest"],
    )


@pytest.mark.django_db
def test_an_edited_record_is_detected(tenant: Tenant) -> None:
    _append(tenant, 4)
    AuditRecord.objects.filter(chain=chain_for(tenant), seq=2).update(actor="reviewer:8")
    problems = audit_verify()
    assert [(p.seq, p.problem) for p in problems] == [(2, "digest_mismatch")]


@pytest.mark.django_db
def test_a_removed_record_and_a_removed_tail_are_detected(tenant: Tenant) -> None:
    _append(tenant, 5)
    AuditRecord.objects.filter(chain=chain_for(tenant), seq=3).delete()
    assert {p.problem for p in audit_verify()} == {"missing_record", "broken_link"}
    AuditRecord.objects.filter(chain=chain_for(tenant), seq__gte=3).delete()
    assert [p.problem for p in audit_verify()] == ["head_mismatch"]


@pytest.mark.django_db
def test_a_rewritten_chain_with_fresh_digests_still_fails_at_the_head(tenant: Tenant) -> None:
    _append(tenant, 3)
    forged = AuditRecord.objects.get(chain=chain_for(tenant), seq=3)
    forged.details = {"kind": "id_front"}
    forged.digest = record_digest(
        chain=forged.chain,
        seq=forged.seq,
        at=forged.at,
        actor=forged.actor,
        action=forged.action,
        target_type=forged.target_type,
        target_id=forged.target_id,
        details=forged.details,
        prev_digest=forged.prev_digest,
    )
    forged.save()
    assert [p.problem for p in audit_verify()] == ["head_mismatch"]


@pytest.mark.django_db
def test_verify_audit_command_exits_non_zero_on_tampering(tenant: Tenant) -> None:
    _append(tenant, 2)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert '"ok": true' in out.getvalue()
    AuditRecord.objects.filter(chain=chain_for(tenant), seq=1).update(action="document.deleted")
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit", "--tenant", tenant.slug, stdout=io.StringIO())
    assert raised.value.returncode == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_make_one_unbroken_chain() -> None:
    tenant, _ = tenant_create(slug="audit-race")
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            barrier.wait()
            _append(tenant, 10)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    records = AuditRecord.objects.filter(chain=chain_for(tenant)).order_by("seq")
    seqs = list(records.values_list("seq", flat=True))
    assert seqs == list(range(1, 61))
    assert audit_verify(chain=chain_for(tenant)) == []
