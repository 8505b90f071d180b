"""Resilience for every adapter call, in one place.

`Resilience.call` wraps one adapter operation with:

- idempotency: a key per (verification, provider, operation, hash of the input). A call that
  already succeeded under that key is not made again; its recorded result is restored. A retried
  task therefore never calls (or pays for) the same thing twice, and never records it twice;
- a circuit breaker per provider whose state is shared by every process (`CircuitStore`, rows in
  the database): after PROVIDER_CIRCUIT_FAILURES failed attempts in a row the provider is not called
  for PROVIDER_CIRCUIT_COOLDOWN_SECONDS; then one probe is let through (half-open);
- retries with exponential backoff and full jitter, for transient errors only (5xx, timeouts,
  throttling); a permanent error (bad input, access denied) is raised at once;
- a call log (`CallStore`): provider, operation, attempt, latency, outcome and error class, and
  for a success the result's personal-data-free record (`result.record()`); never the input.

Timeouts themselves are the transport's (connect and read timeouts on the boto3 client, aws.py).
The stores are protocols so this module stays free of the ORM; verification/services/provider_calls.py
implements them.
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

    def start(self, spec: CallSpec, *, attempt: int) -> Any:
        """Record that an attempt starts (marks earlier unfinished attempts of the key interrupted)."""

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


class CircuitStore(Protocol):
    def allow(self, provider: str) -> bool:
        """May a call go out now? Claims the single half-open probe when the cool-down is over."""

    def success(self, provider: str) -> None: ...

    def failure(self, provider: str, *, threshold: int, cooldown_seconds: int) -> None: ...


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
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.calls = calls
        self.circuit = circuit
        self.retry = retry
        self.circuit_failures = circuit_failures
        self.circuit_cooldown_seconds = circuit_cooldown_seconds
        self._sleep = sleep
        self._rng = rng

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
        last: ProviderError | None = None
        for attempt in range(1, self.retry.max_attempts + 1):
            if not self.circuit.allow(spec.provider):
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
                    threshold=self.circuit_failures,
                    cooldown_seconds=self.circuit_cooldown_seconds,
                )
                last = exc
                if attempt < self.retry.max_attempts:
                    self._sleep(self.retry.delay(attempt, self._rng))
                continue
            except PermanentProviderError as exc:
                # The request's fault, not the provider's health: not retried, not counted by the circuit.
                self._finish(handle, started, Outcome.PERMANENT_ERROR, exc.code)
                raise
            except BaseException as exc:
                # A bug or a time limit: recorded so the log has no dangling attempt, then re-raised.
                self._finish(handle, started, Outcome.INTERRUPTED, type(exc).__name__)
                raise
            self.calls.finish(
                handle,
                outcome=Outcome.SUCCESS,
                latency_ms=(time.perf_counter() - started) * 1000.0,
                result=record(result),
            )
            self.circuit.success(spec.provider)
            return result
        assert last is not None
        raise last

    def _finish(self, handle: Any, started: float, outcome: str, error_class: str) -> None:
        self.calls.finish(
            handle,
            outcome=outcome,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            error_class=error_class[:64],
        )
