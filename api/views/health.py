"""Liveness and readiness probes (no authentication, no personal data)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app as celery_app
from verification.selectors import retention_lateness
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


class NotReady(Exception):
    """A probe's answer other than "unavailable": a named state and details (ids and counts only)."""

    def __init__(self, state: str, **details: object) -> None:
        super().__init__(state)
        self.state = state
        self.details = details


def _retention() -> None:
    # A purge that is late is a broken privacy promise: say so loudly (alerting watches readyz).
    lateness = retention_lateness()
    if lateness.oldest_overdue_seconds > settings.PURGE_GRACE_SECONDS:
        raise NotReady(
            "purge_late",
            overdue_documents=lateness.overdue_documents,
            oldest_overdue_seconds=int(lateness.oldest_overdue_seconds),
            grace_seconds=settings.PURGE_GRACE_SECONDS,
        )


PROBES: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "storage": _storage,
    "retention": _retention,
}


def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    details: dict[str, dict[str, object]] = {}
    for name, probe in PROBES.items():
        try:
            probe()
            results[name] = "ok"
        except NotReady as exc:
            results[name], details[name] = exc.state, exc.details
        except Exception as exc:  # a probe's failure of any kind means "not ready"
            logger.warning("readiness probe failed probe=%s error=%s", name, type(exc).__name__)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": results}
    if details:
        body["details"] = details
    return JsonResponse(body, status=200 if ready else 503)
