"""Community affiliation (issue #8): confirmation-request deadlines and their beat jobs."""

from config.env import env_int
from config.settings.broker import CELERY_BEAT_SCHEDULE as _BASE_SCHEDULE

# Route 2: an organisation that has not answered a confirmation request by then sends it to review.
CONFIRMATION_DEADLINE_SECONDS = env_int("CONFIRMATION_DEADLINE_SECONDS", 3 * 24 * 3600)
# How often the organisation's endpoint is tried before officers are left to poll /v1/org/.
CONFIRMATION_WEBHOOK_MAX_ATTEMPTS = env_int("CONFIRMATION_WEBHOOK_MAX_ATTEMPTS", 6)

CELERY_BEAT_SCHEDULE = {
    **_BASE_SCHEDULE,
    "expire-confirmation-requests": {"task": "affiliation.expire_confirmations", "schedule": 60.0},
}

from config.settings.api import SPECTACULAR_SETTINGS as _SPECTACULAR  # noqa: E402

SPECTACULAR_SETTINGS = {
    **_SPECTACULAR,
    "ENUM_NAME_OVERRIDES": {
        **_SPECTACULAR["ENUM_NAME_OVERRIDES"],  # type: ignore[dict-item]
        "ConfirmationStateEnum": "verification.models_affiliation.ConfirmationState.choices",
        # Named too, now that two "state" enums exist (the review case's was "StateEnum" alone).
        "ReviewStateEnum": "verification.models.ReviewState.choices",
    },
}
