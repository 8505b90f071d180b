"""`make run`'s local default (SQLite, filesystem broker, secrets under DATA_DIR) starts from scratch.

The suite otherwise runs on PostgreSQL, so a migration only PostgreSQL accepts would pass every
other test and still stop a newcomer's first `make run` at `migrate`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _local(tmp_path: Path, *args: str, **extra: str) -> str:
    # Only what a fresh shell has: none of the suite's DATABASE_URL, broker, S3 or test secrets.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATA_DIR": str(tmp_path / "var"), **extra}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_local_default_migrates_from_scratch_on_sqlite(tmp_path: Path) -> None:
    _local(tmp_path, "migrate", "--noinput", "-v", "0")
    assert (tmp_path / "var" / "tasdeeq.sqlite3").stat().st_size > 0
    # Every migration is applied: nothing left unapplied for `make run` to trip over later.
    plan = _local(tmp_path, "showmigrations", "--plan", "verification")
    assert "[ ]" not in plan and "[X]  verification.0001_initial" in plan


def test_links_printed_by_commands_follow_the_local_port(tmp_path: Path) -> None:
    code = ("-v", "0", "-c", "from django.conf import settings; print(settings.REVIEW_BASE_URL)")
    assert _local(tmp_path, "shell", *code, PORT="8020").strip() == "http://127.0.0.1:8020"
    assert _local(tmp_path, "shell", *code).strip() == "http://127.0.0.1:8000"
    explicit = _local(tmp_path, "shell", *code, PORT="8020", REVIEW_BASE_URL="https://review.example")
    assert explicit.strip() == "https://review.example"
