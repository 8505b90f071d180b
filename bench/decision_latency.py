"""Submit-to-decision latency through a real Celery worker (Redis broker, PostgreSQL, S3 protocol).

    .venv/bin/python -m bench.decision_latency [--n 30]

Uses its own PostgreSQL database (`tasdeeq_bench`, created and migrated on the machine's server),
Redis database 14, and moto's S3 server on a free loopback port; starts one worker process
(concurrency 1). Uploads are done before the clock starts; the clock runs from the submit call to
the moment the decision is committed (read back from the database by polling every 5 ms).
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import subprocess
import time

from bench.one_core import percentile

ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
BENCH_DB = "tasdeeq_bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_database() -> str:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + BENCH_DB


def _environment(s3_url: str, database_url: str) -> dict[str, str]:
    return {
        "TASDEEQ_ENV": "test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "CELERY_QUEUE": "tasdeeq-bench",
        "DOCUMENT_STORAGE": "s3",
        "S3_ENDPOINT_URL": s3_url,
        "S3_BUCKET": "tasdeeq-bench",
        "S3_ACCESS_KEY_ID": "bench",
        "S3_SECRET_ACCESS_KEY": "bench",
        "DJANGO_SECRET_KEY": "bench-only",
        "TASDEEQ_MASTER_KEYS": "bench1:" + base64.b64encode(b"b" * 32).decode(),
        "TASDEEQ_HMAC_PEPPER": "bench-only",
        "LOG_LEVEL": "WARNING",
    }


def run(n: int) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    s3.start()
    env = _environment(f"http://127.0.0.1:{port}", _ensure_database())
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import boto3
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto accepts anything
    ).create_bucket(Bucket=env["S3_BUCKET"])

    from config.celery import app
    from tests.specimens.captures import passport_jpeg, selfie_jpeg
    from tests.specimens.documents import person_variant
    from tests.specimens.faces import PEOPLE
    from tests.workers.process import start_worker, stop_worker
    from verification.models import Tenant, Verification
    from verification.services.documents import document_upload
    from verification.services.tenants import tenant_create
    from verification.services.verifications import verification_create, verification_submit

    app.control.purge()
    worker = start_worker({**os.environ}, output=subprocess.DEVNULL, loglevel="WARNING")
    try:
        tenant = Tenant.objects.filter(slug="bench").first() or tenant_create(slug="bench", min_age=18)[0]
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        for index in range(n + 2):  # the first two warm the worker's connections and are not counted
            face = PEOPLE[index % len(PEOPLE)]
            front = passport_jpeg(person_variant(index, seed=11), face, seed=index)
            verification, _ = verification_create(tenant=tenant, subject=f"bench-{index}", type="document")
            document_upload(verification=verification, kind="id_front", data=front)
            document_upload(verification=verification, kind="selfie", data=selfie_jpeg(face))
            start = time.perf_counter()
            verification_submit(verification=verification)
            deadline = start + 60
            while time.perf_counter() < deadline:
                status = Verification.objects.values_list("status", flat=True).get(pk=verification.pk)
                if status != "processing":
                    break
                time.sleep(0.005)
            else:
                raise RuntimeError("no decision within 60 s: is the worker running?")
            if index >= 2:
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        print(f"\n== submit to decision through a real worker, n={n} (2 MP ID, selfie) ==")
        print(
            f"p50 {percentile(latencies, 50):.0f} ms   p95 {percentile(latencies, 95):.0f} ms   "
            f"max {max(latencies):.0f} ms   outcomes {statuses}"
        )
    finally:
        stop_worker(worker, timeout=30)
        s3.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    run(parser.parse_args().n)


if __name__ == "__main__":
    main()
