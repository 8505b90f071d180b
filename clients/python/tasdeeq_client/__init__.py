"""A typed client for the Tasdeeq API, with webhook signature and receipt verification."""

from tasdeeq_client.client import Tasdeeq
from tasdeeq_client.errors import (
    RateLimited,
    ReceiptVerificationError,
    SignatureVerificationError,
    TasdeeqError,
)
from tasdeeq_client.models import (
    Check,
    Event,
    File,
    LastError,
    ReceiptClaims,
    Verification,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tasdeeq_client.receipts import receipt_verify
from tasdeeq_client.webhooks import SIGNATURE_HEADER, webhook_verify

__all__ = [
    "SIGNATURE_HEADER",
    "Check",
    "Event",
    "File",
    "LastError",
    "RateLimited",
    "ReceiptClaims",
    "ReceiptVerificationError",
    "SignatureVerificationError",
    "Tasdeeq",
    "TasdeeqError",
    "Verification",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "receipt_verify",
    "webhook_verify",
]
