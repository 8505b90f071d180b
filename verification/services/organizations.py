"""The registry of authorised community organisations: create, keys, credentials, suspension,
revocations. Every change is audited in the operator's chain (ids and codes, never keys)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from verification.crypto import Sealed, seal, unseal
from verification.errors import InvalidInput, NotFound
from verification.identity import keyed_digest
from verification.models import (
    AttestationRevocation,
    Organization,
    OrganizationCredential,
    OrganizationKey,
    OrganizationStatus,
)
from verification.outbound import DestinationNotAllowed, OutboundError, destination_check
from verification.services.audit import audit_record
from verification.tokens import token_hash
from verification.webhook_signing import secret_generate

ORG_CREDENTIAL_PREFIX = "tqo_"  # a prefix, not a secret
OPERATOR_ACTOR = "operator:cli"
REVOCATION_REASON = re.compile(r"[a-z0-9_-]{0,64}")


def jti_digest(*, organization_id: str, jti: str, tenant_id: str | None = None) -> str:
    """A keyed hash of an attestation's unique id, per issuer: finds reuse and revocation without
    keeping the id (which an organisation may have derived from a member number).

    The revocation list's is the issuer's alone. What a verification keeps (`Affiliation`) is also
    per tenant, as identity fingerprints are: comparable within a tenant only, so one member's card
    does not link their accounts at two marketplaces for anyone reading the database.
    """
    if tenant_id is None:
        message = f"attestation-jti|{organization_id}|{jti}"
    else:
        message = f"attestation-jti-tenant|{tenant_id}|{organization_id}|{jti}"
    return keyed_digest(message)


def _audit(actor: str, action: str, organization: Organization, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="organization",
        target_id=str(organization.id),
        tenant=None,
        details=details,
    )


def _communities(values: list[str]) -> list[str]:
    cleaned = sorted({value.strip() for value in values if value.strip()})
    if not cleaned:
        raise InvalidInput("An organisation vouches for at least one community.", code="invalid_communities")
    if any(len(value) > 100 for value in cleaned):
        raise InvalidInput("A community name is at most 100 characters.", code="invalid_communities")
    return cleaned


def _webhook_check(url: str) -> None:
    try:
        destination_check(url)
    except DestinationNotAllowed as exc:
        raise InvalidInput("The webhook URL is not allowed.", code="webhook_url_not_allowed") from exc
    except OutboundError as exc:  # e.g. the host does not resolve (yet)
        raise InvalidInput(
            "The webhook URL's host does not resolve.", code="webhook_url_unreachable"
        ) from exc


def _seal_secret(organization: Organization, secret: str) -> None:
    sealed = seal(secret.encode(), context=organization.id.bytes + b"webhook")
    organization.webhook_secret_ciphertext = sealed.ciphertext
    organization.webhook_secret_key_id = sealed.key_id
    organization.webhook_secret_wrapped_key = sealed.wrapped_key


def organization_webhook_secret(*, organization: Organization) -> str | None:
    if not organization.webhook_secret_ciphertext or organization.webhook_secret_wrapped_key is None:
        return None
    sealed = Sealed(
        ciphertext=bytes(organization.webhook_secret_ciphertext),
        key_id=organization.webhook_secret_key_id,
        wrapped_key=bytes(organization.webhook_secret_wrapped_key),
    )
    return unseal(sealed, context=organization.id.bytes + b"webhook").decode()


@transaction.atomic
def organization_create(
    *,
    slug: str,
    name: str,
    communities: list[str],
    webhook_url: str = "",
    actor: str = OPERATOR_ACTOR,
) -> tuple[Organization, str | None]:
    """Register an organisation; returns it with its webhook secret (shown once) when a URL is set."""
    if slugify(slug) != slug or not slug:
        raise InvalidInput("The slug may hold lowercase letters, digits and hyphens.", code="invalid_slug")
    if Organization.objects.filter(slug=slug).exists():
        raise InvalidInput("An organisation with this slug exists.", code="organization_exists")
    if webhook_url:
        _webhook_check(webhook_url)
    organization = Organization(
        slug=slug, name=name.strip(), communities=_communities(communities), webhook_url=webhook_url
    )
    secret = None
    if webhook_url:
        secret = secret_generate()
        _seal_secret(organization, secret)
    organization.save()
    _audit(actor, "organization.created", organization, communities=organization.communities)
    return organization, secret


def organization_admin_changed(*, organization: Organization, changes: list[str], actor: str) -> None:
    """The Django admin saved changes (field names, and keys' or credentials' ids): audited like
    every other change to the registry."""
    if changes:
        _audit(actor, "organization.admin_changed", organization, changes=sorted(changes))


def organization_get(*, ref: str) -> Organization:
    """By slug or id."""
    organization = Organization.objects.filter(slug=ref).first()
    if organization is None:
        try:
            organization = Organization.objects.filter(pk=uuid.UUID(ref)).first()
        except ValueError:  # not a UUID either: simply not found
            organization = None
    if organization is None:
        raise NotFound("No such organisation.", code="organization_not_found")
    return organization


@transaction.atomic
def organization_set_status(*, organization: Organization, status: str, actor: str = OPERATOR_ACTOR) -> None:
    if status not in OrganizationStatus.values:
        raise InvalidInput("Unknown status.", code="invalid_status")
    organization.status = status
    organization.save(update_fields=["status"])
    _audit(actor, f"organization.{status}", organization)


@transaction.atomic
def organization_set_webhook(
    *, organization: Organization, webhook_url: str, actor: str = OPERATOR_ACTOR
) -> str | None:
    """Set (or clear, with "") the endpoint; a new secret is generated and returned once."""
    if webhook_url:
        _webhook_check(webhook_url)
    organization.webhook_url = webhook_url
    secret = secret_generate() if webhook_url else None
    if secret:
        _seal_secret(organization, secret)
    else:
        organization.webhook_secret_ciphertext = None
        organization.webhook_secret_wrapped_key = None
        organization.webhook_secret_key_id = ""
    organization.save()
    _audit(actor, "organization.webhook_set", organization, enabled=bool(webhook_url))
    return secret


def public_key_from(value: str) -> bytes:
    """An Ed25519 public key given as a JWK (JSON, as `tasdeeq-org keygen` prints it) or as the
    base64url of its 32 raw bytes."""
    text = value.strip()
    if text.startswith("{"):
        try:
            jwk = json.loads(text)
        except ValueError as exc:
            raise InvalidInput("The key is not valid JSON.", code="invalid_public_key") from exc
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise InvalidInput("The key must be an Ed25519 OKP JWK.", code="invalid_public_key")
        if "d" in jwk:
            raise InvalidInput("That is a private key: give only the public part.", code="invalid_public_key")
        text = str(jwk.get("x", ""))
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The key is not valid base64url.", code="invalid_public_key") from exc
    if len(raw) != 32:
        raise InvalidInput("An Ed25519 public key is 32 bytes.", code="invalid_public_key")
    return raw


@transaction.atomic
def organization_key_add(
    *,
    organization: Organization,
    kid: str,
    public_key: bytes,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    actor: str = OPERATOR_ACTOR,
) -> OrganizationKey:
    if not kid or len(kid) > 64:
        raise InvalidInput("A key id is 1 to 64 characters.", code="invalid_kid")
    if organization.keys.filter(kid=kid).exists():
        raise InvalidInput("This key id is taken.", code="kid_exists")
    key = OrganizationKey.objects.create(
        organization=organization,
        kid=kid,
        public_key=public_key,
        valid_from=valid_from or timezone.now(),
        valid_until=valid_until,
    )
    _audit(actor, "organization.key_added", organization, kid=kid)
    return key


@transaction.atomic
def organization_key_rotate(
    *, organization: Organization, kid: str, public_key: bytes, actor: str = OPERATOR_ACTOR
) -> OrganizationKey:
    """Add a new key valid from now and close the window of every open key at the same moment:
    attestations the old keys signed before now keep verifying; new ones need the new key."""
    now = timezone.now()
    closed = list(
        organization.keys.filter(valid_until__isnull=True, revoked_at__isnull=True).values_list(
            "kid", flat=True
        )
    )
    organization.keys.filter(kid__in=closed).update(valid_until=now)
    key = organization_key_add(
        organization=organization, kid=kid, public_key=public_key, valid_from=now, actor=actor
    )
    _audit(actor, "organization.key_rotated", organization, kid=kid, closed=closed)
    return key


def organization_key_revoke(
    *, organization: Organization, kid: str, actor: str = OPERATOR_ACTOR
) -> list[str]:
    """A compromised key: nothing it signed verifies any more, whatever its `iat` says (a thief
    chooses the iat; see kyc.attestation). To retire a key and keep what it signed, rotate it.

    Verifications it already vouched for are flagged for review, as for a revoked attestation;
    returns their ids. Two transactions, as in `revocation_publish` and for the same reason: the
    organisation's row lock orders the revocation with any decision in flight (which looks at the
    key again under that lock), then each verification is flagged under its own.
    """
    from verification.services.affiliation import affiliation_flag_revoked  # services of one area

    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        if not organization.keys.filter(kid=kid).exists():
            raise NotFound("No such key.", code="key_not_found")
        # Revoking a revoked key again only flags again (idempotent): if the flagging below was
        # interrupted, running the command once more finishes it.
        if organization.keys.filter(kid=kid, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            _audit(actor, "organization.key_revoked", organization, kid=kid)
        used = list(organization.affiliations.filter(kid=kid).values_list("verification_id", flat=True))
    return [
        str(verification_id)
        for verification_id in used
        if affiliation_flag_revoked(verification_id=verification_id, actor=actor)
    ]


@transaction.atomic
def organization_credential_create(
    *, organization: Organization, name: str = "", actor: str = OPERATOR_ACTOR
) -> tuple[OrganizationCredential, str]:
    token = ORG_CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
    credential = OrganizationCredential.objects.create(
        organization=organization, name=name, prefix=token[:10], token_hash=token_hash(token)
    )
    _audit(actor, "organization.credential_created", organization, credential=str(credential.id))
    return credential, token


@transaction.atomic
def organization_credential_revoke(
    *, credential: OrganizationCredential, actor: str = OPERATOR_ACTOR
) -> None:
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["revoked_at"])
    _audit(actor, "organization.credential_revoked", credential.organization, credential=str(credential.id))


@dataclass(frozen=True, slots=True)
class RevocationOutcome:
    revocation: AttestationRevocation
    created: bool
    flagged: list[str]  # verification ids sent to review


def revocation_publish(
    *, organization: Organization, jti: str, reason: str = "", actor: str
) -> RevocationOutcome:
    """Record the revocation, then flag every verification that already used the attestation.

    Two transactions on purpose: the first takes the organisation's row lock (which the worker's
    decision also takes, so a decision and a revocation never miss each other) and commits the
    revocation; the second flags the verifications one by one, each under its own row lock.
    """
    from verification.services.affiliation import affiliation_flag_revoked  # services of one area

    if not jti or len(jti) > 256:
        raise InvalidInput("jti is 1 to 256 characters.", code="invalid_jti")
    # The reason is kept and audited, so it must be a code ("lost", "membership_ended"), never
    # free text, where an officer would write the member's name or circumstances.
    if not REVOCATION_REASON.fullmatch(reason):
        raise InvalidInput(
            "The reason is a short code: lowercase letters, digits, '_' or '-', at most 64.",
            code="invalid_reason",
        )
    digest = jti_digest(organization_id=str(organization.id), jti=jti)
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        revocation, created = AttestationRevocation.objects.get_or_create(
            organization=organization,
            jti_hash=digest,
            defaults={"reason": reason, "revoked_at": timezone.now()},
        )
        if created:
            _audit(actor, "attestation.revoked", organization, jti_hash=digest[:16], reason=reason)
        tenants = organization.affiliations.values_list("verification__tenant_id", flat=True).distinct()
        # Each tenant's digest of this jti (and the issuer's, as rows kept before it was per tenant).
        digests = {digest} | {
            jti_digest(organization_id=str(organization.id), jti=jti, tenant_id=str(tenant_id))
            for tenant_id in tenants
        }
        used = list(
            organization.affiliations.filter(jti_hash__in=digests).values_list("verification_id", flat=True)
        )
    flagged = [
        str(verification_id)
        for verification_id in used
        if affiliation_flag_revoked(verification_id=verification_id, actor=actor)
    ]
    return RevocationOutcome(revocation=revocation, created=created, flagged=flagged)
