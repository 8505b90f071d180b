"""/metrics in Prometheus' text format: retention lateness and the purge jobs' counters.

Values are read from the database at scrape time (PurgeRun rows are written by whichever worker
ran the job), so every API process reports the same numbers. Labels are job names only: no ids,
no personal data. When METRICS_TOKEN is set the scraper must send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from api.errors import error_body
from verification.models import PurgeRun
from verification.models_providers import CircuitState
from verification.provider_selectors import (
    CIRCUIT_GAUGE,
    provider_call_totals,
    provider_circuits,
    provider_windows,
)
from verification.selectors import retention_lateness


class RetentionCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        lateness = retention_lateness()
        yield GaugeMetricFamily(
            "tasdeeq_documents_overdue",
            "Documents still stored past their expiry.",
            lateness.overdue_documents,
        )
        yield GaugeMetricFamily(
            "tasdeeq_documents_overdue_oldest_seconds",
            "How long the oldest overdue document has been past its expiry.",
            lateness.oldest_overdue_seconds,
        )
        yield GaugeMetricFamily(
            "tasdeeq_verified_outputs_overdue",
            "Verifications still holding verified outputs past their documents' expiry.",
            lateness.overdue_outputs,
        )
        yield GaugeMetricFamily(
            "tasdeeq_object_deletions_pending",
            "Shredded documents whose ciphertext the object store has not confirmed deleted.",
            lateness.pending_object_deletions,
        )
        yield GaugeMetricFamily(
            "tasdeeq_purge_late",
            "1 when the oldest overdue document is past PURGE_GRACE_SECONDS.",
            float(lateness.oldest_overdue_seconds > settings.PURGE_GRACE_SECONDS),
        )
        runs = CounterMetricFamily("tasdeeq_purge_runs", "Retention job runs started.", labels=["job"])
        failures = CounterMetricFamily("tasdeeq_purge_failures", "Retention job runs failed.", labels=["job"])
        deleted = CounterMetricFamily(
            "tasdeeq_purge_deleted", "Items deleted by retention jobs.", labels=["job"]
        )
        success = GaugeMetricFamily(
            "tasdeeq_purge_last_success_timestamp_seconds",
            "Unix time of the job's last successful run.",
            labels=["job"],
        )
        for run in PurgeRun.objects.order_by("job"):
            runs.add_metric([run.job], run.runs)
            failures.add_metric([run.job], run.failures)
            deleted.add_metric([run.job], run.deleted)
            if run.last_success_at is not None:
                success.add_metric([run.job], run.last_success_at.timestamp())
        yield from (runs, failures, deleted, success)


class ProviderCollector(Collector):
    """Third-party adapters: calls by outcome, recent error rate and latency percentiles, circuits.

    Counts come from the call log (every process writes it), so every API process reports the same
    numbers. Labels are provider, operation and outcome codes only.
    """

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        calls = CounterMetricFamily(
            "tasdeeq_provider_calls",
            "Provider call attempts, by outcome (short_circuited: not sent, the circuit was open).",
            labels=["provider", "operation", "outcome"],
        )
        for provider, operation, outcome, count in provider_call_totals():
            calls.add_metric([provider, operation, outcome], count)
        yield calls
        window_seconds = settings.PROVIDER_METRICS_WINDOW_SECONDS
        error_rate = GaugeMetricFamily(
            "tasdeeq_provider_error_rate",
            f"Share of provider calls that failed over the last {window_seconds} s "
            "(transient errors, timeouts, throttling, interrupted; not permanent client errors).",
            labels=["provider"],
        )
        latency = GaugeMetricFamily(
            "tasdeeq_provider_latency_ms",
            f"Provider call latency percentiles over the last {window_seconds} s, in milliseconds.",
            labels=["provider", "quantile"],
        )
        for provider, window in sorted(provider_windows(seconds=window_seconds).items()):
            error_rate.add_metric([provider], window.error_rate)
            for quantile in (0.5, 0.95, 0.99):
                value = window.percentile(quantile)
                if value is not None:
                    latency.add_metric([provider, str(quantile)], value)
        yield from (error_rate, latency)
        state = GaugeMetricFamily(
            "tasdeeq_provider_circuit_state",
            "Circuit breaker per provider: 0 closed, 1 half-open, 2 open.",
            labels=["provider"],
        )
        opened = CounterMetricFamily(
            "tasdeeq_provider_circuit_opened", "Times the provider's circuit opened.", labels=["provider"]
        )
        for circuit in provider_circuits():
            state.add_metric([circuit.provider], CIRCUIT_GAUGE[CircuitState(circuit.state)])
            opened.add_metric([circuit.provider], circuit.times_opened)
        yield from (state, opened)


_registry = CollectorRegistry(auto_describe=False)
_registry.register(RetentionCollector())
_registry.register(ProviderCollector())


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        return JsonResponse(
            error_body("authentication_failed", "A valid metrics token is needed."), status=401
        )
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)


# Issue #8: community affiliation's counts.
from api.metrics_affiliation import AffiliationCollector  # noqa: E402

_registry.register(AffiliationCollector())


# --- Webhooks (issue #6): delivery backlog and failures, by status only (no ids) -----------------
class WebhookCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        from django.db.models import Count

        from verification.models import EventFanout, WebhookAttempt, WebhookDelivery, WebhookEndpoint

        deliveries = GaugeMetricFamily(
            "tasdeeq_webhook_deliveries", "Webhook deliveries by status.", labels=["status"]
        )
        for row in WebhookDelivery.objects.values("status").annotate(n=Count("id")).order_by("status"):
            deliveries.add_metric([row["status"]], row["n"])
        yield deliveries
        attempts = CounterMetricFamily(
            "tasdeeq_webhook_attempts", "Webhook HTTP attempts by result.", labels=["result"]
        )
        for succeeded, n in (
            WebhookAttempt.objects.values_list("succeeded").annotate(n=Count("id")).order_by("succeeded")
        ):
            attempts.add_metric(["succeeded" if succeeded else "failed"], n)
        yield attempts
        endpoints = GaugeMetricFamily(
            "tasdeeq_webhook_endpoints", "Webhook endpoints by status.", labels=["status"]
        )
        for row in WebhookEndpoint.objects.values("status").annotate(n=Count("id")).order_by("status"):
            endpoints.add_metric([row["status"]], row["n"])
        yield endpoints
        from verification.models import Event

        yield GaugeMetricFamily(
            "tasdeeq_webhook_outbox_pending",
            "Outbox events not yet fanned out to webhook deliveries.",
            Event.objects.exclude(pk__in=EventFanout.objects.values("event_id")).count(),
        )


_registry.register(WebhookCollector())
