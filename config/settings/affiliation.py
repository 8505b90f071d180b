"""Community affiliation (issue #8): confirmation-request deadlines and their beat job.

The beat job and the schema's enum names are added to the broker's and the API's settings in place,
so the order in which config/settings/__init__.py imports the modules does not matter.
"""

from config.env import env_int
from config.settings.api import SPECTACULAR_SETTINGS
from config.settings.broker import CELERY_BEAT_SCHEDULE

# Route 2: an organisation that has not answered a confirmation request by then sends it to review.
CONFIRMATION_DEADLINE_SECONDS = env_int("CONFIRMATION_DEADLINE_SECONDS", 3 * 24 * 3600)
# How often the organisation's endpoint is tried before officers are left to poll /v1/org/.
CONFIRMATION_WEBHOOK_MAX_ATTEMPTS = env_int("CONFIRMATION_WEBHOOK_MAX_ATTEMPTS", 6)

CELERY_BEAT_SCHEDULE["expire-confirmation-requests"] = {
    "task": "affiliation.expire_confirmations",
    "schedule": 60.0,
}

_ENUMS = SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
assert isinstance(_ENUMS, dict)
_ENUMS["ConfirmationStateEnum"] = "verification.models_affiliation.ConfirmationState.choices"
# Named too, now that two "state" enums exist (the review case's was "StateEnum" alone).
_ENUMS["ReviewStateEnum"] = "verification.models.ReviewState.choices"
