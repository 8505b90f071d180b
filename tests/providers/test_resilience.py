"""Resilience against the stand-in over HTTP: retries, backoff, the shared circuit, idempotency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from kyc.adapters.base import (
    FaceDetectRequest,
    FaceDetectResult,
    PermanentProviderError,
    ProviderThrottled,
    ProviderTimeout,
    ProviderUnavailable,
    TransientProviderError,
)
from kyc.adapters.registry import face_match_adapter
from kyc.adapters.resilience import CallSpec, RetryPolicy
from tests.aws_standin import Fault, StandIn
from tests.providers.helpers import selfie, spec
from verification.models import ProviderCall, ProviderCircuit
from verification.services.provider_calls import DbCircuitStore, resilience

pytestmark = pytest.mark.django_db


def detect(call: CallSpec) -> FaceDetectResult:
    adapter = face_match_adapter("aws_rekognition", settings)
    return resilience().call(
        call,
        lambda: adapter.detect_faces(FaceDetectRequest(selfie())),
        record=FaceDetectResult.record,
        restore=FaceDetectResult.from_record,
    )


def outcomes(call: CallSpec) -> list[str]:
    rows = ProviderCall.objects.filter(idempotency_key=call.idempotency_key).order_by("id")
    return [row.outcome for row in rows]


def test_throttling_is_retried_with_backoff(providers_on: StandIn) -> None:
    providers_on.inject("DetectFaces", Fault.throttled(), Fault.throttled())
    call = spec()
    assert len(detect(call).faces) == 1
    assert providers_on.requests["DetectFaces"] == 3
    assert outcomes(call) == ["throttled", "throttled", "success"]
    row = ProviderCall.objects.get(idempotency_key=call.idempotency_key, outcome="throttled", attempt=1)
    assert row.error_class == "ThrottlingException"
    assert row.latency_ms is not None


def test_throttling_until_the_attempts_run_out_raises_throttled(providers_on: StandIn) -> None:
    providers_on.inject("DetectFaces", *[Fault.throttled()] * 3)
    with pytest.raises(ProviderThrottled):
        detect(spec())
    assert providers_on.requests["DetectFaces"] == settings.PROVIDER_MAX_ATTEMPTS


@pytest.mark.parametrize("fault", [Fault.invalid_parameter(), Fault.access_denied()])
def test_permanent_errors_are_not_retried(providers_on: StandIn, fault: Fault) -> None:
    providers_on.inject("DetectFaces", fault)
    call = spec()
    with pytest.raises(PermanentProviderError):
        detect(call)
    assert providers_on.requests["DetectFaces"] == 1
    assert outcomes(call) == ["permanent_error"]
    # Not the provider's health: the circuit does not count it.
    assert not ProviderCircuit.objects.filter(pk="aws_rekognition", consecutive_failures__gt=0).exists()


def test_timeouts_are_retried(providers_on: StandIn) -> None:
    providers_on.inject("DetectFaces", Fault.slow(1.6))  # read timeout is 1 s
    call = spec()
    assert len(detect(call).faces) == 1
    assert outcomes(call) == ["timeout", "success"]
    assert ProviderCall.objects.get(idempotency_key=call.idempotency_key, outcome="timeout").error_class == (
        "ReadTimeoutError"
    )


def test_a_5xx_burst_opens_the_circuit_and_calls_stop(providers_on: StandIn) -> None:
    providers_on.inject("DetectFaces", *[Fault.server_error()] * 20)
    with pytest.raises(TransientProviderError):
        detect(spec())  # 3 attempts
    with pytest.raises(ProviderUnavailable) as short:
        detect(spec())  # 2 more attempts reach the threshold of 5, the third is not sent
    assert short.value.code == "circuit_open"
    assert providers_on.requests["DetectFaces"] == settings.PROVIDER_CIRCUIT_FAILURES
    circuit = ProviderCircuit.objects.get(pk="aws_rekognition")
    assert circuit.state == "open"
    assert circuit.times_opened == 1
    # While open nothing is sent at all, and the refusal is logged as short-circuited.
    call = spec()
    with pytest.raises(ProviderUnavailable):
        detect(call)
    assert providers_on.requests["DetectFaces"] == settings.PROVIDER_CIRCUIT_FAILURES
    assert outcomes(call) == ["short_circuited"]


def _open_circuit(provider: str = "aws_rekognition", *, until: timedelta) -> None:
    now = timezone.now()
    ProviderCircuit.objects.update_or_create(
        pk=provider,
        defaults={"state": "open", "consecutive_failures": 5, "opened_at": now, "open_until": now + until},
    )


def test_after_the_cooldown_one_probe_closes_the_circuit(providers_on: StandIn) -> None:
    _open_circuit(until=timedelta(seconds=-1))
    assert len(detect(spec()).faces) == 1
    circuit = ProviderCircuit.objects.get(pk="aws_rekognition")
    assert (circuit.state, circuit.consecutive_failures) == ("closed", 0)


def test_a_failed_probe_opens_the_circuit_again(providers_on: StandIn) -> None:
    _open_circuit(until=timedelta(seconds=-1))
    providers_on.inject("DetectFaces", Fault.server_error())
    with pytest.raises(ProviderUnavailable):
        detect(spec())  # the probe fails, the retry finds the circuit open again
    assert providers_on.requests["DetectFaces"] == 1
    circuit = ProviderCircuit.objects.get(pk="aws_rekognition")
    assert circuit.state == "open"
    assert circuit.open_until is not None
    assert circuit.open_until > timezone.now()


def test_only_one_probe_goes_out_while_half_open(providers_on: StandIn) -> None:
    _open_circuit(until=timedelta(seconds=-1))
    store = DbCircuitStore()
    assert store.allow("aws_rekognition") is not None  # this caller probes
    assert store.allow("aws_rekognition") is None  # every other caller waits for the probe


def test_circuits_are_per_provider(providers_on: StandIn) -> None:
    _open_circuit("aws_textract", until=timedelta(minutes=5))
    assert len(detect(spec()).faces) == 1


def test_a_completed_call_is_not_made_again(providers_on: StandIn) -> None:
    call = spec(input_hash="same-input")
    first = detect(call)
    again = detect(CallSpec(call.provider, call.operation, call.verification_id, call.input_hash))
    assert again == first
    assert providers_on.requests["DetectFaces"] == 1
    assert outcomes(call) == ["success"]  # recorded once


def test_an_interrupted_attempt_is_marked_when_the_key_is_called_again(providers_on: StandIn) -> None:
    call = spec(input_hash="cut-off")
    ProviderCall.objects.create(
        provider=call.provider,
        operation=call.operation,
        idempotency_key=call.idempotency_key,
        outcome="started",
        started_at=timezone.now(),
    )
    detect(call)
    assert outcomes(call) == ["interrupted", "success"]


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=5, base_ms=100, max_ms=1000)
    assert [policy.delay(n, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.8, 1.0]
    assert policy.delay(3, lambda: 0.25) == pytest.approx(0.1)
    assert policy.delay(3, lambda: 0.0) == 0.0


def test_the_call_log_holds_no_input(providers_on: StandIn) -> None:
    call = spec()
    detect(call)
    row = ProviderCall.objects.get(idempotency_key=call.idempotency_key)
    assert set(row.result or {}) == {"faces"}
    assert row.idempotency_key == call.idempotency_key
    assert len(str(row.result)) < 500  # scores, not images


def test_settings_limit_the_attempts(providers_on: StandIn) -> None:
    providers_on.inject("DetectFaces", *[Fault.server_error()] * 3)
    with override_settings(PROVIDER_MAX_ATTEMPTS=1), pytest.raises(TransientProviderError):
        detect(spec())
    assert providers_on.requests["DetectFaces"] == 1


def test_timeouts_bound_the_call(providers_on: StandIn) -> None:
    import time

    providers_on.inject("DetectFaces", *[Fault.slow(3)] * 3)
    started = time.monotonic()
    with override_settings(PROVIDER_MAX_ATTEMPTS=1), pytest.raises(ProviderTimeout):
        detect(spec())
    assert time.monotonic() - started < 2.5
