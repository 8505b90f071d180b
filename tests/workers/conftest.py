"""A real Celery worker process, on Redis, against the test database and moto's S3."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from tests.aws_standin import StandIn
from tests.conftest import database_url
from tests.retention import verify_retention
from tests.workers.process import start_worker, stop_worker
from verification.services.retention import documents_purge_expired, orphans_sweep


@pytest.fixture(scope="session")
def worker_tmpdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker's own TMPDIR: raw documents never touch disk, so it must stay empty."""
    return tmp_path_factory.mktemp("worker-tmp")


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None,
    django_db_blocker: pytest.FixtureRequest,
    s3_server: str,
    tmp_path_factory: pytest.TempPathFactory,
    worker_tmpdir: Path,
    aws_standin_server: StandIn,
) -> Iterator[Path]:
    """Start `celery worker` as its own process; yields the path of its log file."""
    celery_app.control.purge()
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        # Every adapter enabled, on the AWS stand-in and moto; tenants opt in through their policy.
        **aws_standin_server.worker_env(),
        "DATABASE_URL": database_url(),
        "S3_ENDPOINT_URL": s3_server,
        "LOG_LEVEL": "INFO",
        "TMPDIR": str(worker_tmpdir),
    }
    log = log_path.open("wb")
    process = start_worker(env, output=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{log_path.read_text()}")
        if "ready." in log_path.read_text():
            break
        time.sleep(0.2)
    else:
        stop_worker(process)
        raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()}")
    yield log_path
    stop_worker(process)
    log.close()


def _broker_idle(timeout: float = 15) -> None:
    """Wait until no task is queued or in flight (acks_late: a running task sits in "unacked")."""
    deadline = time.monotonic() + timeout
    with celery_app.connection_for_read() as conn:
        client = conn.default_channel.client  # type: ignore[attr-defined]
        while time.monotonic() < deadline:
            if not client.llen(settings.CELERY_TASK_DEFAULT_QUEUE) and not client.hlen("unacked"):
                return
            time.sleep(0.1)
    raise AssertionError("the worker did not go idle")


@pytest.fixture(autouse=True)
def retention_proved_after_each_e2e_test(
    request: pytest.FixtureRequest, worker_tmpdir: Path
) -> Iterator[None]:
    """After every end-to-end test, travel past every TTL, purge, and prove nothing is left.

    verify_retention scans the bucket, the database, the broker's queue and the worker's TMPDIR
    (strictly: any file there is a finding).
    """
    if request.node.get_closest_marker("e2e") is None:
        yield
        return
    request.getfixturevalue("transactional_db")  # set up before this fixture, so torn down after it
    yield
    _broker_idle()
    later = timezone.now() + timedelta(days=31)
    documents_purge_expired(now=later)
    orphans_sweep(now=later)
    report = verify_retention(at=later, args=("--tempdir", str(worker_tmpdir), "--strict-tempdir"))
    assert report["exit"] == 0, report["findings"]
