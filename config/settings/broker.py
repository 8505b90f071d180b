"""Celery: Redis in production and tests; kombu's filesystem transport for the one-command run."""

from config.env import data_dir, env_int, env_str

_broker = env_str("CELERY_BROKER_URL")
if _broker is None:
    _queue_dir = data_dir() / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
        # kombu's default is ./control, beside wherever the process was started.
        "control_folder": str(_queue_dir / "control"),
    }
else:
    CELERY_BROKER_URL = _broker
    # A task whose worker died must come back: visibility timeout above the longest task limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "tasdeeq") or "tasdeeq"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

CELERY_BEAT_SCHEDULE = {
    "purge-expired-documents": {"task": "retention.purge_documents", "schedule": 300.0},
    "requeue-stuck-verifications": {"task": "verification.requeue_stuck", "schedule": 120.0},
}
CELERY_BEAT_SCHEDULE |= {
    "sweep-orphaned-objects": {"task": "retention.sweep_orphans", "schedule": 3600.0},
    "purge-expired-records": {"task": "retention.purge_records", "schedule": 86400.0},
}
