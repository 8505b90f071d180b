"""Start a real `celery worker` process (used by the end-to-end tests and the latency benchmark)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]


def start_worker(
    env: dict[str, str], *, output: IO[bytes] | int, loglevel: str = "INFO"
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            loglevel,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ],
        cwd=REPO,
        # Named in pg_stat_activity, so a connection it leaves behind says whose it is.
        env={"PGAPPNAME": "tasdeeq-test-worker", **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        # Its own process group: stop_worker reaches the pool child too, not only the main process.
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen[bytes], *, timeout: float = 20) -> None:
    """TERM (a warm shutdown: the running task finishes), then KILL to the whole group past
    `timeout`, and wait until no process of the group is left. Killing only the main process would
    orphan the pool child, still connected to the test database when pytest drops it."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # The main process is gone; its children exit after it (or are killed past a few seconds).
    deadline = time.monotonic() + 5
    while True:
        try:
            os.killpg(process.pid, 0 if time.monotonic() < deadline else signal.SIGKILL)
        except ProcessLookupError:
            return  # no process of the group is left
        time.sleep(0.1)
