"""The manual review queue and the reviewer console: leases, link lifetimes, login lockout."""

from config.env import env_int, env_str

# A claimed case stays with its reviewer this long after their last activity on it.
REVIEW_LEASE_SECONDS = env_int("REVIEW_LEASE_SECONDS", 15 * 60)
# Life of a signed image URL in the case view: long enough to load the page, too short to share.
REVIEW_IMAGE_URL_TTL_SECONDS = env_int("REVIEW_IMAGE_URL_TTL_SECONDS", 60)
# Life of a review API token (issued by POST /v1/review/login after password + TOTP).
REVIEW_TOKEN_TTL_SECONDS = env_int("REVIEW_TOKEN_TTL_SECONDS", 3600)
# Life of a console session after a password + TOTP login.
REVIEW_SESSION_SECONDS = env_int("REVIEW_SESSION_SECONDS", 8 * 3600)
# Life of the enrolment link create_reviewer prints (shows the QR code once).
REVIEW_ENROL_LINK_TTL_SECONDS = env_int("REVIEW_ENROL_LINK_TTL_SECONDS", 24 * 3600)
# Lockout: after this many failures in a row, wait base * 2^(extra failures) seconds, up to max.
REVIEW_LOCKOUT_THRESHOLD = env_int("REVIEW_LOCKOUT_THRESHOLD", 5)
REVIEW_LOCKOUT_BASE_SECONDS = env_int("REVIEW_LOCKOUT_BASE_SECONDS", 60)
REVIEW_LOCKOUT_MAX_SECONDS = env_int("REVIEW_LOCKOUT_MAX_SECONDS", 3600)
# The issuer name authenticator apps show, and the base of the links create_reviewer prints.
REVIEW_TOTP_ISSUER = env_str("REVIEW_TOTP_ISSUER", "Tasdeeq") or "Tasdeeq"
# By default the local run's own address: `PORT=8020 manage.py create_reviewer` prints a working link.
_LOCAL_BASE_URL = f"http://127.0.0.1:{env_int('PORT', 8000)}"
REVIEW_BASE_URL = env_str("REVIEW_BASE_URL", _LOCAL_BASE_URL) or _LOCAL_BASE_URL

LOGIN_URL = "/review/login"
