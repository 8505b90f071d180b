"""Tables of the third-party adapters: the call log, circuit state, liveness sessions, phone codes."""

from __future__ import annotations

import uuid

from django.db import models


class ProviderCall(models.Model):
    """One attempt at one provider operation. No input, no personal data: ids, codes, timings, and
    for a success the result's record (scores, statuses, keyed digests) that a retry reuses."""

    id = models.BigAutoField(primary_key=True)
    provider = models.CharField(max_length=32)
    operation = models.CharField(max_length=48)
    verification = models.ForeignKey(
        "verification.Verification",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="provider_calls",
    )
    idempotency_key = models.CharField(max_length=64)
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=24)
    error_class = models.CharField(max_length=64, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["idempotency_key", "outcome"]),
            models.Index(fields=["provider", "started_at"]),
        ]
        constraints = [
            # One live attempt or one success per key, whatever the callers do (the claim in
            # verification/services/provider_calls.py serialises them; this is the backstop).
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=models.Q(outcome__in=["started", "success"]),
                name="providercall_one_live_or_success_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}.{self.operation}#{self.attempt}:{self.outcome}"


class ProviderCallCount(models.Model):
    """Monotonic totals of finished calls for /metrics, updated in the same transaction as the call
    row and never purged: a Prometheus counter must not go down when old call rows are deleted."""

    provider = models.CharField(max_length=32)
    operation = models.CharField(max_length=48)
    outcome = models.CharField(max_length=24)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "operation", "outcome"], name="providercallcount_unique_series"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}.{self.operation}:{self.outcome}={self.count}"


class CircuitState(models.TextChoices):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class ProviderCircuit(models.Model):
    """The circuit breaker of one provider, shared by every API and worker process."""

    provider = models.CharField(max_length=32, primary_key=True)
    state = models.CharField(max_length=16, choices=CircuitState.choices, default=CircuitState.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    open_until = models.DateTimeField(null=True, blank=True)
    probe_started_at = models.DateTimeField(null=True, blank=True)
    times_opened = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.provider}:{self.state}"


class LivenessSession(models.Model):
    """A Face Liveness session created for a verification's capture app (the id is not personal)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.ForeignKey(
        "verification.Verification", on_delete=models.CASCADE, related_name="liveness_sessions"
    )
    provider = models.CharField(max_length=32)
    session_id = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["verification", "-created_at"])]

    def __str__(self) -> str:
        return f"liveness:{self.session_id}"


class PhoneChallenge(models.Model):
    """The one-time-code challenge of a phone verification.

    The number and the code's HOTP secret are sealed together (verification/crypto.py) and deleted
    as soon as the challenge ends (code verified, attempts exhausted, expired, canceled, redacted);
    what stays is `number_digest`, a keyed hash of the E.164 number, and the outcome.
    """

    verification = models.OneToOneField(
        "verification.Verification",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="phone_challenge",
    )
    sealed = models.BinaryField(null=True, blank=True)
    key_id = models.CharField(max_length=64, blank=True)
    wrapped_key = models.BinaryField(null=True, blank=True)
    number_digest = models.CharField(max_length=64)
    # HOTP counter of the current code: every send (first or resend) moves to a new code.
    counter = models.PositiveIntegerField(default=0)
    sends = models.PositiveSmallIntegerField(default=0)
    requested_at = models.DateTimeField()
    code_expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery_error = models.CharField(max_length=64, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["closed_at", "expires_at"])]

    def __str__(self) -> str:
        return f"phone_challenge:{self.verification_id}"
