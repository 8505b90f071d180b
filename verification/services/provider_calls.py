"""The database side of kyc/adapters/resilience.py: the call log and the shared circuit breakers.

Each write is its own short transaction (autocommit), made outside the caller's transaction on
purpose: a call that happened stays recorded even if the caller's work later rolls back, and a
circuit opened by one worker is seen by every other process at once.

An idempotency key is claimed with a PostgreSQL session advisory lock: held across the attempts of
one call, waited for by a concurrent caller of the same key, and released by the server when the
holder's connection dies (a killed worker), so a "started" row found under the lock is known dead.
A partial unique index (one started or success row per key) backs it up. Finished calls also bump
`ProviderCallCount` in the same transaction: the monotonic totals /metrics exports.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from kyc.adapters.base import ProviderUnavailable
from kyc.adapters.resilience import CallSpec, Outcome, Permit, Resilience, RetryPolicy
from verification.models_providers import CircuitState, ProviderCall, ProviderCircuit

_CLAIM_POLL_SECONDS = 0.05


def _lock_id(key: str) -> int:
    # 60 bits of the key's hex digest: a positive bigint, the advisory lock's key space.
    return int(key[:15], 16)


def _count(provider: str, operation: str, outcome: str, n: int = 1) -> None:
    """Add `n` to the monotonic total of (provider, operation, outcome), in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO verification_providercallcount (provider, operation, outcome, count) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (provider, operation, outcome) "
            "DO UPDATE SET count = verification_providercallcount.count + EXCLUDED.count",
            [provider, operation, outcome, n],
        )


class DbCallStore:
    def completed(self, key: str) -> Mapping[str, Any] | None:
        row = (
            ProviderCall.objects.filter(idempotency_key=key, outcome=Outcome.SUCCESS)
            .order_by("-id")
            .values_list("result", flat=True)
            .first()
        )
        return row if isinstance(row, dict) else None

    def claim(self, key: str, *, wait_seconds: float) -> bool:
        ends = time.monotonic() + wait_seconds
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_id(key)])
                row = cursor.fetchone()
            if row is not None and row[0]:
                return True
            if time.monotonic() >= ends:
                return False
            time.sleep(_CLAIM_POLL_SECONDS)

    def release(self, key: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_id(key)])

    def start(self, spec: CallSpec, *, attempt: int) -> ProviderCall:
        now = timezone.now()
        try:
            with transaction.atomic():
                # An attempt left "started" was cut off (its process died: the claim is ours): say so, once.
                cut_off = ProviderCall.objects.filter(
                    idempotency_key=spec.idempotency_key, outcome=Outcome.STARTED
                ).update(outcome=Outcome.INTERRUPTED, error_class="WorkerLost", finished_at=now)
                if cut_off:
                    _count(spec.provider, spec.operation, Outcome.INTERRUPTED, cut_off)
                return ProviderCall.objects.create(
                    provider=spec.provider,
                    operation=spec.operation,
                    verification_id=spec.verification_id,
                    idempotency_key=spec.idempotency_key,
                    attempt=attempt,
                    outcome=Outcome.STARTED,
                    started_at=now,
                )
        except IntegrityError:
            # Another caller holds the key without the claim (cannot happen through Resilience).
            raise ProviderUnavailable("in_flight") from None

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
        with transaction.atomic():
            ProviderCall.objects.filter(pk=handle.pk).update(
                outcome=outcome,
                latency_ms=latency_ms,
                error_class=error_class,
                result=dict(result) if result is not None else None,
                finished_at=timezone.now(),
            )
            _count(handle.provider, handle.operation, outcome)

    def short_circuited(self, spec: CallSpec) -> None:
        now = timezone.now()
        with transaction.atomic():
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
            _count(spec.provider, spec.operation, Outcome.SHORT_CIRCUITED)


# A half-open probe that has not reported back after this long is presumed dead; another may go.
def _probe_timeout() -> timedelta:
    return timedelta(
        seconds=(settings.PROVIDER_CONNECT_TIMEOUT_SECONDS + settings.PROVIDER_READ_TIMEOUT_SECONDS) * 2
    )


class DbCircuitStore:
    def allow(self, provider: str) -> Permit | None:
        now = timezone.now()
        circuit = ProviderCircuit.objects.filter(pk=provider).first()
        if circuit is None or circuit.state == CircuitState.CLOSED:
            return Permit()
        # Open past its cool-down, or a probe that never reported: exactly one caller wins the update.
        claimed = (
            ProviderCircuit.objects.filter(pk=provider)
            .filter(
                Q(state=CircuitState.OPEN, open_until__lte=now)
                | Q(state=CircuitState.HALF_OPEN, probe_started_at__lte=now - _probe_timeout())
            )
            .update(state=CircuitState.HALF_OPEN, probe_started_at=now)
        )
        # The claim's time is the probe's token: a probe presumed dead and replaced cannot resolve.
        return Permit(probe=now) if claimed == 1 else None

    def success(self, provider: str, *, permit: Permit) -> None:
        circuits = ProviderCircuit.objects.filter(pk=provider)
        if permit.probe is not None:
            circuits.filter(state=CircuitState.HALF_OPEN, probe_started_at=permit.probe).update(
                state=CircuitState.CLOSED, consecutive_failures=0, open_until=None, probe_started_at=None
            )
            return
        # A call let through while closed only resets the count; it never closes an open circuit.
        circuits.filter(state=CircuitState.CLOSED).exclude(consecutive_failures=0).update(
            consecutive_failures=0
        )

    def failure(self, provider: str, *, permit: Permit, threshold: int, cooldown_seconds: int) -> None:
        now = timezone.now()
        with transaction.atomic():
            circuit, _ = ProviderCircuit.objects.select_for_update().get_or_create(pk=provider)
            circuit.consecutive_failures = F("consecutive_failures") + 1
            circuit.save(update_fields=["consecutive_failures"])
            circuit.refresh_from_db()
            is_probe = (
                permit.probe is not None
                and circuit.state == CircuitState.HALF_OPEN
                and circuit.probe_started_at == permit.probe
            )
            should_open = is_probe or (
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

    def release(self, provider: str, *, permit: Permit) -> None:
        if permit.probe is None:
            return
        # The probe was cut off and told nothing: open, with the cool-down over, so the next caller probes.
        ProviderCircuit.objects.filter(
            pk=provider, state=CircuitState.HALF_OPEN, probe_started_at=permit.probe
        ).update(state=CircuitState.OPEN, open_until=timezone.now(), probe_started_at=None)


def resilience() -> Resilience:
    """The configured Resilience (settings are read at each call: tests and operators may change them
    without a restart of the helper objects). Its deadline starts now: one instance per run, so every
    provider call of the run shares PROVIDER_DEADLINE_SECONDS."""
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
        deadline=time.monotonic() + settings.PROVIDER_DEADLINE_SECONDS,
        attempt_seconds=float(
            settings.PROVIDER_CONNECT_TIMEOUT_SECONDS + settings.PROVIDER_READ_TIMEOUT_SECONDS
        ),
    )
