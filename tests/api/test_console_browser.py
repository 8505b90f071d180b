"""The reviewer console in a real headless browser (Debian's chromium driven by Playwright).

A reviewer logs in with a real TOTP code, claims a case with the keyboard, sees the decrypted images,
the check scores and the fields read from the MRZ, approves with `a`, takes the next case with `n`,
rejects with `r`; screenshots go to test-artifacts/ so the pages can be looked at.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client

from tests.browser import ARTIFACTS, chromium_launch
from tests.reviewing import review_setup, secret_of, status_of, waiting_case  # noqa: F401
from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.faces import PEOPLE
from verification.models import AuditRecord, ReviewCase, Status, Tenant
from verification.services.documents import document_upload
from verification.services.processing import verification_process
from verification.services.verifications import verification_cancel, verification_create, verification_submit

pytestmark = pytest.mark.usefixtures("review_setup")


def processed(tenant: Tenant, subject: str) -> Any:
    verification, _ = verification_create(tenant=tenant, subject=subject, type="document")
    document_upload(verification=verification, kind="id_front", data=passport_jpeg(face=PEOPLE[0], seed=4))
    document_upload(verification=verification, kind="selfie", data=selfie_jpeg(PEOPLE[0]))
    verification_submit(verification=verification)
    return verification, verification_process(verification_id=str(verification.id))


def create_reviewer(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("create_reviewer", *args, stdout=out)
    return dict(json.loads(out.getvalue()))


def test_a_reviewer_logs_in_claims_views_and_decides_in_the_browser(live_server: Any, tenant: Tenant) -> None:
    from playwright.sync_api import expect, sync_playwright

    # Not a skip: a suite that silently stops testing the console would look green.

    # The same passport for two subjects: the second is flagged duplicate_identity by the real pipeline.
    _, first_status = processed(tenant, "seller-1")
    assert first_status == Status.VERIFIED
    earlier, _ = verification_create(tenant=tenant, subject="seller-2", type="document")
    verification_cancel(verification=earlier)
    duplicate, second_status = processed(tenant, "seller-2")
    assert second_status == Status.NEEDS_REVIEW
    other_case = waiting_case(tenant, "seller-3")
    reviewer = create_reviewer("sana", "--tenant", tenant.slug)
    totp = pyotp.TOTP(secret_of(reviewer["otpauth_uri"]))

    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{live_server.url}/review/")
        expect(page.locator("h1")).to_have_text("Reviewer login")  # the console sends strangers to login

        page.fill("#username", "sana")
        page.fill("#password", reviewer["password"])
        page.fill("#code", "000000")
        page.click("button[type=submit]")
        expect(page.locator("#login-error")).to_contain_text("not valid")
        page.fill("#username", "sana")
        page.fill("#password", reviewer["password"])
        page.fill("#code", totp.now())
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Review queue")
        expect(page.locator("h1")).to_contain_text("2 waiting")
        expect(page.locator("#queue")).to_contain_text("duplicate_identity")
        page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

        page.keyboard.press("n")  # claim the next case: the duplicate comes first (higher priority)
        expect(page.locator("#shortcuts")).to_be_visible()
        expect(page.locator("#checks")).to_contain_text("duplicate_identity")
        expect(page.locator("#checks")).to_contain_text("distance=")  # the face-match score
        expect(page.locator("#mrz")).to_contain_text("ERIKSSON")
        expect(page.locator("#earlier")).to_contain_text(str(earlier.id))
        images = page.locator("#images img")
        expect(images).to_have_count(2)
        loaded = "[...document.querySelectorAll('#images img')].every(i => i.complete && i.naturalWidth)"
        page.wait_for_function(loaded)
        src = images.first.get_attribute("src")
        assert src is not None and src.startswith("/review/images/")
        fetched = page.request.get(f"{live_server.url}{src}")
        assert fetched.status == 200 and "no-store" in fetched.headers["cache-control"]
        page.screenshot(path=str(ARTIFACTS / "review-case.png"), full_page=True)

        page.keyboard.press("a")  # approve
        expect(page.locator(".messages")).to_contain_text("the verification is verified")

        page.keyboard.press("n")  # the next case
        expect(page.locator("#images img")).to_have_count(2)
        page.keyboard.press("r")  # no reason chosen yet: focuses the reason instead of rejecting
        expect(page.locator("#reject-reason")).to_be_focused()
        page.select_option("#reject-reason", "document_forged")
        page.locator("body").click()
        page.keyboard.press("r")
        expect(page.locator(".messages")).to_contain_text("the verification is rejected")

        page.goto(f"{live_server.url}/review/health")
        expect(page.locator("#reviewers")).to_contain_text("sana")
        expect(page.locator("#by-state")).to_contain_text("decided")
        page.screenshot(path=str(ARTIFACTS / "review-health.png"), full_page=True)

        page.click("text=Log out")
        gone = page.request.get(f"{live_server.url}{src}", max_redirects=0)
        assert gone.status == 302  # logged out: no image, a redirect to the login page
        browser.close()

    assert status_of(ReviewCase.objects.get(verification_id=duplicate.id)) == Status.VERIFIED
    assert status_of(other_case) == Status.REJECTED
    reads = AuditRecord.objects.filter(action="document.read", details__purpose="review")
    assert reads.count() >= 4  # every image the browser loaded (and the one fetched) was audited
    assert (ARTIFACTS / "review-case.png").stat().st_size > 10_000


@pytest.mark.django_db
def test_a_session_without_the_second_factor_does_not_open_the_console(tenant: Tenant) -> None:
    reviewer = create_reviewer("omar")
    client = Client()
    from django.contrib.auth.models import User

    # A password-only session (as the admin site would make) is not a console session.
    client.force_login(User.objects.get(username="omar"))
    response = client.get("/review/")
    assert response.status_code == 302 and response["Location"].startswith("/review/login")
    totp = pyotp.TOTP(secret_of(reviewer["otpauth_uri"]))
    login = client.post(
        "/review/login", {"username": "omar", "password": reviewer["password"], "code": totp.now()}
    )
    assert login.status_code == 302
    page = client.get("/review/")
    assert page.status_code == 200 and b"Review queue" in page.content
    assert "no-store" in page["Cache-Control"]


@pytest.mark.django_db
def test_the_enrolment_link_shows_the_qr_code_once(tenant: Tenant) -> None:
    reviewer = create_reviewer("lina")
    path = reviewer["enrol_url"].split("127.0.0.1:8000", 1)[1]
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and b"<svg" in page.content
    totp = pyotp.TOTP(secret_of(reviewer["otpauth_uri"]))
    wrong = client.post(path, {"code": "000000"})
    assert b"not valid" in wrong.content
    done = client.post(path, {"code": totp.now()})
    assert done.status_code == 200 and done.content.count(b'<li class="code">') == 10
    assert client.get(path).status_code == 400  # used: the link no longer shows the secret


@pytest.mark.django_db
def test_the_case_page_heartbeat_renews_only_the_holders_lease(tenant: Tenant) -> None:
    case = waiting_case(tenant, documents=False)

    def console(username: str) -> Client:
        printed = create_reviewer(username)
        client = Client()
        code = pyotp.TOTP(secret_of(printed["otpauth_uri"])).now()
        client.post("/review/login", {"username": username, "password": printed["password"], "code": code})
        return client

    holder, other = console("holder"), console("other")
    claimed = holder.post("/review/claim")
    assert claimed.status_code == 302 and claimed["Location"] == f"/review/cases/{case.id}"
    page = holder.get(claimed["Location"])
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert b"documents of this verification were deleted" in page.content  # none were uploaded
    assert holder.post(f"/review/cases/{case.id}/renew").json()["lease_expires_at"]
    refused = other.post(f"/review/cases/{case.id}/renew")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "review_lease_not_held"
    assert other.get(f"/review/cases/{case.id}").status_code == 302  # back to the queue, with a message
