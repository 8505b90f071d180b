"""verify_retention's broker and temp-directory scans find what they must, and only that."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.retention import kinds, verify_retention

ONLY_BROKER = ("--skip", "bucket", "--skip", "database", "--skip", "tempdir")


@pytest.fixture
def probe_queue() -> Iterator[str]:
    """A queue of our own on the test broker that no worker consumes."""
    name = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-probe-{uuid.uuid4().hex[:8]}"
    yield name
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete(name)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_task_message_carrying_more_than_ids_is_found(probe_queue: str) -> None:
    celery_app.send_task("verification.process", args=[str(uuid.uuid4())], queue=probe_queue)
    clean = verify_retention(args=(*ONLY_BROKER, "--queue", probe_queue))
    assert clean["exit"] == 0 and clean["scanned"]["broker"]["messages"] >= 1

    celery_app.send_task("verification.process", args=["ANNA MARIA ERIKSSON", "L898902C3"], queue=probe_queue)
    leaky = verify_retention(args=(*ONLY_BROKER, "--queue", probe_queue))
    assert leaky["exit"] == 1
    assert kinds(leaky) == {"message_with_more_than_ids"}
    # The finding names the queue, never the content.
    assert "ERIKSSON" not in str(leaky)


@pytest.mark.django_db
def test_the_temp_directory_scan(tmp_path: Path) -> None:
    only_temp = ("--skip", "bucket", "--skip", "database", "--skip", "broker", "--tempdir", str(tmp_path))
    (tmp_path / "notes.txt").write_text("nothing personal")
    assert verify_retention(args=only_temp)["exit"] == 0
    (tmp_path / "tmpab12cd.upload.jpg").write_bytes(b"\xff\xd8\xff\xe0 a spooled upload")
    (tmp_path / "capture.bin").write_bytes(b"\x89PNG raw image")
    found = verify_retention(args=only_temp)
    assert found["exit"] == 1
    assert kinds(found) == {"upload_spool_or_service_file", "image_file"}
    strict = verify_retention(args=(*only_temp, "--strict-tempdir"))
    assert len(strict["findings"]) == 3
    # pytest keeps tmp_path under the system's temporary directory: a later verify_retention run
    # on this machine must not find this test's planted spool.
    for planted in tmp_path.iterdir():
        planted.unlink()


@pytest.mark.django_db
def test_the_temp_directory_scan_skips_the_services_own_data_dir(tmp_path: Path, settings: Any) -> None:
    """A checkout under /tmp (DATA_DIR=./var inside it) is not a leftover of a request."""
    only_temp = ("--skip", "bucket", "--skip", "database", "--skip", "broker", "--tempdir", str(tmp_path))
    data_dir = tmp_path / "checkout" / "var"
    (data_dir / "broker").mkdir(parents=True)
    (data_dir / "tasdeeq.sqlite3").write_bytes(b"SQLite format 3\x00")
    (data_dir / "broker" / "tasdeeq.exchange").write_text("{}")
    (tmp_path / "tasdeeq-upload-leftover").write_bytes(b"a service temp file")
    settings.DATA_DIR = data_dir
    found = verify_retention(args=only_temp)
    # The file outside DATA_DIR is still found; nothing inside it is.
    assert [f["ref"] for f in found["findings"]] == ["tasdeeq-upload-leftover"]
