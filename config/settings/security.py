"""Secrets and keys: Django's secret key, the document master keys, the HMAC pepper, HTTPS."""

from django.core.exceptions import ImproperlyConfigured

from config import local_secrets
from config.env import data_dir, env_bool, env_int, env_str

_PROFILE = env_str("TASDEEQ_ENV", "local")
_NAMES = ("DJANGO_SECRET_KEY", "TASDEEQ_MASTER_KEYS", "TASDEEQ_HMAC_PEPPER")
_given = {name: env_str(name) for name in _NAMES}
_missing = [name for name, value in _given.items() if value is None]
if _missing and _PROFILE == "production":
    raise ImproperlyConfigured(f"Production needs these secrets in the environment: {', '.join(_missing)}.")
_fallback = local_secrets.load_or_create(data_dir()) if _missing else {}

SECRET_KEY = _given["DJANGO_SECRET_KEY"] or _fallback["DJANGO_SECRET_KEY"]
# "kid:base64key,kid2:base64key": the first wraps new data keys, the others still unwrap old ones.
TASDEEQ_MASTER_KEYS = _given["TASDEEQ_MASTER_KEYS"] or _fallback["TASDEEQ_MASTER_KEYS"]
# Keyed hashes of document numbers and phone numbers; rotating it breaks duplicate detection.
TASDEEQ_HMAC_PEPPER = _given["TASDEEQ_HMAC_PEPPER"] or _fallback["TASDEEQ_HMAC_PEPPER"]
# Which key wrapper protects data keys: "local" (master keys above); a KMS wrapper plugs in here.
TASDEEQ_KEY_WRAPPER = env_str("TASDEEQ_KEY_WRAPPER", "local")

if _PROFILE == "production":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
