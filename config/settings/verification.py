"""Business knobs of the verification domain: secrets' lifetimes, upload caps, retention defaults."""

from config.env import env_int

# How long a mobile app's client secret works after the verification is created.
CLIENT_SECRET_TTL_SECONDS = env_int("CLIENT_SECRET_TTL_SECONDS", 3600)
# Upload caps, enforced before decoding: bytes on the wire, then the pixel count the header declares.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 15 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 50_000_000)
# Long side of the stored re-encoding: enough for OCR and reviewers, bounded for the checks' cost.
UPLOAD_MAX_SIDE = env_int("UPLOAD_MAX_SIDE", 3200)
# Raw documents are deleted this long after the decision, and at the latest this long after upload.
DOCUMENT_TTL_AFTER_DECISION_SECONDS = env_int("DOCUMENT_TTL_AFTER_DECISION_SECONDS", 24 * 3600)
DOCUMENT_MAX_AGE_SECONDS = env_int("DOCUMENT_MAX_AGE_SECONDS", 30 * 24 * 3600)
# How many times a user may be sent back to fix their input before the verification is rejected.
MAX_INPUT_ATTEMPTS = env_int("MAX_INPUT_ATTEMPTS", 3)
# Outcomes, check codes, events and audit records are deleted this long after they were made
# (the marketplaces keep dispute records five years).
RECORDS_RETENTION_DAYS = env_int("RECORDS_RETENTION_DAYS", 5 * 365 + 1)
# A purge is "late" (503 in /readyz) when a document is still there this long after its expiry.
PURGE_GRACE_SECONDS = env_int("PURGE_GRACE_SECONDS", 3600)
# A stored object without a row is an orphan once it is this old (an upload writes the object first).
ORPHAN_GRACE_SECONDS = env_int("ORPHAN_GRACE_SECONDS", 3600)
