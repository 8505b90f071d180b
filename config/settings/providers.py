"""Third-party adapters (kyc/adapters/): which run, their credentials, timeouts and resilience.

An adapter listed in TASDEEQ_PROVIDERS must be fully configured or the process refuses to start
(kyc/adapters/registry.py: adapters_check_configuration). Tenants then choose, in their policy,
which of the enabled adapters run for them and in which mode (README "Providers").
"""

from config.env import env_int, env_list, env_str
from config.settings.broker import CELERY_BEAT_SCHEDULE

# Adapters this deployment may use, by code: aws_rekognition, aws_liveness, aws_textract, aws_sns.
TASDEEQ_PROVIDERS = env_list("TASDEEQ_PROVIDERS", [])

# AWS: one region and one credential pair for every AWS adapter. Both keys or neither: with neither,
# boto3's own chain (instance role, web identity) supplies them, which AWS_USE_DEFAULT_CREDENTIALS
# must then say explicitly, so that a forgotten key is an error and not a silent fallback.
AWS_REGION = env_str("AWS_REGION")
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
AWS_USE_DEFAULT_CREDENTIALS = env_str("AWS_USE_DEFAULT_CREDENTIALS", "false") in {"1", "true", "yes"}
# Endpoint overrides per service (a VPC endpoint, or the loopback stand-ins in tests).
AWS_REKOGNITION_ENDPOINT_URL = env_str("AWS_REKOGNITION_ENDPOINT_URL")
AWS_TEXTRACT_ENDPOINT_URL = env_str("AWS_TEXTRACT_ENDPOINT_URL")
AWS_SNS_ENDPOINT_URL = env_str("AWS_SNS_ENDPOINT_URL")
# SNS: the sender id shown on the handset where carriers allow one (optional).
AWS_SNS_SENDER_ID = env_str("AWS_SNS_SENDER_ID")

# Resilience (kyc/adapters/resilience.py), the same for every adapter.
PROVIDER_CONNECT_TIMEOUT_SECONDS = env_int("PROVIDER_CONNECT_TIMEOUT_SECONDS", 3)
PROVIDER_READ_TIMEOUT_SECONDS = env_int("PROVIDER_READ_TIMEOUT_SECONDS", 10)
PROVIDER_MAX_ATTEMPTS = env_int("PROVIDER_MAX_ATTEMPTS", 3)
PROVIDER_BACKOFF_BASE_MS = env_int("PROVIDER_BACKOFF_BASE_MS", 200)
PROVIDER_BACKOFF_MAX_MS = env_int("PROVIDER_BACKOFF_MAX_MS", 2000)
# Every provider call of one run (a document's checks, one SMS) must end within this many seconds;
# no attempt starts unless a whole one (connect + read timeout) still fits. Keep it with a margin
# below the tasks' soft time limit (60 s, workers/tasks.py): what is cut off falls back.
PROVIDER_DEADLINE_SECONDS = env_int("PROVIDER_DEADLINE_SECONDS", 40)
# The circuit opens after this many failed calls in a row and stays open this long.
PROVIDER_CIRCUIT_FAILURES = env_int("PROVIDER_CIRCUIT_FAILURES", 5)
PROVIDER_CIRCUIT_COOLDOWN_SECONDS = env_int("PROVIDER_CIRCUIT_COOLDOWN_SECONDS", 30)
# Latency percentiles and error rates in /metrics are computed over this recent window.
PROVIDER_METRICS_WINDOW_SECONDS = env_int("PROVIDER_METRICS_WINDOW_SECONDS", 900)

# Phone verification (type "phone").
PHONE_CODE_DIGITS = env_int("PHONE_CODE_DIGITS", 6)
PHONE_CODE_TTL_SECONDS = env_int("PHONE_CODE_TTL_SECONDS", 300)
PHONE_CODE_MAX_ATTEMPTS = env_int("PHONE_CODE_MAX_ATTEMPTS", 5)
PHONE_RESEND_COOLDOWN_SECONDS = env_int("PHONE_RESEND_COOLDOWN_SECONDS", 60)
PHONE_MAX_SENDS = env_int("PHONE_MAX_SENDS", 5)
# After this long the sealed number is deleted whatever happened; the challenge cannot continue.
PHONE_CHALLENGE_TTL_SECONDS = env_int("PHONE_CHALLENGE_TTL_SECONDS", 3600)
# A number without a country prefix is read as a number of this region (ISO 3166 alpha-2).
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "GB") or "GB"

# Forget the numbers of abandoned phone challenges (the same dict broker.py defines).
CELERY_BEAT_SCHEDULE["expire-phone-challenges"] = {
    "task": "verification.expire_phone_challenges",
    "schedule": 300.0,
}
