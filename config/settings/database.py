"""The database: PostgreSQL through DATABASE_URL; SQLite under DATA_DIR for the local run only."""

import dj_database_url

from config.env import data_dir, env_int, env_str

_url = env_str("DATABASE_URL")
if _url is None:
    _url = f"sqlite:///{data_dir() / 'tasdeeq.sqlite3'}"

DATABASES = {
    "default": dj_database_url.parse(
        _url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded run shares one file between the web process and the worker.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
