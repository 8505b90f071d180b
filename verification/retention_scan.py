"""The proof behind the retention promise: find anything held past its TTL, wherever it is.

Read-only. Four places are scanned: the object store (every object must belong to a live, unexpired
Document row), the database (documents, verified outputs, redacted verifications' personal fields,
records past the tenant's records retention), the broker's queues (a task message may carry ids
only) and a temporary directory (raw uploads never spool to disk). `manage.py verify_retention`
prints the findings as JSON and exits non-zero when there is one.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import islice, pairwise
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from verification.errors import UnsupportedBackend
from verification.models import (
    AuditRecord,
    Document,
    Event,
    IdempotencyRecord,
    IdentityFingerprint,
    ObjectDeletion,
    Status,
    Tenant,
    Verification,
)
from verification.retention import RetentionPolicy
from verification.retention_scan_affiliation import scan_affiliation
from verification.services.audit import chain_for
from verification.services.documents import document_objects, document_storage
from verification.services.redaction import REDACTED


@dataclass(frozen=True, slots=True)
class Finding:
    where: str  # "bucket" | "database" | "broker" | "tempdir"
    kind: str
    ref: str  # an id, a storage key, a queue name or a file name: never content


@dataclass
class Report:
    at: str
    findings: list[Finding] = field(default_factory=list)
    scanned: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "at": self.at,
            "findings": [asdict(f) for f in self.findings],
            "scanned": self.scanned,
        }


# --- the object store ------------------------------------------------------------------------------


def scan_bucket(*, now: datetime, grace: timedelta, report: Report) -> None:
    in_flight = now - timedelta(seconds=settings.ORPHAN_GRACE_SECONDS)
    listing = document_objects()
    count = 0
    while chunk := list(islice(listing, 1000)):
        count += len(chunk)
        rows = dict(
            Document.objects.filter(storage_key__in=[key for key, _ in chunk]).values_list(
                "storage_key", "expires_at"
            )
        )
        for key, modified in chunk:
            expires_at = rows.get(key)
            if expires_at is None:
                # An upload writes its object a moment before its row: young objects are in flight.
                if modified < in_flight:
                    report.findings.append(Finding("bucket", "object_without_row", key))
            elif expires_at + grace < now:
                report.findings.append(Finding("bucket", "object_past_expiry", key))
    report.scanned["bucket"] = {
        "objects": count,
        "noncurrent_versions": _scan_versions(now=now, report=report),
    }


# A versioned bucket keeps deleted objects as non-current versions: crypto-shredded, so unreadable,
# but still raw documents; the lifecycle rule expires them a day after they became non-current.
_NONCURRENT_LIFETIME = timedelta(days=2)


def _scan_versions(*, now: datetime, report: Report) -> int:
    bucket = getattr(document_storage(), "bucket", None)
    if bucket is None or bucket.Versioning().status not in ("Enabled", "Suspended"):
        return 0
    # A version became non-current when the next one (or a delete marker) of its key was written.
    history: dict[str, list[tuple[datetime, bool]]] = {}
    for page in bucket.meta.client.get_paginator("list_object_versions").paginate(Bucket=bucket.name):
        for version in page.get("Versions", []):
            history.setdefault(version["Key"], []).append((version["LastModified"], True))
        for marker in page.get("DeleteMarkers", []):
            history.setdefault(marker["Key"], []).append((marker["LastModified"], False))
    count = 0
    for key, entries in history.items():
        entries.sort(key=lambda entry: entry[0])
        for (_, is_data), (superseded_at, _) in pairwise(entries):
            if not is_data:
                continue
            count += 1
            if superseded_at < now - _NONCURRENT_LIFETIME:
                report.findings.append(Finding("bucket", "noncurrent_version_past_lifecycle", key))
    return count


# --- the database ----------------------------------------------------------------------------------


def scan_database(*, now: datetime, grace: timedelta, report: Report) -> None:
    due = now - grace
    add = report.findings.append
    for pk in Document.objects.filter(expires_at__lt=due).values_list("pk", flat=True):
        add(Finding("database", "document_past_expiry", str(pk)))
    for pk in Verification.objects.filter(
        documents_expire_at__lt=due, outputs_ciphertext__isnull=False
    ).values_list("pk", flat=True):
        add(Finding("database", "verified_outputs_past_expiry", str(pk)))
    for pk in Verification.objects.filter(
        documents_expire_at__lt=due, documents_deleted_at__isnull=True
    ).values_list("pk", flat=True):
        add(Finding("database", "documents_deletion_not_recorded", str(pk)))
    for key in ObjectDeletion.objects.filter(created_at__lt=due).values_list("storage_key", flat=True):
        add(Finding("database", "object_deletion_pending", key))

    redacted = Verification.objects.filter(status=Status.REDACTED)
    leaky = redacted.filter(
        ~Q(subject=REDACTED)
        | ~Q(checks=[])
        | ~Q(derived={})
        | Q(last_error__isnull=False)
        | Q(outputs_ciphertext__isnull=False)
        | Q(documents__isnull=False)
    ).distinct()
    for pk in leaky.values_list("pk", flat=True):
        add(Finding("database", "redacted_verification_holds_personal_data", str(pk)))
    for fingerprint in IdentityFingerprint.objects.filter(
        verification__status=Status.REDACTED
    ).select_related("tenant"):
        kept = RetentionPolicy.for_tenant(fingerprint.tenant).keep_fingerprints_on_erasure
        if not kept or fingerprint.subject != REDACTED:
            add(Finding("database", "redacted_verification_fingerprint", str(fingerprint.verification_id)))
    for event_id in (
        Event.objects.filter(verification__status=Status.REDACTED)
        .exclude(payload__subject=REDACTED)
        .values_list("pk", flat=True)
    ):
        add(Finding("database", "redacted_verification_event", str(event_id)))
    # A kept Idempotency-Key answer from before its verification's redaction (it may replay the
    # subject and client secret); answers given after the redaction hold nothing erased.
    redacted_since = Verification.objects.filter(
        pk=OuterRef("verification_ref"), redacted_at__gte=OuterRef("created_at")
    )
    for record_id in IdempotencyRecord.objects.filter(Exists(redacted_since)).values_list("pk", flat=True):
        add(Finding("database", "redacted_verification_idempotency_answer", str(record_id)))

    for tenant in Tenant.objects.order_by("slug"):
        cutoff = now - timedelta(days=RetentionPolicy.for_tenant(tenant).records_retention_days)
        for pk in Verification.objects.filter(tenant=tenant, created_at__lt=cutoff).values_list(
            "pk", flat=True
        ):
            add(Finding("database", "verification_past_records_retention", str(pk)))
        if Event.objects.filter(tenant=tenant, created_at__lt=cutoff).exists():
            add(Finding("database", "events_past_records_retention", str(tenant.pk)))
        if AuditRecord.objects.filter(chain=chain_for(tenant), at__lt=cutoff).exists():
            add(Finding("database", "audit_records_past_records_retention", str(tenant.pk)))
    scan_affiliation(now=now, grace=grace, add=add)  # issue #8
    report.scanned["database"] = True


# --- the broker ------------------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _id_shaped(value: Any) -> bool:
    """Task arguments may be ids (UUIDs), numbers, booleans or None; nothing else."""
    if value is None or isinstance(value, bool | int | float):
        return True
    return isinstance(value, str) and bool(_UUID.match(value))


def message_carries_only_ids(raw: bytes | str) -> bool:
    """A kombu message as the broker holds it: JSON with a (base64) body of [args, kwargs, embed]."""
    try:
        envelope = json.loads(raw)
        if isinstance(envelope, list):  # Redis' unacked hash: [message, exchange, routing_key]
            envelope = envelope[0]
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        decoded = json.loads(body)
    except (ValueError, KeyError, TypeError, IndexError):
        return False
    if isinstance(decoded, list) and len(decoded) == 3:
        args, kwargs, _embed = decoded
        return all(_id_shaped(a) for a in args) and all(_id_shaped(v) for v in kwargs.values())
    return False


def _broker_messages(queues: list[str]) -> Iterator[tuple[str, bytes | str]]:
    from config.celery import app as celery_app

    with celery_app.connection_for_read() as conn:
        transport = str(conn.transport.driver_type)
        if transport == "redis":
            client = conn.default_channel.client  # type: ignore[attr-defined]
            for queue in queues:
                # kombu keeps priority levels as extra lists beside the queue's own.
                for name in client.scan_iter(match=f"{queue}*"):
                    if client.type(name) in (b"list", "list"):
                        for raw in client.lrange(name, 0, -1):
                            yield queue, raw
            for raw in client.hvals("unacked"):
                yield "unacked", raw
            return
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folder = options.get("data_folder_in") if isinstance(options, dict) else None
        if folder:
            for path in sorted(Path(str(folder)).glob("*.msg")):
                yield "filesystem", path.read_bytes()
            return
        raise UnsupportedBackend(f"cannot inspect a {transport} broker")


def scan_broker(*, queues: list[str], report: Report) -> None:
    count = 0
    try:
        for queue, raw in _broker_messages(queues):
            count += 1
            if not message_carries_only_ids(raw):
                report.findings.append(Finding("broker", "message_with_more_than_ids", queue))
    except UnsupportedBackend as exc:
        report.scanned["broker"] = {"skipped": str(exc)}
        return
    report.scanned["broker"] = {"queues": queues, "messages": count}


# --- the temporary directory -----------------------------------------------------------------------

# Django's spooled uploads end in ".upload"; our own temporary files would start with "tasdeeq".
_MARKERS = re.compile(r"(\.upload(\.|$))|(^tasdeeq)", re.IGNORECASE)
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF")
# Files libraries write into TMPDIR that hold no document data, even in a strict scan: onnxruntime
# (the OCR engine) keeps a ".ses" session marker there, a timestamp and a random UUID.
_KNOWN_LIBRARY_FILES = frozenset({".ses"})


def scan_tempdir(*, path: str | None, strict: bool, report: Report) -> None:
    """Flag upload spools and our temp files; `strict` (a directory of the service's own) flags any
    file at all, since raw uploads never touch disk."""
    root = Path(path or tempfile.gettempdir())
    # A checkout (or DATA_DIR) inside the temporary directory holds the service's own files, named
    # tasdeeq* (the SQLite file, the broker's exchange, console scripts): not leftovers of a request.
    own = {Path(p).resolve() for p in (settings.BASE_DIR, settings.DATA_DIR)}
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if (Path(folder) / d).resolve() not in own]
        for name in files:
            count += 1
            file_path = Path(folder) / name
            relative = str(file_path.relative_to(root))
            if strict and name in _KNOWN_LIBRARY_FILES:
                continue
            if strict:
                report.findings.append(Finding("tempdir", "file_in_service_tempdir", relative))
            elif _MARKERS.search(name):
                report.findings.append(Finding("tempdir", "upload_spool_or_service_file", relative))
            elif folder == str(root) and _looks_like_image(file_path):
                report.findings.append(Finding("tempdir", "image_file", relative))
    report.scanned["tempdir"] = {"path": str(root), "files": count, "strict": strict}


def _looks_like_image(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return head.startswith(_IMAGE_MAGIC)


def retention_scan(
    *,
    now: datetime,
    grace: timedelta = timedelta(0),
    queues: list[str] | None = None,
    tempdir: str | None = None,
    strict_tempdir: bool = False,
    skip: frozenset[str] = frozenset(),
) -> Report:
    report = Report(at=now.isoformat())
    if "bucket" not in skip:
        scan_bucket(now=now, grace=grace, report=report)
    if "database" not in skip:
        scan_database(now=now, grace=grace, report=report)
    if "broker" not in skip:
        scan_broker(queues=queues or [settings.CELERY_TASK_DEFAULT_QUEUE], report=report)
    if "tempdir" not in skip:
        scan_tempdir(path=tempdir, strict=strict_tempdir, report=report)
    return report
