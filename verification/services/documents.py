"""Document intake and access: normalise, encrypt, store; decrypt on demand; delete for good."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kyc.intake import UploadRejected, normalize_upload
from verification.crypto import Sealed, seal, unseal
from verification.errors import InvalidInput, UnsupportedBackend, UnsupportedFileType, UploadTooLarge
from verification.models import Document, DocumentKind, ObjectDeletion, Status, Verification, VerificationType
from verification.retention import document_expiry_at_upload
from verification.services.audit import audit_record
from verification.state_machine import require_status

logger = logging.getLogger(__name__)

_REJECTION_CLASSES: dict[str, type[InvalidInput]] = {
    "file_too_large": UploadTooLarge,
    "file_type_not_supported": UnsupportedFileType,
}


def document_storage() -> Storage:
    return storages["documents"]


def _rejected(exc: UploadRejected) -> InvalidInput:
    error_class = _REJECTION_CLASSES.get(exc.code, InvalidInput)
    return error_class(exc.message, code=exc.code, **exc.details)


def document_upload(*, verification: Verification, kind: str, data: bytes) -> Document:
    """Validate and store one image for a verification that awaits input.

    The new ciphertext is written before the row; if the row cannot be written the object is removed,
    and a replaced document of the same kind is deleted only once the new one is committed.
    """
    require_status(verification, Status.REQUIRES_INPUT, action="upload files to")
    # Issue #8: a card's QR photo belongs to an affiliation, identity documents to the others.
    if (kind == DocumentKind.ATTESTATION_QR) != (verification.type == VerificationType.AFFILIATION):
        raise InvalidInput(
            "This kind of file does not belong to this verification.", code="file_kind_not_allowed"
        )
    try:
        image = normalize_upload(
            data,
            max_bytes=settings.UPLOAD_MAX_BYTES,
            max_pixels=settings.UPLOAD_MAX_PIXELS,
            max_side=settings.UPLOAD_MAX_SIDE,
        )
    except UploadRejected as exc:
        raise _rejected(exc) from None

    document_id = uuid.uuid4()
    key = f"{verification.tenant_id}/{verification.id}/{document_id}"
    sealed = seal(image.content, context=document_id.bytes)
    storage = document_storage()
    stored_name = storage.save(key, ContentFile(sealed.ciphertext))
    try:
        with transaction.atomic():
            locked = Verification.objects.select_for_update().get(pk=verification.pk)
            require_status(locked, Status.REQUIRES_INPUT, action="upload files to")
            replaced = documents_shred(documents=locked.documents.filter(kind=kind))
            document = Document.objects.create(
                id=document_id,
                verification=locked,
                kind=kind,
                storage_key=stored_name,
                key_id=sealed.key_id,
                wrapped_key=sealed.wrapped_key,
                sha256=image.sha256,
                content_type=image.content_type,
                byte_size=len(image.content),
                width=image.width,
                height=image.height,
                expires_at=document_expiry_at_upload(verification=locked, now=timezone.now()),
            )
            if replaced:
                transaction.on_commit(lambda: object_deletions_flush(keys=replaced))
    except BaseException:
        storage.delete(stored_name)
        raise
    logger.info("document stored verification=%s document=%s kind=%s", verification.id, document.id, kind)
    return document


def document_read(*, document: Document, actor: str, purpose: str) -> bytes:
    """The decrypted, normalised image. Callers keep it in memory only.

    Every read is an access to personal data and is audited with who read it and why (`purpose`:
    "checks" for the worker, "review" for a reviewer, "export" for a subject access request).
    """
    with document_storage().open(document.storage_key, "rb") as handle:
        ciphertext = handle.read()
    sealed = Sealed(ciphertext=ciphertext, key_id=document.key_id, wrapped_key=bytes(document.wrapped_key))
    data = unseal(sealed, context=document.id.bytes)
    audit_record(
        actor=actor,
        action="document.read",
        target_type="document",
        target_id=str(document.id),
        tenant=str(document.verification.tenant_id),
        details={"verification": str(document.verification_id), "kind": document.kind, "purpose": purpose},
    )
    return data


_S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes


def documents_delete_objects(*, keys: list[str]) -> None:
    """Remove stored ciphertexts. Their wrapped keys are already gone with their rows."""
    storage = document_storage()
    bucket = getattr(storage, "bucket", None)
    if bucket is None:
        for key in keys:
            storage.delete(key)
        return
    for start in range(0, len(keys), _S3_DELETE_BATCH):
        chunk = keys[start : start + _S3_DELETE_BATCH]
        response = bucket.delete_objects(Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
        if response.get("Errors"):
            raise OSError(f"storage refused to delete {len(response['Errors'])} objects")


def documents_shred(*, documents: QuerySet[Document]) -> list[str]:
    """Delete the rows (and with them the wrapped keys) inside the caller's transaction.

    The ciphertexts are unreadable from this commit on; their keys are left as ObjectDeletion
    to-dos in the same transaction, so the objects themselves are removed by
    `object_deletions_flush` after the commit, or by the next purge if this process dies first.
    """
    keys = list(documents.values_list("storage_key", flat=True))
    if keys:
        ObjectDeletion.objects.bulk_create(
            [ObjectDeletion(storage_key=key) for key in keys], ignore_conflicts=True
        )
        Document.objects.filter(storage_key__in=keys).delete()
    return keys


def object_deletions_flush(*, keys: list[str]) -> None:
    """Delete the objects, then their to-dos (deleting a missing object succeeds: idempotent)."""
    if not keys:
        return
    documents_delete_objects(keys=keys)
    ObjectDeletion.objects.filter(storage_key__in=keys).delete()


def document_objects() -> Iterator[tuple[str, datetime]]:
    """Every stored object's key and last-modified time (S3 listing, or a walk of the folder)."""
    storage = document_storage()
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        for summary in bucket.objects.all():
            yield summary.key, summary.last_modified
        return
    if not isinstance(storage, FileSystemStorage):
        raise UnsupportedBackend("listing is implemented for S3 and the filesystem storage")
    root = str(storage.location)
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            modified = datetime.fromtimestamp(os.path.getmtime(path), tz=UTC)
            yield os.path.relpath(path, root).replace(os.sep, "/"), modified
