"""Helpers for the review tests: reviewers with their TOTP secret, cases waiting in the queue."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.conf import LazySettings

from tests.images import jpeg
from verification.models import ReviewCase, Reviewer, Status, Tenant, Verification
from verification.services.documents import document_upload
from verification.services.processing import verification_processing_failed
from verification.services.reviewers import reviewer_create
from verification.services.verifications import verification_create, verification_submit
from verification.state_machine import transition


@dataclass
class Person:
    reviewer: Reviewer
    username: str
    password: str
    secret: str
    recovery_codes: list[str]

    def code(self, *, steps: int = 0, at: float | None = None) -> str:
        moment = (time.time() if at is None else at) + steps * 30
        return pyotp.TOTP(self.secret).at(moment)


def secret_of(otpauth_uri: str) -> str:
    return parse_qs(urlparse(otpauth_uri).query)["secret"][0]


def make_reviewer(username: str, tenant: Tenant | None = None, role: str = "reviewer") -> Person:
    created = reviewer_create(username=username, tenant=tenant, role=role)
    return Person(
        reviewer=created.reviewer,
        username=username,
        password=created.password,
        secret=secret_of(created.otpauth_uri),
        recovery_codes=created.recovery_codes,
    )


def waiting_case(tenant: Tenant, subject: str = "seller-1", *, documents: bool = True) -> ReviewCase:
    """A verification that reached needs_review through the services (check_unavailable)."""
    verification, _ = verification_create(tenant=tenant, subject=subject, type="document")
    if documents:
        document_upload(verification=verification, kind="id_front", data=jpeg(seed=1))
        document_upload(verification=verification, kind="selfie", data=jpeg(seed=2))
        verification_submit(verification=verification)
    else:  # many cases, quickly: no uploads, straight to processing
        transition(verification, Status.PROCESSING)
        verification.save(update_fields=["status"])
    verification_processing_failed(verification_id=str(verification.id))
    return ReviewCase.objects.get(verification_id=verification.id)


def status_of(case: ReviewCase) -> str:
    return Verification.objects.get(pk=case.verification_id).status


@pytest.fixture
def review_setup(settings: LazySettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cheap password hasher (the login logic is the same), and no Celery for submits."""
    from verification.services import verifications as lifecycle

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(lifecycle, "_enqueue_processing", lambda _id: None)
