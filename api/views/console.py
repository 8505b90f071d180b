"""/review: the reviewer console, server-rendered Django templates over the same review services.

Session login with password + TOTP (the session remembers that both factors passed; a session made
anywhere else, e.g. the admin, does not open the console). Forms carry CSRF tokens; every page with
case data and every image answers `Cache-Control: no-store`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api.views.review import no_store
from verification import totp
from verification.codes import CATALOGUE
from verification.errors import DomainError, Forbidden, Gone, InvalidInput, Locked, NotFound
from verification.models import FourEyesRule, Reviewer, Tenant
from verification.review_codes import APPROVE_CODES, DECISION_REASONS, REJECT_CODES
from verification.review_selectors import review_case_detail, review_health, review_queue
from verification.services.review import (
    QueueFilters,
    four_eyes_required,
    four_eyes_rule_set,
    held_case,
    image_token,
    review_case_touch,
    review_claim_next,
    review_decide,
    review_image_read,
    review_reassign,
    review_release,
    reviewers_for_case,
)
from verification.services.reviewers import (
    enrol_token_reviewer,
    reviewer_enrol,
    reviewer_login,
    reviewer_otpauth_uri,
    reviewer_session_end,
    reviewer_session_start,
)

MFA_SESSION_KEY = "review_mfa_reviewer"
View = Callable[..., HttpResponseBase]


def session_reviewer(request: HttpRequest) -> Reviewer | None:
    user = request.user
    if not user.is_authenticated:
        return None
    reviewer = Reviewer.objects.select_related("user", "tenant").filter(user_id=user.pk).first()
    if reviewer is None or request.session.get(MFA_SESSION_KEY) != str(reviewer.id):
        return None
    return reviewer


def reviewer_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        reviewer = session_reviewer(request)
        if reviewer is None:
            return redirect(f"{reverse('review-login')}?next={request.path}")
        return view(request, reviewer, *args, **kwargs)

    return wrapper


def _filters(request: HttpRequest) -> QueueFilters:
    source = request.POST if request.method == "POST" else request.GET
    min_age = source.get("min_age_minutes", "").strip()
    return QueueFilters(
        tenant_slug=source.get("tenant") or None,
        reason_code=source.get("reason_code") or None,
        min_age_seconds=int(min_age) * 60 if min_age.isdigit() else None,
        livemode=source.get("mode") != "test",
    )


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return no_store(render(request, f"review/{template}", context, status=status))


# --- login, enrolment --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponseBase:
    error = None
    status = 200
    if request.method == "POST":
        try:
            reviewer = reviewer_login(
                username=request.POST.get("username", ""),
                password=request.POST.get("password", ""),
                code=request.POST.get("code", ""),
            )
        except Locked as exc:
            error, status = f"{exc.message} (in {exc.details.get('retry_after')} s)", 429
        except DomainError as exc:
            error, status = exc.message, 401
        else:
            login(request, reviewer.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[MFA_SESSION_KEY] = str(reviewer.id)
            request.session.set_expiry(settings.REVIEW_SESSION_SECONDS)
            reviewer_session_start(reviewer=reviewer)
            target = request.POST.get("next") or ""
            return redirect(target if target.startswith("/review/") else reverse("review-queue"))
    return _page(request, "login.html", {"error": error, "next": request.GET.get("next", "")}, status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponseBase:
    reviewer = session_reviewer(request)
    if reviewer is not None:
        reviewer_session_end(reviewer=reviewer)
    logout(request)
    return redirect("review-login")


@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        reviewer = enrol_token_reviewer(token)
    except InvalidInput as exc:
        return _page(request, "message.html", {"title": "Enrolment", "message": exc.message}, 400)
    error = None
    if request.method == "POST":
        try:
            _, codes = reviewer_enrol(token=token, code=request.POST.get("code", ""))
        except InvalidInput as exc:
            error = exc.message
        else:
            return _page(request, "enrolled.html", {"recovery_codes": codes})
    uri = reviewer_otpauth_uri(reviewer)
    context = {
        "qr_svg": totp.qr_svg(uri),
        "otpauth_uri": uri,
        "username": reviewer.user.username,
        "error": error,
    }
    return _page(request, "enrol.html", context)


# --- queue -------------------------------------------------------------------------------------


@require_GET
@reviewer_required
def queue_view(request: HttpRequest, reviewer: Reviewer) -> HttpResponseBase:
    filters = _filters(request)
    cases = review_queue(reviewer=reviewer, filters=filters)
    context = {
        "reviewer": reviewer,
        "cases": cases[:100],
        "count": cases.count(),
        "held": held_case(reviewer=reviewer),
        "filters": request.GET,
        "tenants": Tenant.objects.order_by("slug") if reviewer.is_operator else [],
        "now": timezone.now(),
        # A case carries its checks' codes: offer the catalogue's (any failed check can sit beside a review).
        "check_codes": sorted(CATALOGUE),
    }
    return _page(request, "queue.html", context)


def _claim(request: HttpRequest, reviewer: Reviewer, *, release_current: bool) -> HttpResponseBase:
    case = review_claim_next(reviewer=reviewer, filters=_filters(request), release_current=release_current)
    if case is None:
        messages.info(request, "No case is waiting for you.")
        return redirect("review-queue")
    return redirect("review-case", case_id=case.id)


@require_POST
@reviewer_required
def claim_view(request: HttpRequest, reviewer: Reviewer) -> HttpResponseBase:
    return _claim(request, reviewer, release_current=False)


@require_POST
@reviewer_required
def next_view(request: HttpRequest, reviewer: Reviewer) -> HttpResponseBase:
    return _claim(request, reviewer, release_current=True)


# --- a case --------------------------------------------------------------------------------------


@require_GET
@reviewer_required
def case_view(request: HttpRequest, reviewer: Reviewer, case_id: str) -> HttpResponseBase:
    try:
        case = review_case_touch(reviewer=reviewer, case_id=case_id, view=True)
    except NotFound as exc:
        return _page(request, "message.html", {"title": "Not found", "message": exc.message}, 404)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("review-queue")
    detail = review_case_detail(case=case)
    tenant_id = detail.verification.tenant_id
    context = {
        "reviewer": reviewer,
        "detail": detail,
        "v": detail.verification,
        "images": [
            (d, reverse("review-image", args=[image_token(reviewer=reviewer, document=d)]))
            for d in detail.documents
        ],
        "approve_reasons": [r for r in DECISION_REASONS if r.code in APPROVE_CODES],
        "reject_reasons": [r for r in DECISION_REASONS if r.code in REJECT_CODES],
        "four_eyes": {
            code for code in REJECT_CODES if four_eyes_required(tenant_id=tenant_id, reason_code=code)
        },
        "reviewers": reviewers_for_case(lead=reviewer, case=case).exclude(pk=reviewer.pk)
        if reviewer.is_lead
        else [],
    }
    return _page(request, "case.html", context)


@require_POST
@reviewer_required
def decide_view(request: HttpRequest, reviewer: Reviewer, case_id: str) -> HttpResponseBase:
    try:
        outcome = review_decide(
            reviewer=reviewer,
            case_id=case_id,
            decision=request.POST.get("decision", ""),
            reason_code=request.POST.get("reason_code", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("review-case", case_id=case_id)
    if outcome.stage == "final":
        messages.success(request, f"Decided: the verification is {outcome.verification_status}.")
    elif outcome.stage == "awaiting_second":
        messages.success(request, "Rejection recorded: a second reviewer must confirm it (four eyes).")
    else:
        messages.success(request, "You disagreed with the first reviewer: a lead will decide.")
    return redirect("review-queue")


@require_POST
@reviewer_required
def renew_view(request: HttpRequest, reviewer: Reviewer, case_id: str) -> HttpResponseBase:
    """The case page's heartbeat while the reviewer is active on it."""
    try:
        case = review_case_touch(reviewer=reviewer, case_id=case_id)
    except DomainError as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message, "details": {}}}, status=409)
    assert case.lease_expires_at is not None
    return JsonResponse({"lease_expires_at": case.lease_expires_at.isoformat()})


@require_POST
@reviewer_required
def release_view(request: HttpRequest, reviewer: Reviewer, case_id: str) -> HttpResponseBase:
    try:
        review_release(reviewer=reviewer, case_id=case_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("review-queue")


@require_POST
@reviewer_required
def reassign_view(request: HttpRequest, reviewer: Reviewer, case_id: str) -> HttpResponseBase:
    try:
        review_reassign(lead=reviewer, case_id=case_id, to_username=request.POST.get("reviewer", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("review-case", case_id=case_id)
    messages.success(request, "Case reassigned.")
    return redirect("review-queue")


@require_GET
@reviewer_required
def image_view(request: HttpRequest, reviewer: Reviewer, token: str) -> HttpResponseBase:
    try:
        data, content_type = review_image_read(reviewer=reviewer, token=token)
    except (Forbidden, NotFound, Gone) as exc:
        status = 403 if isinstance(exc, Forbidden) else 410 if isinstance(exc, Gone) else 404
        return no_store(HttpResponse(exc.message, status=status, content_type="text/plain"))
    except DomainError as exc:
        return no_store(HttpResponse(exc.message, status=409, content_type="text/plain"))
    return no_store(HttpResponse(data, content_type=content_type))


# --- operator pages ------------------------------------------------------------------------------


@require_GET
@reviewer_required
def health_view(request: HttpRequest, reviewer: Reviewer) -> HttpResponseBase:
    return _page(request, "health.html", {"reviewer": reviewer, "health": review_health(reviewer=reviewer)})


@require_http_methods(["GET", "POST"])
@reviewer_required
def four_eyes_view(request: HttpRequest, reviewer: Reviewer) -> HttpResponseBase:
    if request.method == "POST":
        slug = request.POST.get("tenant") or None
        try:
            four_eyes_rule_set(
                lead=reviewer,
                reason_code=request.POST.get("reason_code", ""),
                required=request.POST.get("required") == "1",
                tenant=Tenant.objects.filter(slug=slug).first() if slug else None,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Four-eyes rule saved.")
        return redirect("review-four-eyes")
    rules = FourEyesRule.objects.select_related("tenant").order_by("reason_code")
    if not reviewer.is_operator:
        rules = rules.filter(Q(tenant=reviewer.tenant) | Q(tenant__isnull=True))
    context = {
        "reviewer": reviewer,
        "rules": rules,
        "reject_reasons": [r for r in DECISION_REASONS if r.code in REJECT_CODES],
        "tenants": Tenant.objects.order_by("slug") if reviewer.is_operator else [],
    }
    return _page(request, "four_eyes.html", context)
