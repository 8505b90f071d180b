"""The database side of kyc/adapters/resilience.py: the call log and the shared circuit breakers.

Each write is its own short transaction (autocommit), made outside the caller's transaction on
purpose: a call that happened stays recorded even if the caller's work later rolls back, and a
circuit opened by one worker is seen by every other process at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kyc.adapters.resilience import CallSpec, Outcome, Resilience, RetryPolicy
from verification.models_providers import CircuitState, ProviderCall, ProviderCircuit


class DbCallStore:
    def completed(self, key: str) -> Mapping[str, Any] | None:
        row = (
            ProviderCall.objects.filter(idempotency_key=key, outcome=Outcome.SUCCESS)
            .order_by("-id")
            .values_list("result", flat=True)
            .first()
        )
        return row if isinstance(row, dict) else None

    def start(self, spec: CallSpec, *, attempt: int) -> ProviderCall:
        now = timezone.now()
        # An attempt left "started" was cut off (the process died mid-call): say so, once.
        ProviderCall.objects.filter(idempotency_key=spec.idempotency_key, outcome=Outcome.STARTED).update(
            outcome=Outcome.INTERRUPTED, error_class="WorkerLost", finished_at=now
        )
        return ProviderCall.objects.create(
            provider=spec.provider,
            operation=spec.operation,
            verification_id=spec.verification_id,
            idempotency_key=spec.idempotency_key,
            attempt=attempt,
            outcome=Outcome.STARTED,
            started_at=now,
        )

    def finish(
        self,
        handle: Any,
        *,
        outcome: str,
        latency_ms: float,
        error_class: str = "",
        result: Mapping[str, Any] | None = None,
    ) -> None:
        assert isinstance(handle, ProviderCall)
        ProviderCall.objects.filter(pk=handle.pk).update(
            outcome=outcome,
            latency_ms=latency_ms,
            error_class=error_class,
            result=dict(result) if result is not None else None,
            finished_at=timezone.now(),
        )

    def short_circuited(self, spec: CallSpec) -> None:
        now = timezone.now()
        ProviderCall.objects.create(
            provider=spec.provider,
            operation=spec.operation,
            verification_id=spec.verification_id,
            idempotency_key=spec.idempotency_key,
            outcome=Outcome.SHORT_CIRCUITED,
            error_class="CircuitOpen",
            latency_ms=0.0,
            started_at=now,
            finished_at=now,
        )


# A half-open probe that has not reported back after this long is presumed dead; another may go.
def _probe_timeout() -> timedelta:
    return timedelta(
        seconds=(settings.PROVIDER_CONNECT_TIMEOUT_SECONDS + settings.PROVIDER_READ_TIMEOUT_SECONDS) * 2
    )


class DbCircuitStore:
    def allow(self, provider: str) -> bool:
        now = timezone.now()
        circuit = ProviderCircuit.objects.filter(pk=provider).first()
        if circuit is None or circuit.state == CircuitState.CLOSED:
            return True
        # Open past its cool-down, or a probe that never reported: exactly one caller wins the update.
        claimed = (
            ProviderCircuit.objects.filter(pk=provider)
            .filter(
                Q(state=CircuitState.OPEN, open_until__lte=now)
                | Q(state=CircuitState.HALF_OPEN, probe_started_at__lte=now - _probe_timeout())
            )
            .update(state=CircuitState.HALF_OPEN, probe_started_at=now)
        )
        return claimed == 1

    def success(self, provider: str) -> None:
        ProviderCircuit.objects.filter(pk=provider).exclude(
            state=CircuitState.CLOSED, consecutive_failures=0
        ).update(state=CircuitState.CLOSED, consecutive_failures=0, open_until=None, probe_started_at=None)

    def failure(self, provider: str, *, threshold: int, cooldown_seconds: int) -> None:
        now = timezone.now()
        with transaction.atomic():
            circuit, _ = ProviderCircuit.objects.select_for_update().get_or_create(pk=provider)
            circuit.consecutive_failures = F("consecutive_failures") + 1
            circuit.save(update_fields=["consecutive_failures"])
            circuit.refresh_from_db()
            should_open = circuit.state == CircuitState.HALF_OPEN or (
                circuit.state == CircuitState.CLOSED and circuit.consecutive_failures >= threshold
            )
            if should_open:
                circuit.state = CircuitState.OPEN
                circuit.opened_at = now
                circuit.open_until = now + timedelta(seconds=cooldown_seconds)
                circuit.probe_started_at = None
                circuit.times_opened += 1
                circuit.save(
                    update_fields=["state", "opened_at", "open_until", "probe_started_at", "times_opened"]
                )


def resilience() -> Resilience:
    """The configured Resilience for every adapter call (settings are read at each call: tests and
    operators may change them without a restart of the helper objects)."""
    return Resilience(
        calls=DbCallStore(),
        circuit=DbCircuitStore(),
        retry=RetryPolicy(
            max_attempts=settings.PROVIDER_MAX_ATTEMPTS,
            base_ms=settings.PROVIDER_BACKOFF_BASE_MS,
            max_ms=settings.PROVIDER_BACKOFF_MAX_MS,
        ),
        circuit_failures=settings.PROVIDER_CIRCUIT_FAILURES,
        circuit_cooldown_seconds=settings.PROVIDER_CIRCUIT_COOLDOWN_SECONDS,
    )
