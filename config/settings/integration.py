"""Tenant integration (issue #6): webhooks, idempotency keys, rate limits, the capture page, receipts."""

from django.core.exceptions import ImproperlyConfigured

from config import local_secrets
from config.env import data_dir, env_int, env_list, env_str
from config.settings.api import REST_FRAMEWORK as _REST_FRAMEWORK
from config.settings.api import SPECTACULAR_SETTINGS as _SPECTACULAR_SETTINGS
from config.settings.base import MIDDLEWARE as _MIDDLEWARE
from config.settings.broker import CELERY_BEAT_SCHEDULE as _BEAT_SCHEDULE

# --- Webhooks ------------------------------------------------------------------------------------
# Seconds between attempts after each failure (jitter adds up to 10%); the last attempt comes a bit
# over three days after the first.
try:
    WEBHOOK_RETRY_SCHEDULE = [
        int(s)
        for s in env_list(
            "WEBHOOK_RETRY_SCHEDULE",
            ["300", "1800", "7200", "18000", "36000", "36000", "36000", "43200", "86400"],
        )
    ]
except ValueError as _exc:
    raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds.") from _exc
# An endpoint failing (no 2xx) for this long is disabled, and the tenant gets a notice.
WEBHOOK_DISABLE_AFTER_SECONDS = env_int("WEBHOOK_DISABLE_AFTER_SECONDS", 3 * 24 * 3600)
# How long the previous secret keeps signing after a rotation, unless the rotation says otherwise.
WEBHOOK_ROTATION_OVERLAP_SECONDS = env_int("WEBHOOK_ROTATION_OVERLAP_SECONDS", 24 * 3600)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ENDPOINTS = env_int("WEBHOOK_MAX_ENDPOINTS", 16)

# --- Idempotency keys and rate limits ------------------------------------------------------------
IDEMPOTENCY_TTL_SECONDS = env_int("IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
# "N/s", "N/m", "N/h" or "N/d"; per API key, and per client secret (the capture app).
RATE_LIMIT_API_KEY = env_str("RATE_LIMIT_API_KEY", "600/m")
RATE_LIMIT_CLIENT_SECRET = env_str("RATE_LIMIT_CLIENT_SECRET", "120/m")

# The shared objects are updated in place (and re-exported): other settings modules re-export them
# too, so whichever is imported last, nothing added here is lost.
if "api.idempotency.IdempotencyMiddleware" not in _MIDDLEWARE:
    _MIDDLEWARE.append("api.idempotency.IdempotencyMiddleware")
MIDDLEWARE = _MIDDLEWARE
_REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "api.throttling.ApiKeyRateThrottle",
    "api.throttling.ClientSecretRateThrottle",
]
REST_FRAMEWORK = _REST_FRAMEWORK
_SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "WebhookEndpointStatusEnum": "verification.models_integration.EndpointStatus.choices",
        "WebhookDeliveryStatusEnum": "verification.models_integration.DeliveryStatus.choices",
    }
)
SPECTACULAR_SETTINGS = _SPECTACULAR_SETTINGS

# --- Hosted capture page -------------------------------------------------------------------------
# `return_url` must be https, or http to one of these hosts (local development and tests).
RETURN_URL_ALLOWED_HOSTS = env_list("RETURN_URL_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

# --- Signed receipts -----------------------------------------------------------------------------
# "kid:<base64 32-byte Ed25519 seed>,kid2:...": the first signs, every one is published in the JWKS
# (rotation: put the new key first and keep the old ones while receipts signed with them matter).
_PROFILE = env_str("TASDEEQ_ENV", "local")
_receipt_keys = env_str("TASDEEQ_RECEIPT_KEYS")
if _receipt_keys is None and _PROFILE == "production":
    raise ImproperlyConfigured("Production needs TASDEEQ_RECEIPT_KEYS in the environment.")
TASDEEQ_RECEIPT_KEYS = _receipt_keys or local_secrets.receipt_keys_load_or_create(data_dir())
TASDEEQ_RECEIPT_ISSUER = env_str("TASDEEQ_RECEIPT_ISSUER", "tasdeeq") or "tasdeeq"

_BEAT_SCHEDULE.update(
    {
        "webhooks-fanout": {"task": "webhooks.fanout", "schedule": 30.0},
        "webhooks-deliver-due": {"task": "webhooks.deliver_due", "schedule": 60.0},
        "idempotency-purge": {"task": "idempotency.purge", "schedule": 3600.0},
    }
)
CELERY_BEAT_SCHEDULE = _BEAT_SCHEDULE
