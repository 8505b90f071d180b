"""The case domain's tables. Outcomes persist; raw documents are ciphertext elsewhere with a TTL."""

from __future__ import annotations

import uuid

from django.db import models


class Tenant(models.Model):
    """A marketplace that verifies its users through Tasdeeq."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # Overrides of the decision policy (see verification/policy.py); empty means the defaults.
    policy = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Overrides of the retention policy (see verification/retention.py); empty means the defaults.
    retention = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.slug


class ApiKey(models.Model):
    """A server-to-server credential. Only a SHA-256 of the key is stored; it is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)  # enough of the key to recognise it in a listing
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Test mode (issue #6): a `tdq_test_` key sees and creates only test-mode objects.
    livemode = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.prefix}…"


class VerificationType(models.TextChoices):
    DOCUMENT = "document"
    PHONE = "phone"
    AFFILIATION = "affiliation"  # community membership (issue #8)


class Status(models.TextChoices):
    REQUIRES_INPUT = "requires_input"
    PROCESSING = "processing"
    NEEDS_REVIEW = "needs_review"
    VERIFIED = "verified"
    REJECTED = "rejected"
    CANCELED = "canceled"
    # Erased on request (subject erasure or per-verification redaction): the outcome is gone too.
    REDACTED = "redacted"


class Verification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="verifications")
    # The tenant's own reference for its user (an opaque id, not a name or an e-mail).
    subject = models.CharField(max_length=128)
    type = models.CharField(max_length=32, choices=VerificationType.choices)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.REQUIRES_INPUT)
    last_error = models.JSONField(null=True, blank=True)
    checks = models.JSONField(default=list, blank=True)
    client_secret_hash = models.CharField(max_length=64, unique=True)
    client_secret_expires_at = models.DateTimeField()
    submissions = models.PositiveSmallIntegerField(default=0)
    # Identifies the processing run a worker must finish; a stale or repeated task sees another one.
    run_id = models.UUIDField(null=True, blank=True)
    documents_expire_at = models.DateTimeField()
    documents_deleted_at = models.DateTimeField(null=True, blank=True)
    # Verified outputs (name, date of birth, ...) sealed like a document and deleted with the documents.
    outputs_ciphertext = models.BinaryField(null=True, blank=True)
    outputs_key_id = models.CharField(max_length=64, blank=True)
    outputs_wrapped_key = models.BinaryField(null=True, blank=True)
    # Facts that outlive the documents because they carry no identity (e.g. {"age_at_least": 18}).
    derived = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set when the verification was redacted: personal fields and the outcome are gone for good.
    redacted_at = models.DateTimeField(null=True, blank=True)
    # Integration (issue #6): test or live, where the hosted capture page sends the user back, and
    # a forced outcome for test mode (see verification/test_mode.py).
    livemode = models.BooleanField(default=True)
    return_url = models.URLField(max_length=2000, blank=True)
    test_outcome = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"]),
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "subject"]),
        ]

    def __str__(self) -> str:
        return str(self.id)


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front"
    ID_BACK = "id_back"
    SELFIE = "selfie"
    ATTESTATION_QR = "attestation_qr"  # a photo of a membership card's QR code (issue #8)


class Document(models.Model):
    """One uploaded image: metadata and the wrapped data key here, the ciphertext in storage.

    Deleting the row destroys the wrapped key, so any copy of the ciphertext left behind (a backup,
    a versioned bucket) is unreadable from then on: crypto-shredding.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    storage_key = models.CharField(max_length=255, unique=True)
    key_id = models.CharField(max_length=64)
    wrapped_key = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=64)
    byte_size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["verification", "kind"], name="one_document_per_kind"),
        ]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


class IdentityFingerprint(models.Model):
    """A keyed HMAC of issuing state + document number, per tenant: finds one document used twice.

    The number itself is never stored; without the pepper the HMAC cannot be reversed or matched.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="fingerprints")
    verification = models.OneToOneField(Verification, on_delete=models.CASCADE, related_name="fingerprint")
    subject = models.CharField(max_length=128)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "digest"])]

    def __str__(self) -> str:
        return self.digest[:12]


class AuditRecord(models.Model):
    """One append-only entry of the audit trail: who did what to which object, and when.

    Records form one hash chain per tenant (`chain` is the tenant id, or "operator" for actions
    outside any tenant): each `digest` covers the record's fields and the previous record's digest,
    so an edited, removed or reordered record is detected by `verify_audit`. `details` holds ids,
    codes and counts only, never personal data.
    """

    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor = models.CharField(max_length=128)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The last record of each chain; its row lock serialises appends to that chain."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    digest = models.CharField(max_length=64)
    # Where the kept part of the chain starts once records past their retention were deleted:
    # the seq and digest of the last deleted record (0 and the genesis digest when none was).
    base_seq = models.PositiveBigIntegerField(default=0)
    base_digest = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"


class Event(models.Model):
    """The outbox: one row per state change, written in the transaction that made the change.

    A change that rolls back leaves no event, and an event survives a broker outage because it is a
    row, not a message; delivery (webhooks) reads from here. `payload` is the verification object
    without personal data, as it was when the event happened.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="events")
    verification = models.ForeignKey(
        Verification, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    # Integration (issue #6): test or live, and the event's place among its verification's events
    # (1, 2, ...) so that a receiver can restore the order whatever order deliveries arrive in.
    livemode = models.BooleanField(default=True)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"]),
            models.Index(fields=["verification", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


# --- Manual review: reviewers, the queue's cases, decisions, four-eyes rules -----------------------


class ReviewerRole(models.TextChoices):
    REVIEWER = "reviewer"
    LEAD = "lead"  # may also reassign cases, set four-eyes rules and overrule a disputed rejection


class Reviewer(models.Model):
    """A person who decides cases: a Django user plus a second factor and a scope.

    `tenant` null means an operator reviewer (the service's own staff, sees every tenant); otherwise
    the reviewer belongs to that tenant's trust team and sees only its cases. The TOTP secret is
    sealed like a document; `last_totp_step` is the newest 30-second step a code was accepted for, so
    a code (or an older one) can never be used twice.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="reviewer")
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="reviewers"
    )
    role = models.CharField(max_length=16, choices=ReviewerRole.choices, default=ReviewerRole.REVIEWER)
    totp_ciphertext = models.BinaryField()
    totp_key_id = models.CharField(max_length=64)
    totp_wrapped_key = models.BinaryField()
    last_totp_step = models.BigIntegerField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reviewer:{self.id}"

    @property
    def is_operator(self) -> bool:
        return self.tenant_id is None

    @property
    def is_lead(self) -> bool:
        return self.role == ReviewerRole.LEAD


class RecoveryCode(models.Model):
    """A single-use second factor for a lost phone; only a salted SHA-256 of it is kept."""

    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="recovery_codes")
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery:{self.pk}"


class ReviewerToken(models.Model):
    """A short-lived bearer token for the review API, issued after password + TOTP; stored hashed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reviewer_token:{self.id}"


class ReviewState(models.TextChoices):
    OPEN = "open"  # waiting for a first decision
    AWAITING_SECOND = "awaiting_second"  # a four-eyes rejection waits for another reviewer
    ESCALATED = "escalated"  # the second reviewer disagreed: a lead decides
    DECIDED = "decided"
    CLOSED = "closed"  # the verification left needs_review without a reviewer (e.g. canceled)


class ReviewCase(models.Model):
    """A verification in `needs_review`, as the queue sees it: priority, lease, four-eyes progress.

    A case is held by at most one reviewer at a time (`claimed_by` with `lease_expires_at`); a lease
    past its expiry is free again, so an abandoned case returns to the queue by itself.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.OneToOneField(Verification, on_delete=models.CASCADE, related_name="review_case")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="review_cases")
    state = models.CharField(max_length=16, choices=ReviewState.choices, default=ReviewState.OPEN)
    priority = models.SmallIntegerField(default=0)  # higher first
    # ",code1,code2," so one LIKE filters by a code on every database backend.
    reason_codes = models.CharField(max_length=512, blank=True)
    queued_at = models.DateTimeField()
    claimed_by = models.ForeignKey(
        Reviewer, on_delete=models.SET_NULL, null=True, blank=True, related_name="held_cases"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "-priority", "queued_at"]),
            models.Index(fields=["tenant", "state"]),
        ]

    def __str__(self) -> str:
        return f"review_case:{self.id}"

    @property
    def codes(self) -> list[str]:
        return [code for code in self.reason_codes.split(",") if code]


class ReviewDecisionKind(models.TextChoices):
    APPROVE = "approve"
    REJECT = "reject"


class ReviewDecision(models.Model):
    """One reviewer's decision on a case. The note is free text a reviewer typed: it stays here,
    never in the audit trail; the trail records only that a note exists."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(Reviewer, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=16, choices=ReviewDecisionKind.choices)
    reason_code = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    # True when this decision moved the verification; False for a first four-eyes rejection.
    final = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["reviewer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.decision}:{self.reason_code}"


class FourEyesRule(models.Model):
    """Rejections with `reason_code` need a second reviewer: for one tenant, or (tenant null) for all."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="four_eyes_rules"
    )
    reason_code = models.CharField(max_length=64)
    created_by = models.ForeignKey(Reviewer, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "reason_code"], name="four_eyes_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"four_eyes:{self.reason_code}"


class ObjectDeletion(models.Model):
    """A stored object whose row (and wrapped key) is gone but whose ciphertext may not be yet.

    Written in the transaction that deletes the Document rows and removed once the object store
    confirmed the delete, so a purge that dies between the two leaves a to-do, not an orphan.
    """

    storage_key = models.CharField(max_length=255, primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.storage_key


class PurgeRun(models.Model):
    """Counters of each retention job, shared by every process (metrics are read from here)."""

    job = models.CharField(max_length=32, primary_key=True)  # "documents" | "orphans" | "records"
    runs = models.PositiveBigIntegerField(default=0)
    deleted = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.job


# --- Third-party adapters and phone verification (verification/models_providers.py), and community
# affiliation (verification/models_affiliation.py, issue #8) ------------------------------------------
from verification.models_affiliation import *  # noqa: E402,F403

# --- Tenant integration: webhooks, idempotency, receipts (verification/models_integration.py, #6) --
from verification.models_integration import *  # noqa: E402,F403
from verification.models_providers import (  # noqa: E402, F401
    LivenessSession,
    PhoneChallenge,
    ProviderCall,
    ProviderCallCount,
    ProviderCircuit,
)
