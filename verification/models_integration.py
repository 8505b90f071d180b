"""Tenant integration tables (issue #6): webhook endpoints and deliveries, idempotency records,
notices to tenants and signed receipts.

No request or response body is stored in clear: webhook secrets and replayable responses are sealed
with `verification.crypto`; attempts keep status codes and latencies, never bodies.
"""

from __future__ import annotations

import uuid

from django.db import models

__all__ = [
    "DeliveryStatus",
    "EndpointStatus",
    "EventFanout",
    "IdempotencyRecord",
    "Receipt",
    "TenantNotice",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled"
    DISABLED = "disabled"


class WebhookEndpoint(models.Model):
    """A tenant's URL that receives signed events; a tenant may have several, each with its filter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "verification.Tenant", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    livemode = models.BooleanField(default=True)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Event types this endpoint receives; ["*"] means every type.
    enabled_events = models.JSONField(default=list)
    secret_ciphertext = models.BinaryField()
    secret_key_id = models.CharField(max_length=64)
    secret_wrapped_key = models.BinaryField()
    # After a rotation the previous secret also signs until `previous_secret_expires_at`.
    previous_secret_ciphertext = models.BinaryField(null=True, blank=True)
    previous_secret_key_id = models.CharField(max_length=64, blank=True)
    previous_secret_wrapped_key = models.BinaryField(null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED)
    disabled_reason = models.CharField(max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt since the last success; None while the endpoint answers.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "livemode", "status"])]

    def __str__(self) -> str:
        return f"webhook_endpoint:{self.id}"


class EventFanout(models.Model):
    """Marks an outbox event as turned into deliveries (its absence is the fan-out's to-do list)."""

    event = models.OneToOneField(
        "verification.Event", on_delete=models.CASCADE, primary_key=True, related_name="fanout"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"fanout:{self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint: attempted until a 2xx, or until the retry schedule runs out."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("verification.Event", on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; while an attempt runs it holds a short lease in the future.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    # A manual resend is a new delivery of the same event (the receiver sees the same event id).
    resent_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"webhook_delivery:{self.id}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: when, the answer's status and latency, or the error's class."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=64, blank=True)  # an exception class or a code, never a body
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["delivery", "at"])]

    def __str__(self) -> str:
        return f"attempt:{self.pk}"


class TenantNotice(models.Model):
    """Something the tenant must know about its integration (e.g. an endpoint was disabled)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("verification.Tenant", on_delete=models.CASCADE, related_name="notices")
    livemode = models.BooleanField(default=True)
    kind = models.CharField(max_length=64)
    message = models.CharField(max_length=300)
    target_id = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.target_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, per caller, for 24 hours.

    `scope` is a hash of the caller's credential and `key_hash` of the key; the request body is
    never stored, only its hash. The response body may hold a client secret, so it is sealed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=64)
    key_hash = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    # Null while the first request is still running.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body_ciphertext = models.BinaryField(null=True, blank=True)
    body_key_id = models.CharField(max_length=64, blank=True)
    body_wrapped_key = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    # The verification the request created or acted on, so redacting it drops the kept answer (a
    # creation answer holds the subject and client secret). A plain id, not a foreign key: it is
    # known only once the answer is, and a 404 answer may name an id that does not exist.
    verification_ref = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key_hash"], name="idempotency_key_unique")]
        indexes = [models.Index(fields=["expires_at"]), models.Index(fields=["verification_ref"])]

    def __str__(self) -> str:
        return f"idempotency:{self.id}"


class Receipt(models.Model):
    """The current signed receipt of a decided verification (reissued when its documents go)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.OneToOneField(
        "verification.Verification", on_delete=models.CASCADE, related_name="receipt"
    )
    kid = models.CharField(max_length=64)
    jws = models.TextField()
    issued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"receipt:{self.id}"
