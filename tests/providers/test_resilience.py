"""Resilience against the stand-in over HTTP: retries, backoff, the shared circuit, idempotency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

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


# --- Review fixes: deadline, probes, configuration errors, concurrency -----------------------------


def test_the_deadline_stops_retries_before_the_task_time_limit(providers_on: StandIn) -> None:
    import time

    providers_on.inject("DetectFaces", *[Fault.slow(1.6)] * 3)  # each attempt times out after 1 s
    started = time.monotonic()
    # A whole attempt takes up to connect + read = 2 s: after the first, the second no longer fits.
    with override_settings(PROVIDER_DEADLINE_SECONDS=2.5), pytest.raises(ProviderUnavailable) as cut:
        detect(spec())
    assert cut.value.code == "deadline"
    assert providers_on.requests["DetectFaces"] == 1
    assert time.monotonic() - started < 2.5


def test_one_deadline_covers_every_call_of_a_run(providers_on: StandIn) -> None:
    import time

    adapter = face_match_adapter("aws_rekognition", settings)
    with override_settings(PROVIDER_DEADLINE_SECONDS=3):
        run = resilience()
    providers_on.inject("DetectFaces", Fault.slow(1.6))
    for operation in ("first", "second"):
        with pytest.raises((ProviderTimeout, ProviderUnavailable)):
            run.call(
                spec(operation=operation),
                lambda: adapter.detect_faces(FaceDetectRequest(selfie())),
                record=FaceDetectResult.record,
                restore=FaceDetectResult.from_record,
            )
        providers_on.inject("DetectFaces", *[Fault.slow(1.6)] * 3)
    assert run.deadline is not None
    assert time.monotonic() <= run.deadline + 0.5
    assert providers_on.requests["DetectFaces"] <= 2


def test_a_probe_answered_with_a_permanent_error_closes_the_circuit(providers_on: StandIn) -> None:
    _open_circuit(until=timedelta(seconds=-1))
    providers_on.inject("DetectFaces", Fault.invalid_parameter())
    with pytest.raises(PermanentProviderError):
        detect(spec())
    circuit = ProviderCircuit.objects.get(pk="aws_rekognition")
    assert (circuit.state, circuit.consecutive_failures) == ("closed", 0)  # the provider answered


def test_an_interrupted_probe_hands_the_probe_on(providers_on: StandIn) -> None:
    _open_circuit(until=timedelta(seconds=-1))
    adapter = face_match_adapter("aws_rekognition", settings)

    def cut_off() -> FaceDetectResult:
        adapter.detect_faces(FaceDetectRequest(selfie()))
        raise KeyboardInterrupt  # what a time limit or a shutdown does mid-call

    with pytest.raises(KeyboardInterrupt):
        resilience().call(
            spec(), cut_off, record=FaceDetectResult.record, restore=FaceDetectResult.from_record
        )
    circuit = ProviderCircuit.objects.get(pk="aws_rekognition")
    assert circuit.state == "open"
    assert circuit.open_until is not None
    assert circuit.open_until <= timezone.now()
    assert DbCircuitStore().allow("aws_rekognition") is not None  # the next caller probes at once


def test_only_the_probe_closes_a_circuit(providers_on: StandIn) -> None:
    from kyc.adapters.resilience import Permit

    store = DbCircuitStore()
    _open_circuit(until=timedelta(minutes=5))
    store.success("aws_rekognition", permit=Permit())  # a call let through before the circuit opened
    assert ProviderCircuit.objects.get(pk="aws_rekognition").state == "open"
    _open_circuit(until=timedelta(seconds=-1))
    probe = store.allow("aws_rekognition")
    assert probe is not None
    assert probe.probe is not None
    store.success("aws_rekognition", permit=Permit())
    assert ProviderCircuit.objects.get(pk="aws_rekognition").state == "half_open"
    store.success("aws_rekognition", permit=probe)
    assert ProviderCircuit.objects.get(pk="aws_rekognition").state == "closed"


def test_missing_credentials_are_permanent_and_do_not_open_the_circuit(
    providers_on: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    call = spec()
    with (
        override_settings(
            AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_USE_DEFAULT_CREDENTIALS=True
        ),
        pytest.raises(PermanentProviderError) as refused,
    ):
        detect(call)
    assert refused.value.code == "NoCredentialsError"
    assert providers_on.requests["DetectFaces"] == 0
    assert outcomes(call) == ["permanent_error"]  # not retried
    assert not ProviderCircuit.objects.filter(pk="aws_rekognition", consecutive_failures__gt=0).exists()


def _in_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in n threads released together; each thread has its own database connection."""
    from django.db import connection

    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test to assert on
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_with_the_same_key_call_once(providers_on: StandIn) -> None:
    providers_on.inject("DetectFaces", Fault.slow(0.5))  # the first call is slow: the others pile up
    call = spec(input_hash="raced")
    results = _in_threads(6, lambda _: detect(call))
    assert all(isinstance(r, FaceDetectResult) for r in results), results
    assert len({r for r in results}) == 1
    assert providers_on.requests["DetectFaces"] == 1  # one call, one charge
    assert outcomes(call) == ["success"]
    assert (
        ProviderCall.objects.filter(idempotency_key=call.idempotency_key, outcome="interrupted").count() == 0
    )


@pytest.mark.django_db(transaction=True)
def test_racing_callers_get_one_probe_and_count_every_failure(providers_on: StandIn) -> None:
    _open_circuit(until=timedelta(seconds=-1))
    store = DbCircuitStore()
    permits = _in_threads(8, lambda _: store.allow("aws_rekognition"))
    assert sum(1 for p in permits if p is not None) == 1, permits
    ProviderCircuit.objects.filter(pk="aws_rekognition").delete()

    from kyc.adapters.resilience import Permit

    _in_threads(
        8, lambda _: store.failure("aws_rekognition", permit=Permit(), threshold=5, cooldown_seconds=30)
    )
    circuit = ProviderCircuit.objects.get(pk="aws_rekognition")
    assert circuit.consecutive_failures == 8  # no lost update
    assert (circuit.state, circuit.times_opened) == ("open", 1)  # opened once, not once per racer
