"""Test wiring: real PostgreSQL and Redis from the machine, S3 through moto's server on loopback."""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.conf import settings
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
