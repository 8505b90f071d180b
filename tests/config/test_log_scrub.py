"""The logging filter masks what looks personal and leaves ids, codes and timings alone."""

from __future__ import annotations

import io
import logging
import uuid
from typing import Any

import pytest

from config.log_scrub import MASK, ScrubFilter, scrub


def test_personal_looking_text_is_masked() -> None:
    mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    for text in (
        mrz,
        "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<06",
        "35202-1234567-1",
        "anna.eriksson+kyc@example.org",
        "+92 300 1234567",
        "3520212345671",
    ):
        assert scrub(f"before {text} after") == f"before {MASK} after"


def test_ids_codes_and_digests_survive() -> None:
    vid = str(uuid.UUID("6f1c2d3e-1111-2222-3333-123456789012"))
    line = (
        f"verification decided verification={vid} status=verified codes=image_too_blurry "
        "digest=ab12cd34ef567890 took=1234ms"
    )
    assert scrub(line) == line


def test_the_filter_rewrites_message_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("tests.scrub")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("lookup failed for %s", "35202-1234567-1")
        try:
            raise ValueError("bad number 35202-7654321-9 for anna@example.org")
        except ValueError:
            logger.exception("third party said no")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert "35202" not in output and "anna@" not in output
    assert "ValueError" in output and output.count(MASK) == 5  # the source line shows in the traceback too


def test_the_json_format_of_the_settings_is_scrubbed_too() -> None:
    import copy
    import json
    import logging.config

    from config.settings.logging import LOGGING

    config: dict[str, Any] = copy.deepcopy(LOGGING)
    stream = io.StringIO()
    config["handlers"]["console"].update(formatter="json", stream=stream)
    config["root"] = {"handlers": [], "level": "INFO"}
    config["loggers"] = {"tests.json": {"handlers": ["console"], "level": "INFO", "propagate": False}}
    logging.config.dictConfig(config)
    try:
        logging.getLogger("tests.json").info("checked cnic=%s", "35202-1234567-1")
        line = json.loads(stream.getvalue().splitlines()[-1])
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
    assert line["message"] == f"checked cnic={MASK}"
    assert line["level"] == "INFO" and line["logger"] == "tests.json"


def test_bearer_secrets_are_masked() -> None:
    for secret in (
        "vcs_" + "a1B2-c3_D4" * 4,
        "tdq_live_" + "Zz09" * 8,
        "tdq_test_" + "Zz09" * 8,
        "whsec_" + "abc_DEF-123" * 3,
    ):
        assert scrub(f"GET /v/{secret} HTTP/1.1") == f"GET /v/{MASK} HTTP/1.1"


@pytest.mark.django_db  # the server process reads the test database (its tables must exist)
def test_gunicorns_access_log_never_holds_the_capture_pages_client_secret(tmp_path: Any) -> None:
    """A real gunicorn, run as `make run` and the image run it, writing its access log to a file."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from pathlib import Path

    from tests.conftest import database_url, free_port

    port = free_port()
    access_log = tmp_path / "access.log"
    root = Path(__file__).resolve().parents[2]
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [*gunicorn, "--workers", "1", "--access-logfile", str(access_log)]
        + ["--logger-class", "config.gunicorn_logging.ScrubbingLogger"],
        cwd=root,
        env={
            "PGAPPNAME": "tasdeeq-test-gunicorn",
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    secret = "vcs_" + "Q" * 43
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v/{secret}", timeout=5)  # noqa: S310
            except urllib.error.HTTPError as answered:
                status = answered.code  # 404, no such verification: the page still answered
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        for _ in range(50):
            if access_log.exists() and "/v/" in access_log.read_text():
                break
            time.sleep(0.1)
        logged = access_log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert status == 404
    assert f"/v/{MASK}" in logged
    assert secret not in logged
