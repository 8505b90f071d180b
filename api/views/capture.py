"""The hosted capture page `/v/{client_secret}`: a small mobile page for tenants without their own app.

The page is a Django template; its script (static/capture/capture.js, no inline script) calls the
same public API as any capture app, with the client secret from the URL: upload ID front, back and
selfie, submit, wait for the decision, then go back to the tenant's `return_url`. Error messages are
the reason-code catalogue's plain-language text, with what to do about it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from verification.codes import CATALOGUE
from verification.models import Verification, VerificationType
from verification.tokens import CLIENT_SECRET_PREFIX, token_hash

# Upload-time errors (api/errors.py codes) in the same plain language as the checks' reason codes.
UPLOAD_HINTS = {
    "file_type_not_supported": (
        "This file is not a photo we can use. Take a photo, or pick a JPEG, PNG or WebP."
    ),
    "file_too_large": "This photo is too large. Take it again with your camera, or pick a smaller one.",
    "file_empty": "The photo is empty. Take it again.",
    "image_corrupt": "We could not open this photo. Take it again.",
    "image_too_many_pixels": "This photo is too large. Take it again with your camera.",
    "missing_files": "A photo is missing. Go back and add it.",
    "rate_limited": "Too many tries in a short time. Wait a minute, then try again.",
    "client_secret_expired": "This link has expired. Go back to the service you are joining for a new one.",
    "invalid_state_transition": "Your photos were already sent.",
}

STEPS = [
    {
        "kind": "id_front",
        "title": "Front of your ID",
        "help": "Lay your document flat in good light. Fit the whole document in the frame, with no glare.",
        "capture": "environment",
        "optional": False,
    },
    {
        "kind": "id_back",
        "title": "Back of your ID",
        "help": "Turn the card over. Skip this step for a passport.",
        "capture": "environment",
        "optional": True,
    },
    {
        "kind": "selfie",
        "title": "A selfie",
        "help": "Face the camera in good light, without glasses or a hat. Only you in view.",
        "capture": "user",
        "optional": False,
    },
]


def _hints() -> dict[str, str]:
    return {**{code: entry.message for code, entry in CATALOGUE.items()}, **UPLOAD_HINTS}


def _page(request: HttpRequest, template: str, context: dict[str, object], status: int = 200) -> HttpResponse:
    response = render(request, f"capture/{template}", context, status=status)
    # The URL holds a secret: never send it on in a Referer, never cache the page.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'none'"
    )
    return response


@require_GET
def capture_page(request: HttpRequest, client_secret: str) -> HttpResponse:
    verification = None
    if client_secret.startswith(CLIENT_SECRET_PREFIX):
        verification = (
            Verification.objects.select_related("tenant")
            .filter(client_secret_hash=token_hash(client_secret))
            .first()
        )
    if verification is None:
        return _page(
            request,
            "message.html",
            {"title": "This link is not valid", "body": UPLOAD_HINTS["client_secret_expired"]},
            404,
        )
    if verification.client_secret_expires_at <= timezone.now():
        return _page(
            request,
            "message.html",
            {"title": "This link has expired", "body": UPLOAD_HINTS["client_secret_expired"]},
            410,
        )
    if verification.type != VerificationType.DOCUMENT:
        # Phone codes and affiliation tokens are entered in the tenant's own flow, not photographed.
        return _page(
            request,
            "message.html",
            {"title": "Nothing to photograph", "body": "Go back to the service you are joining to go on."},
            404,
        )
    return _page(
        request,
        "capture.html",
        {
            "verification": verification,
            "client_secret": client_secret,
            "steps": STEPS,
            "hints": _hints(),
            "config": {
                "verification_id": str(verification.id),
                "status": verification.status,
                "return_url": verification.return_url,
                "last_error": verification.last_error,
                "uploaded": sorted(verification.documents.values_list("kind", flat=True)),
            },
        },
    )
