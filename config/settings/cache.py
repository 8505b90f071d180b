"""The cache: Redis (rate limits are shared by every API process), or files for the one-command run."""

from config.env import data_dir, env_str

_url = env_str("CACHE_URL") or env_str("CELERY_BROKER_URL")
if _url and _url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _url,
            "KEY_PREFIX": "tasdeeq-cache",
            "TIMEOUT": 300,
        }
    }
else:
    # `make run` has no Redis; a file cache is still shared by gunicorn's workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(data_dir() / "cache"),
        }
    }
