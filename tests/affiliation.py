"""Test helpers for community affiliation: real Ed25519 keys, real signed tokens, card photos."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import cv2
import numpy as np
import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw, ImageFilter

from kyc.org_cli import issue

# Invented people and references: never real members.
NAME = "Amina Shah"
MEMBER_REF = "MBR-58213-LDN"
COMMUNITY = "ismaili-uk"


@dataclass
class Signer:
    kid: str
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def token(
        self,
        organization_id: str,
        *,
        community: str = COMMUNITY,
        name: str = NAME,
        member_ref: str = MEMBER_REF,
        jti: str | None = None,
        issued_at: datetime | None = None,
        valid: timedelta = timedelta(days=365),
    ) -> str:
        stamp = int(issued_at.timestamp()) if issued_at else int(time.time())
        return issue(
            self.private,
            kid=self.kid,
            organization_id=organization_id,
            community=community,
            member_ref=member_ref,
            name=name,
            valid_seconds=int(valid.total_seconds()),
            jti=jti,
            issued_at=stamp,
        )


def new_signer(kid: str = "2026-01") -> Signer:
    return Signer(kid=kid, private=Ed25519PrivateKey.generate())


def card_photo(token: str, *, blur: float = 1.4, quality: int = 72) -> bytes:
    """A membership card with the token's QR code, photographed at an angle, out of focus, JPEG."""
    qr_png = io.BytesIO()
    segno.make_qr(token, error="m").save(qr_png, kind="png", scale=6, border=4)
    qr = Image.open(qr_png).convert("RGB")
    card = Image.new("RGB", (1012, 638), (236, 230, 214))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 1012, 90), fill=(30, 90, 60))
    draw.text((40, 30), "COMMUNITY MEMBERSHIP CARD", fill=(255, 255, 255))
    draw.text((40, 200), "Member since 2019", fill=(40, 40, 40))
    card.paste(qr.resize((420, 420), Image.Resampling.NEAREST), (560, 150))
    scene = Image.new("RGB", (1600, 1200), (96, 84, 72))
    scene.paste(card, (300, 280))
    source = np.array([[300, 280], [1312, 280], [1312, 918], [300, 918]], dtype=np.float32)
    target = np.array(
        [[380, 240], [1250, 330], [1310, 900], [330, 970]], dtype=np.float32
    )  # tilted ~15 degrees
    matrix = cv2.getPerspectiveTransform(source, target)
    warped = cv2.warpPerspective(np.asarray(scene), matrix, (1600, 1200), borderValue=(96, 84, 72))
    photo = Image.fromarray(warped).filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=quality)
    return out.getvalue()
