"""kyc.attestation with real Ed25519 signatures (cryptography + joserfc), no mocks."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from kyc.attestation import IssuerKey, check_attestation
from kyc.results import CheckResult
from tests.affiliation import COMMUNITY, MEMBER_REF, NAME, Signer, new_signer

ORG = "6f1a7a52-3c1e-4d0b-9a51-0c6f2f1e9b10"
NOW = datetime.now(tz=UTC)


def key_of(
    signer: Signer,
    *,
    valid_from: datetime = NOW - timedelta(days=400),
    valid_until: datetime | None = None,
    active: bool = True,
    communities: frozenset[str] = frozenset({COMMUNITY}),
    revoked_at: datetime | None = None,
) -> IssuerKey:
    return IssuerKey(
        organization_id=ORG,
        organization_active=active,
        communities=communities,
        kid=signer.kid,
        public_key=signer.public_raw,
        valid_from=valid_from,
        valid_until=valid_until,
        revoked_at=revoked_at,
    )


def lookup(*keys: IssuerKey) -> Any:
    table = {(k.organization_id, k.kid): k for k in keys}
    return lambda iss, kid: table.get((iss, kid))


def never_revoked(iss: str, jti: str) -> bool:
    return False


def check(
    token: str, *keys: IssuerKey, revoked: Any = never_revoked, now: datetime | None = None
) -> CheckResult:
    # "now" when the check runs (NOW is when the module was imported, maybe minutes earlier).
    return check_attestation(token, keys=lookup(*keys), revoked=revoked, now=now or datetime.now(tz=UTC))


def test_a_valid_attestation_passes_and_carries_its_claims() -> None:
    signer = new_signer()
    result = check(signer.token(ORG, jti="jti-1"), key_of(signer))
    assert result.passed, result.reasons
    claims = result.data["attestation"]
    assert (claims.organization_id, claims.community, claims.name, claims.member_ref, claims.jti) == (
        ORG,
        COMMUNITY,
        NAME,
        MEMBER_REF,
        "jti-1",
    )
    # Personal claims never reach what is persisted.
    assert NAME not in json.dumps(result.summary()) and MEMBER_REF not in json.dumps(result.summary())


def _tamper(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_tampered_payload_fails_the_signature() -> None:
    signer = new_signer()
    token = signer.token(ORG)
    assert check(token, key_of(signer)).passed
    for changes in ({"community": "another-community"}, {"name": "Someone Else"}, {"exp": 4102444800}):
        assert check(_tamper(token, **changes), key_of(signer)).reasons == ("attestation_invalid_signature",)


def test_a_token_signed_by_another_key_fails() -> None:
    signer, impostor = new_signer("2026-01"), new_signer("2026-01")
    assert check(impostor.token(ORG), key_of(signer)).reasons == ("attestation_invalid_signature",)


def test_an_unknown_key_id_or_issuer_fails() -> None:
    signer = new_signer("2026-01")
    other_kid = Signer(kid="unknown", private=signer.private)
    assert check(other_kid.token(ORG), key_of(signer)).reasons == ("attestation_invalid_signature",)
    assert check(signer.token("not-an-org"), key_of(signer)).reasons == ("attestation_invalid_signature",)


def test_rotation_keeps_attestations_signed_inside_the_old_keys_window() -> None:
    old, new = new_signer("2025-01"), new_signer("2026-01")
    rotated_at = NOW - timedelta(days=30)
    old_key = key_of(old, valid_from=NOW - timedelta(days=400), valid_until=rotated_at)
    new_key = key_of(new, valid_from=rotated_at)
    signed_before = old.token(ORG, issued_at=rotated_at - timedelta(days=60))
    assert check(signed_before, old_key, new_key).passed
    assert check(new.token(ORG), old_key, new_key).passed
    # The old key cannot sign anything new after it was rotated out.
    assert check(old.token(ORG), old_key, new_key).reasons == ("attestation_invalid_signature",)
    # Nor can a new key vouch for the time before its window.
    early = new.token(ORG, issued_at=rotated_at - timedelta(days=2))
    assert check(early, old_key, new_key).reasons == ("attestation_invalid_signature",)


def test_a_key_revoked_as_compromised_covers_nothing_whatever_the_iat() -> None:
    """Whoever stole the key writes the iat: backdating it to before the revocation must not help."""
    signer = new_signer()
    compromised = key_of(signer, revoked_at=NOW - timedelta(days=1))
    assert check(signer.token(ORG), compromised).reasons == ("attestation_invalid_signature",)
    backdated = signer.token(ORG, issued_at=NOW - timedelta(days=10))
    assert check(backdated, compromised).reasons == ("attestation_invalid_signature",)
    assert check(backdated, key_of(signer)).passed  # the same token, key not revoked


def test_an_issuer_spelt_otherwise_is_checked_under_the_registrys_spelling() -> None:
    """A revocation is looked up (and reuse hashed) by the organisation's canonical id, so an
    upper-case or hyphen-less `iss` cannot slip past a revocation published by the organisation."""
    signer = new_signer()
    key = key_of(signer)
    table = {(ORG, signer.kid): key, (ORG.upper(), signer.kid): key, (ORG.replace("-", ""), signer.kid): key}

    def revoked(iss: str, jti: str) -> bool:
        return (iss, jti) == (ORG, "withdrawn")

    for spelling in (ORG.upper(), ORG.replace("-", "")):
        token = signer.token(spelling, jti="withdrawn")
        result = check_attestation(
            token, keys=lambda iss, kid: table.get((iss, kid)), revoked=revoked, now=datetime.now(tz=UTC)
        )
        assert result.reasons == ("attestation_revoked",)
        assert result.data["attestation"].organization_id == ORG


def test_an_expired_attestation_fails() -> None:
    signer = new_signer()
    token = signer.token(ORG, issued_at=NOW - timedelta(days=40), valid=timedelta(days=30))
    assert check(token, key_of(signer)).reasons == ("attestation_expired",)


def test_a_revoked_attestation_fails() -> None:
    signer = new_signer()
    token = signer.token(ORG, jti="withdrawn")
    result = check(token, key_of(signer), revoked=lambda iss, jti: (iss, jti) == (ORG, "withdrawn"))
    assert result.reasons == ("attestation_revoked",)


def test_an_organisation_may_vouch_only_for_its_communities_and_only_while_active() -> None:
    signer = new_signer()
    assert check(signer.token(ORG, community="elsewhere"), key_of(signer)).reasons == (
        "organization_not_authorized",
    )
    assert check(signer.token(ORG), key_of(signer, active=False)).reasons == ("organization_not_authorized",)


@pytest.mark.parametrize("garbage", ["", "not a token", "a.b.c", "x" * 5000, "ä.ö.ü"])
def test_garbage_is_unreadable(garbage: str) -> None:
    signer = new_signer()
    assert check(garbage, key_of(signer)).reasons == ("attestation_unreadable",)


def test_algorithm_confusion_is_refused() -> None:
    """HS256 keyed with the public key, and alg none, never reach a verifier."""
    signer = new_signer()
    claims: dict[str, Any] = {"iss": ORG, "community": COMMUNITY, "member_ref": "m", "name": "n", "jti": "j"}
    claims |= {"iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 3600}
    hmac_token = jwt.encode(
        {"alg": "HS256", "kid": signer.kid},
        claims,
        OctKey.import_key(signer.public_raw),
        algorithms=["HS256"],
    )
    assert check(hmac_token, key_of(signer)).reasons == ("attestation_unreadable",)
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"2026-01"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert check(f"{header}.{body}.", key_of(signer)).reasons == ("attestation_unreadable",)


def test_missing_claims_are_unreadable() -> None:
    signer = new_signer()
    from kyc.org_cli import issue

    token = issue(
        signer.private,
        kid=signer.kid,
        organization_id=ORG,
        community=COMMUNITY,
        member_ref="",
        name=NAME,
        valid_seconds=3600,
    )
    assert check(token, key_of(signer)).reasons == ("attestation_unreadable",)
