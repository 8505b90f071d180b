"""Reads for the integration API (issue #6): scoped to a tenant and to test or live mode."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet

from verification.errors import NotFound
from verification.models import (
    Receipt,
    Tenant,
    TenantNotice,
    Verification,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def webhook_endpoint_list(*, tenant: Tenant, livemode: bool) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(tenant=tenant, livemode=livemode).order_by("created_at", "id")


def webhook_endpoint_get(*, tenant: Tenant, livemode: bool, endpoint_id: str | uuid.UUID) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.get(tenant=tenant, livemode=livemode, pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValueError, ValidationError):
        raise NotFound("No such webhook endpoint.", code="webhook_endpoint_not_found") from None


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at", "id")))
        .order_by("-created_at", "-id")
    )


def webhook_delivery_get(*, endpoint: WebhookEndpoint, delivery_id: str | uuid.UUID) -> WebhookDelivery:
    try:
        return WebhookDelivery.objects.select_related("endpoint", "event").get(
            endpoint=endpoint, pk=delivery_id
        )
    except (WebhookDelivery.DoesNotExist, ValueError, ValidationError):
        raise NotFound("No such webhook delivery.", code="webhook_delivery_not_found") from None


def tenant_notice_list(*, tenant: Tenant, livemode: bool) -> QuerySet[TenantNotice]:
    return TenantNotice.objects.filter(tenant=tenant, livemode=livemode).order_by("-created_at", "-id")


def receipt_get(*, verification: Verification) -> Receipt:
    receipt = Receipt.objects.filter(verification=verification).first()
    if receipt is None:
        raise NotFound(
            "This verification has no receipt: it is not decided (verified or rejected), or was redacted.",
            code="receipt_not_available",
        )
    return receipt
