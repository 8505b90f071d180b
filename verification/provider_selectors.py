"""Reads of the provider call log and circuits, for /metrics (api/views/metrics.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from kyc.adapters.resilience import Outcome
from verification.models_providers import CircuitState, ProviderCall, ProviderCallCount, ProviderCircuit

# What counts against a provider's health: a permanent error is the request's fault (bad image,
# access denied), not the provider's, so it is in the call totals (by outcome) but not the error rate.
HEALTH_ERRORS = Outcome.ERRORS - {Outcome.PERMANENT_ERROR}

# Latencies kept per provider for the percentiles: bounded so a scrape stays cheap.
_LATENCY_SAMPLE = 5000
CIRCUIT_GAUGE = {CircuitState.CLOSED: 0.0, CircuitState.HALF_OPEN: 1.0, CircuitState.OPEN: 2.0}


@dataclass(slots=True)
class ProviderWindow:
    calls: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile of the window's latencies, in milliseconds."""
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        rank = max(1, round(q * len(ordered) + 0.5 - 1e-9))
        return ordered[min(rank, len(ordered)) - 1]


def provider_call_totals() -> list[tuple[str, str, str, int]]:
    """(provider, operation, outcome, count) of every finished call: monotonic (ProviderCallCount is
    bumped with each call row and never purged), and one small row per series."""
    rows = ProviderCallCount.objects.order_by("provider", "operation", "outcome").values_list(
        "provider", "operation", "outcome", "count"
    )
    return [(provider, operation, outcome, int(count)) for provider, operation, outcome, count in rows]


def provider_windows(*, seconds: int) -> dict[str, ProviderWindow]:
    """Per provider, over the last `seconds`: calls sent, errors of the provider's making
    (HEALTH_ERRORS), and latencies of answered calls."""
    since = timezone.now() - timedelta(seconds=seconds)
    windows: dict[str, ProviderWindow] = {}
    sent = ProviderCall.objects.filter(started_at__gte=since).exclude(
        outcome__in=[Outcome.STARTED, Outcome.SHORT_CIRCUITED]
    )
    for row in sent.values("provider", "outcome").annotate(n=Count("id")):
        window = windows.setdefault(row["provider"], ProviderWindow())
        window.calls += int(row["n"])
        if row["outcome"] in HEALTH_ERRORS:
            window.errors += int(row["n"])
    for provider, window in windows.items():
        window.latencies_ms = [
            float(v or 0.0)
            for v in sent.filter(provider=provider, latency_ms__isnull=False)
            .order_by("-started_at")
            .values_list("latency_ms", flat=True)[:_LATENCY_SAMPLE]
        ]
    return windows


def provider_circuits() -> list[ProviderCircuit]:
    return list(ProviderCircuit.objects.order_by("provider"))
