"""Community affiliation's /metrics collector (registered by api/views/metrics.py): counts only."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from verification.models import AttestationSubmission, ConfirmationRequest, ConfirmationState


class AffiliationCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        by_state = GaugeMetricFamily(
            "tasdeeq_confirmation_requests",
            "Confirmation requests to organisations, by state.",
            labels=["state"],
        )
        counts = dict(
            ConfirmationRequest.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
        )
        for state in ConfirmationState.values:
            by_state.add_metric([state], counts.get(state, 0))
        yield by_state
        yield GaugeMetricFamily(
            "tasdeeq_confirmation_requests_overdue",
            "Pending confirmation requests past their deadline (the expiry beat task is behind).",
            ConfirmationRequest.objects.filter(
                state=ConfirmationState.PENDING, deadline__lt=timezone.now()
            ).count(),
        )
        yield GaugeMetricFamily(
            "tasdeeq_attestation_submissions_held",
            "Sealed attestation tokens waiting for their verification's run.",
            AttestationSubmission.objects.count(),
        )
