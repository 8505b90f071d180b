"""`tasdeeq-org`: keys and attestations for organisations, run as the console script would be."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from kyc.attestation import IssuerKey, check_attestation
from kyc.images import DecodedImage
from kyc.qr import decode_qr
from verification.services.organizations import public_key_from

ORG = "6f1a7a52-3c1e-4d0b-9a51-0c6f2f1e9b10"


def run(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "kyc.org_cli", *args], check=True, capture_output=True, text=True, timeout=60
    )
    return out.stdout.strip()


def test_keygen_issue_and_qr(tmp_path: Path) -> None:
    key_file = tmp_path / "org-key.pem"
    jwk = json.loads(run("keygen", "--kid", "2026-01", "--out", str(key_file)))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["kid"] == "2026-01" and "d" not in jwk
    # keygen refuses to overwrite a key
    again = subprocess.run(
        [sys.executable, "-m", "kyc.org_cli", "keygen", "--kid", "x", "--out", str(key_file)],
        capture_output=True,
        timeout=60,
    )
    assert again.returncode == 1

    qr_file = tmp_path / "card.png"
    token = run(
        "issue",
        "--key", str(key_file),
        "--kid", "2026-01",
        "--org", ORG,
        "--community", "ismaili-uk",
        "--member-ref", "MBR-1",
        "--name", "Amina Shah",
        "--days", "30",
        "--jti", "card-0001",
        "--qr", str(qr_file),
    )  # fmt: skip
    key = IssuerKey(
        organization_id=ORG,
        organization_active=True,
        communities=frozenset({"ismaili-uk"}),
        kid="2026-01",
        public_key=public_key_from(json.dumps(jwk)),
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
        valid_until=None,
        revoked_at=None,
    )
    result = check_attestation(
        token, keys=lambda iss, kid: key, revoked=lambda iss, jti: False, now=datetime.now(tz=UTC)
    )
    assert result.passed, result.reasons
    assert result.data["attestation"].jti == "card-0001"
    with Image.open(qr_file) as image:
        assert decode_qr(DecodedImage.from_pil(image)) == token
    assert run("pubkey", "--key", str(key_file), "--kid", "2026-01") == json.dumps(jwk)
