"""Tenant webhooks: endpoints, the fan-out from the outbox, signed delivery with retries.

Flow: every status change writes an `Event` row in its own transaction (services/events.py). After
the commit `webhooks_kick` asks a worker to run `webhooks_fanout`, which turns each new event into
one `WebhookDelivery` per matching endpoint; a periodic run of the same fan-out picks up whatever a
broker outage left behind, so no event is lost, and a rolled-back change has no row to send.
`webhook_delivery_attempt` makes one signed POST through the hardened outbound client, logs the
attempt (status, latency, error class; never a body) and schedules the next one with exponential
backoff and jitter; an endpoint failing for WEBHOOK_DISABLE_AFTER_SECONDS is disabled with a notice.
Every function takes `now`, so tests drive the clock instead of sleeping for days.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets as token_source
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verification.crypto import Sealed, seal, unseal
from verification.errors import InvalidInput, InvalidState
from verification.models import (
    DeliveryStatus,
    EndpointStatus,
    Event,
    EventFanout,
    Tenant,
    TenantNotice,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from verification.outbound import OutboundError, Timeout, destination_check, outbound_post
from verification.services.audit import audit_record
from verification.services.events import EVENT_TYPES
from verification.webhook_signing import HEADER, secret_generate, signature_header

logger = logging.getLogger(__name__)

WEBHOOKS_ACTOR = "system:webhooks"
ALL_EVENTS = "*"
# While an attempt runs the delivery is leased, so a second worker (or the periodic scan) skips it.
_LEASE = timedelta(minutes=2)
_random = token_source.SystemRandom()


# --- Endpoints ------------------------------------------------------------------------------------


def _url_check(url: str) -> None:
    """Refuse private, loopback and link-local destinations at once (SSRF), with a stable code."""
    try:
        destination_check(url)
    except OutboundError as exc:
        raise InvalidInput(
            "The webhook URL is not allowed: it must be a public https address.",
            code="webhook_url_not_allowed",
            reason=exc.code,
        ) from None


def _events_check(events: Sequence[str]) -> list[str]:
    chosen = sorted(set(events))
    unknown = [e for e in chosen if e != ALL_EVENTS and e not in EVENT_TYPES]
    if not chosen or unknown:
        raise InvalidInput(
            "enabled_events must list known event types (or '*').",
            code="validation_error",
            unknown=unknown,
            allowed=[ALL_EVENTS, *EVENT_TYPES],
        )
    return [ALL_EVENTS] if ALL_EVENTS in chosen else chosen


def _secret_context(endpoint: WebhookEndpoint, which: str) -> bytes:
    return endpoint.id.bytes + f"webhook-secret:{which}".encode()


def _store_secret(endpoint: WebhookEndpoint, secret: str) -> None:
    sealed = seal(secret.encode(), context=_secret_context(endpoint, "current"))
    endpoint.secret_ciphertext = sealed.ciphertext
    endpoint.secret_key_id = sealed.key_id
    endpoint.secret_wrapped_key = sealed.wrapped_key


def _audit(endpoint: WebhookEndpoint, actor: str, action: str, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="webhook_endpoint",
        target_id=str(endpoint.id),
        tenant=str(endpoint.tenant_id),
        details=details,
    )


@transaction.atomic
def webhook_endpoint_create(
    *,
    tenant: Tenant,
    livemode: bool,
    url: str,
    enabled_events: Sequence[str],
    description: str = "",
    actor: str,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown once, stored sealed)."""
    _url_check(url)
    events = _events_check(enabled_events)
    if (
        WebhookEndpoint.objects.filter(tenant=tenant, livemode=livemode).count()
        >= settings.WEBHOOK_MAX_ENDPOINTS
    ):
        raise InvalidInput("Too many webhook endpoints.", code="webhook_endpoint_limit")
    endpoint = WebhookEndpoint(
        tenant=tenant, livemode=livemode, url=url, description=description, enabled_events=events
    )
    secret = secret_generate()
    _store_secret(endpoint, secret)
    endpoint.save()
    _audit(endpoint, actor, "webhook_endpoint.created", events=events, livemode=livemode)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: str,
    url: str | None = None,
    description: str | None = None,
    enabled_events: Sequence[str] | None = None,
    status: str | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; `status="enabled"` re-enables a disabled one (its failure clock restarts)."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        _url_check(url)
        locked.url = url
    if description is not None:
        locked.description = description
    if enabled_events is not None:
        locked.enabled_events = _events_check(enabled_events)
    if status is not None and status != locked.status:
        locked.status = status
        if status == EndpointStatus.ENABLED:
            locked.disabled_at = None
            locked.disabled_reason = ""
            locked.failing_since = None
        else:
            locked.disabled_at = timezone.now()
            locked.disabled_reason = "Disabled by the tenant."
    locked.save()
    _audit(locked, actor, "webhook_endpoint.updated", status=locked.status, events=locked.enabled_events)
    return locked


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: str) -> None:
    _audit(endpoint, actor, "webhook_endpoint.deleted")
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: str, overlap_seconds: int | None = None, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the old one also signs for `overlap_seconds` (both in the header)."""
    now = now or timezone.now()
    overlap = settings.WEBHOOK_ROTATION_OVERLAP_SECONDS if overlap_seconds is None else overlap_seconds
    if not 0 <= overlap <= 7 * 24 * 3600:
        raise InvalidInput("The overlap must be between 0 and 7 days.", code="validation_error")
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    current = _secret_read(locked, "current")
    previous = seal(current.encode(), context=_secret_context(locked, "previous"))
    locked.previous_secret_ciphertext = previous.ciphertext
    locked.previous_secret_key_id = previous.key_id
    locked.previous_secret_wrapped_key = previous.wrapped_key
    locked.previous_secret_expires_at = now + timedelta(seconds=overlap)
    secret = secret_generate()
    _store_secret(locked, secret)
    locked.save()
    _audit(locked, actor, "webhook_endpoint.secret_rotated", overlap_seconds=overlap)
    return locked, secret


def _secret_read(endpoint: WebhookEndpoint, which: str) -> str:
    if which == "current":
        sealed = Sealed(
            bytes(endpoint.secret_ciphertext), endpoint.secret_key_id, bytes(endpoint.secret_wrapped_key)
        )
    else:
        assert endpoint.previous_secret_ciphertext is not None
        assert endpoint.previous_secret_wrapped_key is not None
        sealed = Sealed(
            bytes(endpoint.previous_secret_ciphertext),
            endpoint.previous_secret_key_id,
            bytes(endpoint.previous_secret_wrapped_key),
        )
    return unseal(sealed, context=_secret_context(endpoint, which)).decode()


def webhook_endpoint_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during a rotation's overlap."""
    signing = [_secret_read(endpoint, "current")]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_ciphertext and expires is not None and now < expires:
        signing.append(_secret_read(endpoint, "previous"))
    return signing


# --- Fan-out from the outbox -----------------------------------------------------------------------


def _safely(send: Callable[[], Any], what: str) -> None:
    """Queue a task; a broker outage must not fail a request whose change already committed."""
    try:
        send()
    except Exception as exc:  # kombu raises OperationalError and friends; all mean "not queued"
        logger.warning("webhooks: could not queue %s (%s); the periodic scan will", what, type(exc).__name__)


def webhooks_kick() -> None:
    from workers.webhooks import fanout_webhooks  # workers depend on services, not the reverse

    _safely(fanout_webhooks.delay, "fan-out")


def _enqueue_deliveries(delivery_ids: Sequence[str]) -> None:
    from workers.webhooks import deliver_webhook

    for delivery_id in delivery_ids:
        _safely(functools.partial(deliver_webhook.delay, delivery_id), f"delivery {delivery_id}")


def _wants(endpoint: WebhookEndpoint, event: Event) -> bool:
    return (
        endpoint.livemode == event.livemode
        and endpoint.created_at <= event.created_at
        and (ALL_EVENTS in endpoint.enabled_events or event.type in endpoint.enabled_events)
    )


def webhooks_fanout(*, now: datetime | None = None, batch_size: int = 200) -> list[str]:
    """Turn outbox events not yet fanned out into deliveries; returns the new deliveries' ids."""
    now = now or timezone.now()
    created: list[str] = []
    while True:
        with transaction.atomic():
            events = list(
                Event.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(fanout__isnull=True)
                .order_by("created_at", "sequence")[:batch_size]
            )
            if not events:
                break
            endpoints: dict[uuid.UUID, list[WebhookEndpoint]] = {}
            deliveries: list[WebhookDelivery] = []
            for event in events:
                if event.tenant_id not in endpoints:
                    endpoints[event.tenant_id] = list(
                        WebhookEndpoint.objects.filter(
                            tenant_id=event.tenant_id, status=EndpointStatus.ENABLED
                        )
                    )
                deliveries += [
                    WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now, created_at=now)
                    for endpoint in endpoints[event.tenant_id]
                    if _wants(endpoint, event)
                ]
            # Two inserts per batch, not per event (ids are client-side UUIDs, known before the insert).
            EventFanout.objects.bulk_create([EventFanout(event=event, at=now) for event in events])
            WebhookDelivery.objects.bulk_create(deliveries)
            batch = [str(delivery.id) for delivery in deliveries]
            transaction.on_commit(functools.partial(_enqueue_deliveries, tuple(batch)))
            created += batch
        if len(events) < batch_size:
            break
    return created


def webhook_deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[str]:
    """Pending deliveries whose next attempt is due (retries, and kicks a broker outage lost)."""
    now = now or timezone.now()
    ids = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__status=EndpointStatus.ENABLED
    ).order_by("next_attempt_at")[:limit]
    return [str(i) for i in ids.values_list("id", flat=True)]


def webhook_deliveries_enqueue_due(*, now: datetime | None = None) -> int:
    due = webhook_deliveries_due(now=now)
    _enqueue_deliveries(due)
    return len(due)


# --- Delivery --------------------------------------------------------------------------------------


def webhook_payload(event: Event) -> bytes:
    """The body a receiver gets: the event's id (the same on every retry and resend), its type,
    when it happened, its place in the verification's sequence, and the verification as it was."""
    return json.dumps(
        {
            "id": str(event.id),
            "object": "event",
            "type": event.type,
            "created": int(event.created_at.timestamp()),
            "livemode": event.livemode,
            "sequence": event.sequence,
            "data": {"object": event.payload},
        },
        separators=(",", ":"),
    ).encode()


def backoff_seconds(attempts: int, *, rng: Callable[[float, float], float] | None = None) -> float | None:
    """Seconds until the next attempt after `attempts` failures (plus up to 10% jitter); None = give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    base = float(schedule[attempts - 1])
    return base + (rng or _random.uniform)(0.0, base * 0.1)


def _claim(delivery_id: str, now: datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None or delivery.endpoint.status != EndpointStatus.ENABLED:
            return None
        delivery.next_attempt_at = now + _LEASE
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def _send(delivery: WebhookDelivery, now: datetime) -> tuple[int | None, int, str, bool]:
    """POST once; returns (status code, latency ms, error code, permanent)."""
    body = webhook_payload(delivery.event)
    endpoint = delivery.endpoint
    headers = {
        "Content-Type": "application/json",
        HEADER: signature_header(webhook_endpoint_secrets(endpoint, now=now), body, int(now.timestamp())),
        "Tasdeeq-Event-Id": str(delivery.event_id),
        "Tasdeeq-Delivery-Id": str(delivery.id),
    }
    timeout = Timeout(connect=3.0, read=float(settings.WEBHOOK_TIMEOUT_SECONDS))
    try:
        response = outbound_post(endpoint.url, body=body, headers=headers, timeout=timeout)
    except OutboundError as exc:
        return None, 0, exc.code, exc.permanent
    if response.ok:
        return response.status, round(response.elapsed_ms), "", False
    return response.status, round(response.elapsed_ms), f"http_{response.status}", False


def _disable(endpoint: WebhookEndpoint, now: datetime) -> None:
    assert endpoint.failing_since is not None
    days = (now - endpoint.failing_since).total_seconds() / 86400
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_at = now
    endpoint.disabled_reason = f"No delivery succeeded for {days:.1f} days; fix the receiver and re-enable."
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None
    )
    TenantNotice.objects.create(
        tenant_id=endpoint.tenant_id,
        livemode=endpoint.livemode,
        kind="webhook_endpoint.disabled",
        message=endpoint.disabled_reason,
        target_id=str(endpoint.id),
        created_at=now,
    )
    _audit(endpoint, WEBHOOKS_ACTOR, "webhook_endpoint.disabled", failing_days=round(days, 2))
    logger.warning("webhook endpoint disabled endpoint=%s tenant=%s", endpoint.id, endpoint.tenant_id)


def webhook_delivery_attempt(
    *, delivery_id: str, now: datetime | None = None, rng: Callable[[float, float], float] | None = None
) -> str | None:
    """Attempt one due delivery; returns its status after the attempt, None when it was not due."""
    now = now or timezone.now()
    claimed = _claim(delivery_id, now)
    if claimed is None:
        return None
    status_code, latency_ms, error, permanent = _send(claimed, now)
    succeeded = not error
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=claimed.pk)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error,
            succeeded=succeeded,
        )
        delivery.attempts += 1
        delivery.last_attempt_at = now
        if succeeded:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.succeeded_at = now
            delivery.next_attempt_at = None
            endpoint.failing_since = None
        else:
            endpoint.failing_since = endpoint.failing_since or now
            wait = None if permanent else backoff_seconds(delivery.attempts, rng=rng)
            if wait is None:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.save()
        failing_for = (now - endpoint.failing_since).total_seconds() if endpoint.failing_since else 0.0
        if (
            endpoint.status == EndpointStatus.ENABLED
            and failing_for >= settings.WEBHOOK_DISABLE_AFTER_SECONDS
        ):
            _disable(endpoint, now)
        endpoint.save(
            update_fields=["failing_since", "status", "disabled_at", "disabled_reason", "updated_at"]
        )
    logger.info(
        "webhook attempt delivery=%s event=%s status=%s code=%s error=%s",
        delivery.id,
        delivery.event_id,
        delivery.status,
        status_code,
        error or "-",
    )
    return str(delivery.status)


@transaction.atomic
def webhook_delivery_resend(
    *, delivery: WebhookDelivery, actor: str, now: datetime | None = None
) -> WebhookDelivery:
    """Send the delivery's event again, now, as a new delivery (the receiver sees the same event id)."""
    now = now or timezone.now()
    if delivery.endpoint.status != EndpointStatus.ENABLED:
        raise InvalidState("The endpoint is disabled; enable it first.", code="webhook_endpoint_disabled")
    again = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        next_attempt_at=now,
        created_at=now,
        resent_from=delivery,
    )
    _audit(
        delivery.endpoint,
        actor,
        "webhook_delivery.resent",
        delivery=str(delivery.id),
        event=str(delivery.event_id),
    )
    transaction.on_commit(lambda: _enqueue_deliveries([str(again.id)]))
    return again
