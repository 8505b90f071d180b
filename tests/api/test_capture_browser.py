"""The hosted capture page in a real headless browser (Debian's chromium driven by Playwright).

A phone-sized page: a file that is not a photo is refused in plain language; a blurry ID front goes
through the real checks and comes back as "retake the front" with how to fix it; the retake verifies
and the page returns the user to the tenant's `return_url`. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from PIL import ImageFilter
from playwright.sync_api import FilePayload

from api.views.capture import UPLOAD_HINTS
from tests.browser import ARTIFACTS, chromium_launch
from tests.receiver import webhook_receiver
from tests.specimens.captures import passport_photo, selfie_jpeg
from tests.specimens.documents import to_jpeg
from tests.specimens.faces import PEOPLE
from verification.codes import CATALOGUE
from verification.models import Status, Tenant, Verification
from verification.services.processing import verification_process
from verification.services.verifications import verification_create


def _jpeg(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def _wait_and_process(verification_id: str, timeout: float) -> str | None:
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if Verification.objects.get(pk=verification_id).status == Status.PROCESSING:
                return verification_process(verification_id=verification_id)
            time.sleep(0.1)
        raise AssertionError("the page did not submit")
    finally:
        connection.close()


def _worker_decides(verification: Verification, timeout: float = 20) -> str | None:
    """Stand in for the worker: once the page has submitted, run the real processing. In a thread:
    Playwright's sync API runs an event loop here, where Django refuses database calls."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_wait_and_process, str(verification.id), timeout).result()


@pytest.mark.django_db(transaction=True)
def test_the_capture_page_guides_retakes_and_returns_to_the_tenant(live_server: Any, tenant: Tenant) -> None:
    from playwright.sync_api import expect, sync_playwright

    sharp = passport_photo(face=PEOPLE[0], seed=4)
    blurry = to_jpeg(sharp.filter(ImageFilter.GaussianBlur(8)))
    with webhook_receiver() as shop:
        return_url = shop.url.replace("/hooks", "/done")
        verification, secret = verification_create(
            tenant=tenant, subject="seller-1", type="document", return_url=return_url
        )
        with sync_playwright() as playwright:
            browser = chromium_launch(playwright)
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            console_errors: list[str] = []
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/v/{secret}")
            expect(page.locator("h1")).to_have_text("Verify your identity")
            front = page.locator('input[data-file="id_front"]')
            assert front.get_attribute("accept") == "image/*"
            assert front.get_attribute("capture") == "environment"
            assert page.locator('input[data-file="selfie"]').get_attribute("capture") == "user"
            page.screenshot(path=str(ARTIFACTS / "capture-start.png"), full_page=True)

            # Not a photo: refused at upload, in plain language.
            front.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"})
            page.click('[data-upload="id_front"]')
            expect(page.locator("#problem-text")).to_have_text(UPLOAD_HINTS["file_type_not_supported"])
            page.screenshot(path=str(ARTIFACTS / "capture-not-a-photo.png"), full_page=True)

            # A blurry front is accepted at upload; the checks send the user back to retake it.
            front.set_input_files(_jpeg("front.jpg", blurry))
            page.click('[data-upload="id_front"]')
            expect(page.locator('section[data-step="id_back"]')).to_be_visible()
            expect(page.locator("#problem")).to_be_hidden()
            page.click('[data-skip="id_back"]')
            page.locator('input[data-file="selfie"]').set_input_files(
                _jpeg("selfie.jpg", selfie_jpeg(PEOPLE[0]))
            )
            page.click('[data-upload="selfie"]')
            page.click("#submit")
            assert _worker_decides(verification) == Status.REQUIRES_INPUT
            expect(page.locator("#problem-text")).to_have_text(CATALOGUE["image_too_blurry"].message)
            expect(page.locator('section[data-step="id_front"]')).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "capture-retake.png"), full_page=True)

            # The retake: only the front again (the selfie is kept), then the decision and home.
            front.set_input_files(_jpeg("front.jpg", to_jpeg(sharp)))
            page.click('[data-upload="id_front"]')
            expect(page.locator('section[data-step="submit"]')).to_be_visible()
            page.click("#submit")
            assert _worker_decides(verification) == Status.VERIFIED
            expect(page.locator("#done-title")).to_have_text("You are verified")
            page.screenshot(path=str(ARTIFACTS / "capture-done.png"), full_page=True)
            page.wait_for_url(return_url, timeout=10_000)
            expect(page.locator("h1")).to_have_text("Back at the shop")
            browser.close()
    assert not [e for e in console_errors if "Content Security Policy" in e]


def test_an_unknown_or_expired_link_says_so(client: Any, tenant: Tenant) -> None:
    assert client.get("/v/vcs_not-a-real-secret").status_code == 404
    verification, secret = verification_create(tenant=tenant, subject="seller-1", type="document")
    page = client.get(f"/v/{secret}")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer" and page["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert b"<script>" not in page.content  # no inline script: the page works under its CSP
    Verification.objects.filter(pk=verification.pk).update(client_secret_expires_at=verification.created_at)
    assert client.get(f"/v/{secret}").status_code == 410


def test_only_document_verifications_have_a_capture_page(client: Any, tenant: Tenant) -> None:
    _, secret = verification_create(tenant=tenant, subject="member-1", type="affiliation")
    page = client.get(f"/v/{secret}")
    assert page.status_code == 404
    assert b"Nothing to photograph" in page.content
