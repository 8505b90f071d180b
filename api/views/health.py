"""Liveness and readiness probes (no authentication, no personal data)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app as celery_app
from verification.services.documents import document_storage

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _storage() -> None:
    # A HEAD on a key that need not exist proves the bucket answers to our credentials, without writing.
    document_storage().exists("readyz-probe")


PROBES: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker, "storage": _storage}


def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, probe in PROBES.items():
        try:
            probe()
            results[name] = "ok"
        except Exception as exc:  # a probe's failure of any kind means "not ready"
            logger.warning("readiness probe failed probe=%s error=%s", name, type(exc).__name__)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )
