"""Community affiliation (issue #8): authorised organisations, their keys and credentials, and
what is kept of an affiliation verification.

Data minimisation: the attestation token, the member reference, the member's name and any photo
live only until the decision (`AttestationSubmission`, the sealed member reference of a
`ConfirmationRequest`, an `attestation_qr` Document). What outlives it is `Affiliation`: the
outcome's organisation, community, attestation expiry and a keyed hash of the attestation's
unique id (`jti`), enough to find one attestation used by two subjects or one later revoked.
"""

from __future__ import annotations

import uuid

from django.db import models

from verification.models import Verification


class OrganizationStatus(models.TextChoices):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Organization(models.Model):
    """A community organisation (a council, a local Jamat, a national body) that may vouch for
    membership of the communities or regions listed in `communities`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    communities = models.JSONField(default=list, blank=True)  # e.g. ["ismaili-uk", "london"]
    status = models.CharField(
        max_length=16, choices=OrganizationStatus.choices, default=OrganizationStatus.ACTIVE
    )
    # Route 2: where confirmation requests are sent (empty: officers poll /v1/org/ instead), and the
    # HMAC secret that signs them, sealed like a document.
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret_ciphertext = models.BinaryField(null=True, blank=True)
    webhook_secret_key_id = models.CharField(max_length=64, blank=True)
    webhook_secret_wrapped_key = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug

    @property
    def is_active(self) -> bool:
        return self.status == OrganizationStatus.ACTIVE


class OrganizationKey(models.Model):
    """An Ed25519 public key; attestations issued (iat) inside its window verify with it, so a
    rotated-out key keeps covering what it signed while it was current."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="keys")
    kid = models.CharField(max_length=64)
    public_key = models.BinaryField()  # raw 32 bytes
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kid"], name="organization_key_kid_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.kid}"


class OrganizationCredential(models.Model):
    """An organisation's API token for /v1/org/ (officers answering confirmation requests and
    publishing revocations). Only a SHA-256 is stored; the token is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="credentials")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}…"


class AttestationRevocation(models.Model):
    """The organisation withdrew an attestation; `jti_hash` keyed per issuer (Affiliation's is also
    per tenant: see services.organizations.jti_digest)."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="revocations")
    jti_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=64, blank=True)  # a short code from the organisation
    revoked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "jti_hash"], name="attestation_revocation_unique")
        ]

    def __str__(self) -> str:
        return self.jti_hash[:12]


class AffiliationRoute(models.TextChoices):
    ATTESTATION = "attestation"
    CONFIRMATION = "confirmation"


class Affiliation(models.Model):
    """All that is kept of an affiliation verification after its decision."""

    verification = models.OneToOneField(Verification, on_delete=models.CASCADE, related_name="affiliation")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="affiliations")
    route = models.CharField(max_length=16, choices=AffiliationRoute.choices)
    community = models.CharField(max_length=100)
    attestation_expires_at = models.DateTimeField(null=True, blank=True)
    jti_hash = models.CharField(max_length=64, blank=True)
    # The key that signed the attestation (route 1): revoking that key flags what it vouched for.
    kid = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "jti_hash"]),
            models.Index(fields=["organization", "kid"]),
        ]

    def __str__(self) -> str:
        return f"affiliation:{self.verification_id}"


class AttestationSubmission(models.Model):
    """A token submitted as text, sealed, until the worker's run decides (then deleted)."""

    verification = models.OneToOneField(
        Verification, on_delete=models.CASCADE, related_name="attestation_submission"
    )
    ciphertext = models.BinaryField()
    key_id = models.CharField(max_length=64)
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"attestation_submission:{self.verification_id}"


class ConfirmationState(models.TextChoices):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DENIED = "denied"
    EXPIRED = "expired"


class ConfirmationRequest(models.Model):
    """Route 2: Tasdeeq asks the organisation whether a member reference belongs to it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.OneToOneField(
        Verification, on_delete=models.CASCADE, related_name="confirmation_request"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="confirmation_requests"
    )
    community = models.CharField(max_length=100)
    # The member reference, sealed; emptied at the decision.
    member_ref_ciphertext = models.BinaryField(null=True, blank=True)
    member_ref_key_id = models.CharField(max_length=64, blank=True)
    member_ref_wrapped_key = models.BinaryField(null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=ConfirmationState.choices, default=ConfirmationState.PENDING
    )
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=128, blank=True)  # a credential id, never a person
    webhook_attempts = models.PositiveSmallIntegerField(default=0)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "state", "created_at"]),
            models.Index(fields=["state", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"confirmation_request:{self.id}"


__all__ = [
    "Affiliation",
    "AffiliationRoute",
    "AttestationRevocation",
    "AttestationSubmission",
    "ConfirmationRequest",
    "ConfirmationState",
    "Organization",
    "OrganizationCredential",
    "OrganizationKey",
    "OrganizationStatus",
]
