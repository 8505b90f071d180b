"""Test wiring: real PostgreSQL and Redis from the machine, S3 through moto's server on loopback."""

from __future__ import annotations

import copy
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.conf import settings
from django.core.signals import request_finished
from django.db import connection, connections
from django.test import override_settings
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

from verification.models import Tenant
from verification.services.tenants import tenant_create


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    """The test database as a URL, for processes the suite starts (worker, gunicorn)."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def _other_sessions(name: str) -> list[tuple[int, str, int | None]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, client_port FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        return [(int(pid), str(app), port) for pid, app, port in cursor.fetchall()]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's, and before it drops the test database, wait for every other session on it
    to end: a process or thread the suite started (the Celery worker's pool child, gunicorn, a live
    server's request thread) may still be disconnecting, and DROP DATABASE would then fail with
    "being accessed by other users". One still there after the wait is named in a warning (the
    suite's subprocesses set PGAPPNAME) and ended, so the next run starts from a clean slate."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
        deadline = time.monotonic() + 15
        while (holders := _other_sessions(name)) and time.monotonic() < deadline:
            time.sleep(0.2)
        if holders:
            warnings.warn(
                f"sessions still on the test database at teardown: {holders}", pytest.PytestWarning, 2
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid",
                    [[pid for pid, _, _ in holders]],
                )
        connections.close_all()


def _close_in_server_threads(**_: Any) -> None:
    if threading.current_thread() is not threading.main_thread():
        connections.close_all()


@pytest.fixture(scope="session")
def live_server(live_server: Any) -> Iterator[Any]:
    """pytest-django's, with each request thread closing its database connection when its request
    ends. With CONN_MAX_AGE the connection would stay open as long as the client keeps its HTTP
    connection alive (the Python client, the browser): past the live server's stop, into the
    test database's teardown ("being accessed by other users"). The test client's requests run in
    the main thread, inside the test's transaction, and are left alone."""
    request_finished.connect(_close_in_server_threads, dispatch_uid="tests-live-server-close")
    yield live_server
    request_finished.disconnect(dispatch_uid="tests-live-server-close")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def document_bucket(s3_server: str) -> Iterator[str]:
    """Point the documents storage at moto's S3 for the whole session, with the bucket created."""
    storages: dict[str, Any] = copy.deepcopy(settings.STORAGES)
    options = storages["documents"]["OPTIONS"]
    options["endpoint_url"] = s3_server
    bucket = str(options["bucket_name"])
    s3_client(s3_server).create_bucket(Bucket=bucket)
    with override_settings(STORAGES=storages):
        yield bucket


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def s3(s3_server: str) -> Any:
    return s3_client(s3_server)


@pytest.fixture
def tenant_with_key(db: None) -> tuple[Tenant, str]:
    return tenant_create(slug="acme-market", min_age=18)


@pytest.fixture
def tenant(tenant_with_key: tuple[Tenant, str]) -> Tenant:
    return tenant_with_key[0]


@pytest.fixture
def api(tenant_with_key: tuple[Tenant, str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tenant_with_key[1]}")
    return client


@pytest.fixture
def other_api(db: None) -> APIClient:
    _, key = tenant_create(slug="other-market")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# --- Third-party adapters: moto (above) plus a stand-in for what moto does not implement ----------
from tests.aws_standin import StandIn, start_standin  # noqa: E402


@pytest.fixture(scope="session")
def aws_standin_server(s3_server: str) -> Iterator[StandIn]:
    standin, server = start_standin(forward_to=s3_server)
    yield standin
    server.shutdown()


@pytest.fixture
def aws_standin(aws_standin_server: StandIn) -> Iterator[StandIn]:
    """The stand-in, reset before and after each test (faults, counters, sessions)."""
    aws_standin_server.reset()
    yield aws_standin_server
    aws_standin_server.reset()


@pytest.fixture
def providers_on(aws_standin: StandIn, s3_server: str) -> Iterator[StandIn]:
    """Every adapter enabled in this process, pointing at the stand-in and moto; fast backoff."""
    env = aws_standin.worker_env()
    with override_settings(
        TASDEEQ_PROVIDERS=env["TASDEEQ_PROVIDERS"].split(","),
        AWS_REGION=env["AWS_REGION"],
        AWS_ACCESS_KEY_ID=env["AWS_ACCESS_KEY_ID"],
        AWS_SECRET_ACCESS_KEY=env["AWS_SECRET_ACCESS_KEY"],
        AWS_REKOGNITION_ENDPOINT_URL=aws_standin.url,
        AWS_TEXTRACT_ENDPOINT_URL=aws_standin.url,
        AWS_SNS_ENDPOINT_URL=s3_server,
        PROVIDER_BACKOFF_BASE_MS=1,
        PROVIDER_BACKOFF_MAX_MS=5,
        PROVIDER_READ_TIMEOUT_SECONDS=1,
        PROVIDER_CONNECT_TIMEOUT_SECONDS=1,
    ):
        yield aws_standin
