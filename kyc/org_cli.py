"""`tasdeeq-org`: what a community office needs to issue attestations, without writing code.

    tasdeeq-org keygen --kid 2026-01 --out org-key.pem      # private key (0600) + public JWK on stdout
    tasdeeq-org issue --key org-key.pem --kid 2026-01 --org ORG_ID --community ismaili-uk \\
        --member-ref M-1234 --name "Amina Shah" --days 365 --qr card-qr.png

`issue` prints the signed attestation (a compact JWS, EdDSA) and, with --qr, writes its QR code as
PNG for the membership card. Give Tasdeeq the public JWK from `keygen` (`manage.py org add-key`).
No Django here: the office runs this on its own machine; the private key never leaves it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

ALGORITHM = "EdDSA"


def public_jwk(private: Ed25519PrivateKey, kid: str) -> dict[str, str]:
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = OKPKey.import_key(pem).as_dict(private=False)
    return {"kty": "OKP", "crv": "Ed25519", "x": str(jwk["x"]), "kid": kid}


def write_private_key(private: Ed25519PrivateKey, path: Path) -> None:
    """PKCS#8 PEM, created with 0600 so no other account on the machine can read it."""
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit("the key file does not hold an Ed25519 private key")
    return key


def issue(
    private: Ed25519PrivateKey,
    *,
    kid: str,
    organization_id: str,
    community: str,
    member_ref: str,
    name: str,
    valid_seconds: int,
    jti: str | None = None,
    issued_at: int | None = None,
) -> str:
    """The signed attestation, as a compact JWS."""
    now = int(time.time()) if issued_at is None else issued_at
    claims: dict[str, Any] = {
        "iss": organization_id,
        "community": community,
        "member_ref": member_ref,
        "name": name,
        "iat": now,
        "exp": now + valid_seconds,
        "jti": jti or str(uuid.uuid4()),
    }
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # RFC 9864 renames EdDSA; same signature
        return jwt.encode(
            {"alg": ALGORITHM, "kid": kid, "typ": "JWT"},
            claims,
            OKPKey.import_key(pem),
            algorithms=[ALGORITHM],
        )


def write_qr(token: str, path: Path) -> None:
    # Error correction M survives a scuffed card; a quiet zone of 4 modules is the standard's.
    segno.make_qr(token, error="m").save(str(path), scale=8, border=4)


def _keygen(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists():
        print(f"{out} exists; not overwriting a key", file=sys.stderr)
        return 1
    private = Ed25519PrivateKey.generate()
    write_private_key(private, out)
    print(json.dumps(public_jwk(private, args.kid)))
    return 0


def _issue(args: argparse.Namespace) -> int:
    token = issue(
        load_private_key(Path(args.key)),
        kid=args.kid,
        organization_id=args.org,
        community=args.community,
        member_ref=args.member_ref,
        name=args.name,
        valid_seconds=args.days * 86400,
        jti=args.jti,
    )
    if args.qr:
        write_qr(token, Path(args.qr))
    print(token)
    return 0


def _pubkey(args: argparse.Namespace) -> int:
    print(json.dumps(public_jwk(load_private_key(Path(args.key)), args.kid)))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tasdeeq-org", description="Keys and attestations for organisations.")
    commands = root.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="generate an Ed25519 key pair")
    keygen.add_argument("--kid", required=True, help="key id, e.g. the year and month of issue")
    keygen.add_argument("--out", required=True, help="file for the private key (created 0600)")
    keygen.set_defaults(run=_keygen)

    pubkey = commands.add_parser("pubkey", help="print the public JWK of a private key file")
    pubkey.add_argument("--key", required=True)
    pubkey.add_argument("--kid", required=True)
    pubkey.set_defaults(run=_pubkey)

    issue_cmd = commands.add_parser("issue", help="sign a membership attestation")
    issue_cmd.add_argument("--key", required=True, help="private key file from keygen")
    issue_cmd.add_argument("--kid", required=True)
    issue_cmd.add_argument("--org", required=True, help="your organisation id in Tasdeeq")
    issue_cmd.add_argument("--community", required=True)
    issue_cmd.add_argument("--member-ref", required=True)
    issue_cmd.add_argument("--name", required=True, help="the member's name as on their ID")
    issue_cmd.add_argument("--days", type=int, default=365, help="validity (default 365)")
    issue_cmd.add_argument("--jti", default=None, help="unique id (default: a random UUID)")
    issue_cmd.add_argument("--qr", default=None, help="also write the QR code to this PNG file")
    issue_cmd.set_defaults(run=_issue)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
