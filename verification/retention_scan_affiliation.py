"""What `verify_retention` checks for community affiliation (issue #8): no member input outlives
its decision or its TTL. Called from retention_scan.scan_database; read-only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from verification.models import AttestationSubmission, ConfirmationRequest, ConfirmationState, Status


def scan_affiliation(*, now: datetime, grace: timedelta, add: Any) -> None:
    """`add` appends a Finding; findings name ids only."""
    from verification.retention_scan import Finding

    waiting = (Status.REQUIRES_INPUT, Status.PROCESSING)
    for verification_id in AttestationSubmission.objects.filter(
        ~Q(verification__status__in=waiting) | Q(verification__documents_expire_at__lt=now - grace)
    ).values_list("verification_id", flat=True):
        add(Finding("database", "attestation_token_after_decision", str(verification_id)))
    for request_id in (
        ConfirmationRequest.objects.exclude(state=ConfirmationState.PENDING)
        .filter(member_ref_ciphertext__isnull=False)
        .values_list("id", flat=True)
    ):
        add(Finding("database", "member_reference_after_decision", str(request_id)))
