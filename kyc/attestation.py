"""Verify a community organisation's signed membership attestation: a compact JWS over EdDSA.

The token is a JWT (RFC 7519) signed with Ed25519 (`alg` "EdDSA", or RFC 9864's fully specified
"Ed25519"; every other algorithm, `none` and the HMAC family included, is refused before any key
is touched). Header: `kid`. Claims: `iss` (the organisation's id), `community`, `member_ref`,
`name`, `iat`, `exp`, `jti`.

Checks, in order, each with its stable code:
- the token parses, names an issuer and a key, and uses a pinned algorithm: `attestation_unreadable`;
- the issuer and key are known and the signature verifies with that key: `attestation_invalid_signature`;
- the key was valid when the attestation was issued (`iat` inside the key's window, not in the
  future) and has not been revoked: an attestation signed with a key since rotated out still
  verifies, one signed with a revoked (compromised) key never does, whatever its `iat` says;
  otherwise `attestation_invalid_signature`;
- not expired (`exp`, with a small leeway): `attestation_expired`;
- not revoked by its issuer (`jti`): `attestation_revoked`;
- the organisation is active and may vouch for the claimed community: `organization_not_authorized`.

Pure: the caller passes in how to find keys and revocations (no ORM here); claims with personal
data travel in `CheckResult.data` only, never in scores, reasons or logs.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OKPKey

from kyc.results import CheckResult, failed, passed, timed

CHECK_NAME = "attestation"
# RFC 8037's "EdDSA" and RFC 9864's "Ed25519" name the same signature with an Ed25519 key.
ALGORITHMS = ("EdDSA", "Ed25519")
MAX_TOKEN_LENGTH = 4096
CLOCK_LEEWAY = timedelta(seconds=60)
REQUIRED_CLAIMS = ("iss", "community", "member_ref", "name", "iat", "exp", "jti")


@dataclass(frozen=True, slots=True)
class IssuerKey:
    """One public key of an organisation, with what the verifier must know about its issuer."""

    organization_id: str
    organization_active: bool
    communities: frozenset[str]
    kid: str
    public_key: bytes  # the raw 32-byte Ed25519 public key
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attestation:
    """The verified claims (personal: `member_ref` and `name`)."""

    organization_id: str
    kid: str
    community: str
    member_ref: str
    name: str
    issued_at: datetime
    expires_at: datetime
    jti: str


KeyLookup = Callable[[str, str], "IssuerKey | None"]  # (iss, kid) -> key
RevocationLookup = Callable[[str, str], bool]  # (iss, jti) -> revoked?


class _Unreadable(Exception):
    pass


def _claims_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims, before the signature is checked: only to find the key."""
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        header = dict(compact.headers())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError, TypeError) as exc:
        raise _Unreadable from exc
    if not isinstance(claims, dict):
        raise _Unreadable
    return header, claims


def _timestamp(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unreadable
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise _Unreadable from exc


def _parse(claims: dict[str, Any], kid: str) -> Attestation:
    if any(claims.get(name) in (None, "") for name in REQUIRED_CLAIMS):
        raise _Unreadable
    strings = ("iss", "community", "member_ref", "name", "jti")
    if not all(isinstance(claims[name], str) for name in strings):
        raise _Unreadable
    return Attestation(
        organization_id=claims["iss"],
        kid=kid,
        community=claims["community"],
        member_ref=claims["member_ref"],
        name=claims["name"],
        issued_at=_timestamp(claims["iat"]),
        expires_at=_timestamp(claims["exp"]),
        jti=claims["jti"],
    )


def _signature_valid(token: str, key: IssuerKey, alg: str) -> bool:
    public = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": _b64url(key.public_key)})
    try:
        with warnings.catch_warnings():
            # joserfc warns that RFC 9864 deprecates the name "EdDSA"; the algorithm is the same
            # Ed25519 signature and organisations' existing tooling emits that name.
            warnings.simplefilter("ignore", SecurityWarning)
            jws.deserialize_compact(token.encode("ascii"), public, algorithms=[alg])
    except (JoseError, ValueError):
        return False
    return True


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _key_valid_at(key: IssuerKey, moment: datetime) -> bool:
    # A revoked key is a compromised one, and `iat` is whatever its holder chose to write: a thief
    # backdates it to before the revocation. So a revoked key covers nothing; retiring a key while
    # keeping what it signed valid is rotation (`valid_until`), not revocation.
    if key.revoked_at is not None:
        return False
    if moment < key.valid_from - CLOCK_LEEWAY:
        return False
    return key.valid_until is None or moment <= key.valid_until


def _result(attestation: Attestation | None, *reasons: str) -> CheckResult:
    result = failed(CHECK_NAME, *reasons) if reasons else passed(CHECK_NAME)
    if attestation is None:
        return result
    return CheckResult(
        name=result.name,
        outcome=result.outcome,
        reasons=result.reasons,
        data={"attestation": attestation},
    )


def _readable(token: str) -> tuple[str, Attestation]:
    """The pinned algorithm and the claims, unverified; raises _Unreadable."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise _Unreadable
    header, claims = _claims_unverified(token)
    alg, kid, iss = header.get("alg"), header.get("kid"), claims.get("iss")
    if alg not in ALGORITHMS or not isinstance(kid, str) or not kid or not isinstance(iss, str):
        raise _Unreadable
    return str(alg), _parse(claims, kid)


def attestation_well_formed(token: str) -> bool:
    """Could `token` be an attestation at all (it parses, names its key, uses a pinned algorithm,
    carries every claim)? Checked when it is submitted, so that a paste error is a 400 at once
    rather than a spent attempt; says nothing of the signature, which only the worker checks."""
    try:
        _readable(token.strip())
    except _Unreadable:
        return False
    return True


@timed
def check_attestation(
    token: str, *, keys: KeyLookup, revoked: RevocationLookup, now: datetime
) -> CheckResult:
    """Verify `token`; on any failure the result carries no claims unless the signature held."""
    token = token.strip()
    try:
        alg, attestation = _readable(token)
    except _Unreadable:
        return failed(CHECK_NAME, "attestation_unreadable")

    key = keys(attestation.organization_id, attestation.kid)
    if key is None or not _signature_valid(token, key, alg):
        return failed(CHECK_NAME, "attestation_invalid_signature")
    # From here the claims are the organisation's own words. The issuer as the registry spells it
    # (a UUID may be written upper case or without hyphens): revocations and reuse are hashed with
    # that spelling, so another one must not slip past them.
    iss = key.organization_id
    attestation = replace(attestation, organization_id=iss)
    if not _key_valid_at(key, attestation.issued_at) or attestation.issued_at > now + CLOCK_LEEWAY:
        return _result(attestation, "attestation_invalid_signature")
    if attestation.expires_at + CLOCK_LEEWAY < now:
        return _result(attestation, "attestation_expired")
    if revoked(iss, attestation.jti):
        return _result(attestation, "attestation_revoked")
    if not key.organization_active or attestation.community not in key.communities:
        return _result(attestation, "organization_not_authorized")
    return _result(attestation)
