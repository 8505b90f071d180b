"""Resilience for every adapter call, in one place.

`Resilience.call` wraps one adapter operation with:

- idempotency: a key per (verification, provider, operation, hash of the input). A call that
  already succeeded under that key is not made again; its recorded result is restored. The key is
  claimed before calling (`CallStore.claim`, held across the attempts): a concurrent run with the
  same key waits for the holder and then reuses its result, so a retried or duplicated task never
  calls (or pays for) the same thing twice, and never records it twice;
- a circuit breaker per provider whose state is shared by every process (`CircuitStore`, rows in
  the database): after PROVIDER_CIRCUIT_FAILURES failed attempts in a row the provider is not called
  for PROVIDER_CIRCUIT_COOLDOWN_SECONDS; then one probe is let through (half-open). Whatever the
  probe's outcome it resolves the circuit: an answer (success, or a permanent error) closes it, a
  transient failure opens it again, an interrupted probe hands the probe to the next caller. Only
  the probe closes a half-open circuit; a call let through before the circuit opened cannot;
- retries with exponential backoff and full jitter, for transient errors only (5xx, timeouts,
  throttling); a permanent error (bad input, access denied) is raised at once;
- a deadline (monotonic, shared by every call made through one `Resilience`): no attempt starts
  unless a whole attempt (connect + read timeout) still fits before it, so a run's provider calls
  end before the task's soft time limit and fall back with ProviderUnavailable("deadline");
- a call log (`CallStore`): provider, operation, attempt, latency, outcome and error class, and
  for a success the result's personal-data-free record (`result.record()`); never the input.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from kyc.adapters.base import (
    PermanentProviderError,
    ProviderError,
    ProviderThrottled,
    ProviderTimeout,
    ProviderUnavailable,
    TransientProviderError,
)

R = TypeVar("R")


class Outcome:
    STARTED = "started"
    SUCCESS = "success"
    TRANSIENT_ERROR = "transient_error"
    TIMEOUT = "timeout"
    THROTTLED = "throttled"
    PERMANENT_ERROR = "permanent_error"
    # A call whose process died before it answered (found when the same key is called again).
    INTERRUPTED = "interrupted"
    # Not sent: the circuit was open.
    SHORT_CIRCUITED = "short_circuited"

    ERRORS = frozenset({TRANSIENT_ERROR, TIMEOUT, THROTTLED, PERMANENT_ERROR, INTERRUPTED})


@dataclass(frozen=True, slots=True)
class CallSpec:
    provider: str
    operation: str
    verification_id: str | None
    # A hash of everything the call depends on (image digests, a counter, ...), never the input itself.
    input_hash: str

    @property
    def idempotency_key(self) -> str:
        material = f"{self.verification_id}|{self.provider}|{self.operation}|{self.input_hash}"
        return hashlib.sha256(material.encode()).hexdigest()


class CallStore(Protocol):
    def completed(self, key: str) -> Mapping[str, Any] | None:
        """The recorded result of a successful call under `key`, if there was one."""

    def claim(self, key: str, *, wait_seconds: float) -> bool:
        """Become the only caller of `key` (waiting up to `wait_seconds` for another holder)."""

    def release(self, key: str) -> None: ...

    def start(self, spec: CallSpec, *, attempt: int) -> Any:
        """Record that an attempt starts (marks earlier unfinished attempts of the key interrupted:
        the claim is held, so an unfinished attempt belongs to a process that died)."""

    def finish(
        self,
        handle: Any,
        *,
        outcome: str,
        latency_ms: float,
        error_class: str = "",
        result: Mapping[str, Any] | None = None,
    ) -> None: ...

    def short_circuited(self, spec: CallSpec) -> None: ...


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to call a provider. `probe` is set (a token of the claim) when the call is the single
    half-open probe: only that call may close the circuit."""

    probe: Any = None


class CircuitStore(Protocol):
    def allow(self, provider: str) -> Permit | None:
        """May a call go out now (None: no)? Claims the single half-open probe when the cool-down is over."""

    def success(self, provider: str, *, permit: Permit) -> None:
        """The provider answered (a result, or a permanent error about the request)."""

    def failure(self, provider: str, *, permit: Permit, threshold: int, cooldown_seconds: int) -> None: ...

    def release(self, provider: str, *, permit: Permit) -> None:
        """The call ended without telling anything about the provider (interrupted)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    base_ms: int = 200
    max_ms: int = 2000

    def delay(self, attempt: int, rng: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based): full jitter (AWS' recommendation)."""
        ceiling = min(self.max_ms, self.base_ms * 2 ** (attempt - 1))
        return rng() * ceiling / 1000.0


def _outcome_of(exc: ProviderError) -> str:
    if isinstance(exc, ProviderTimeout):
        return Outcome.TIMEOUT
    if isinstance(exc, ProviderThrottled):
        return Outcome.THROTTLED
    if isinstance(exc, PermanentProviderError):
        return Outcome.PERMANENT_ERROR
    return Outcome.TRANSIENT_ERROR


class Resilience:
    def __init__(
        self,
        *,
        calls: CallStore,
        circuit: CircuitStore,
        retry: RetryPolicy,
        circuit_failures: int,
        circuit_cooldown_seconds: int,
        deadline: float | None = None,
        attempt_seconds: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.calls = calls
        self.circuit = circuit
        self.retry = retry
        self.circuit_failures = circuit_failures
        self.circuit_cooldown_seconds = circuit_cooldown_seconds
        # time.monotonic() value after which no attempt may still be running (None: no deadline).
        self.deadline = deadline
        # The longest one attempt can take (the transport's connect + read timeouts).
        self.attempt_seconds = attempt_seconds
        self._sleep = sleep
        self._rng = rng

    def _fits(self, extra: float = 0.0) -> bool:
        """Would `extra` seconds of waiting and then a whole attempt end before the deadline?"""
        return self.deadline is None or time.monotonic() + extra + self.attempt_seconds <= self.deadline

    def _claim_wait(self) -> float:
        if self.deadline is not None:
            return max(0.0, self.deadline - time.monotonic())
        return self.attempt_seconds * self.retry.max_attempts + self.retry.max_ms / 1000.0

    def call(
        self,
        spec: CallSpec,
        fn: Callable[[], R],
        *,
        record: Callable[[R], Mapping[str, Any]],
        restore: Callable[[Mapping[str, Any]], R],
    ) -> R:
        """Run `fn` (one adapter operation) under the rules above; raises the last ProviderError."""
        key = spec.idempotency_key
        done = self.calls.completed(key)
        if done is not None:
            return restore(done)
        if not self.calls.claim(key, wait_seconds=self._claim_wait()):
            raise ProviderUnavailable("in_flight")  # another run holds the key past our deadline
        try:
            done = self.calls.completed(key)  # the holder we waited for may have succeeded
            if done is not None:
                return restore(done)
            return self._attempts(spec, fn, record)
        finally:
            self.calls.release(key)

    def _attempts(self, spec: CallSpec, fn: Callable[[], R], record: Callable[[R], Mapping[str, Any]]) -> R:
        for attempt in range(1, self.retry.max_attempts + 1):
            if not self._fits():
                raise ProviderUnavailable("deadline")
            permit = self.circuit.allow(spec.provider)
            if permit is None:
                self.calls.short_circuited(spec)
                raise ProviderUnavailable("circuit_open")
            handle = self.calls.start(spec, attempt=attempt)
            started = time.perf_counter()
            try:
                result = fn()
            except TransientProviderError as exc:
                self._finish(handle, started, _outcome_of(exc), exc.code)
                self.circuit.failure(
                    spec.provider,
                    permit=permit,
                    threshold=self.circuit_failures,
                    cooldown_seconds=self.circuit_cooldown_seconds,
                )
                if attempt == self.retry.max_attempts:
                    raise
                delay = self.retry.delay(attempt, self._rng)
                if not self._fits(delay):
                    raise ProviderUnavailable("deadline") from exc
                self._sleep(delay)
                continue
            except PermanentProviderError as exc:
                # The request's fault, not the provider's health: not retried, not counted as a
                # failure; the provider did answer, which resolves a probe.
                self._finish(handle, started, Outcome.PERMANENT_ERROR, exc.code)
                self.circuit.success(spec.provider, permit=permit)
                raise
            except BaseException as exc:
                # A bug or a time limit: recorded so the log has no dangling attempt, then re-raised.
                self._finish(handle, started, Outcome.INTERRUPTED, type(exc).__name__)
                self.circuit.release(spec.provider, permit=permit)
                raise
            self.calls.finish(
                handle,
                outcome=Outcome.SUCCESS,
                latency_ms=(time.perf_counter() - started) * 1000.0,
                result=record(result),
            )
            self.circuit.success(spec.provider, permit=permit)
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _finish(self, handle: Any, started: float, outcome: str, error_class: str) -> None:
        self.calls.finish(
            handle,
            outcome=outcome,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            error_class=error_class[:64],
        )
