"""/v1/review: the review queue for tenants that build their own console.

Reviewers log in with password + TOTP (`POST /v1/review/login`) and get a short-lived bearer token
(`rvt_…`); every other endpoint takes that token. Scoping follows the reviewer: a tenant's reviewer
sees and decides that tenant's cases only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ReviewerPrincipal, ReviewerTokenAuthentication
from api.permissions import IsReviewer
from api.views import review_schema as schema
from api.views.verifications import ErrorSerializer
from verification.errors import NotFound
from verification.models import FourEyesRule, ReviewCase, ReviewDecisionKind, Reviewer, ReviewerToken, Tenant
from verification.review_codes import DECISION_REASONS, REASONS_BY_CODE, REJECT_CODES
from verification.review_selectors import CaseDetail, review_case_detail, review_health, review_queue
from verification.services.review import (
    NOTE_MAX_LENGTH,
    QueueFilters,
    four_eyes_required,
    four_eyes_rule_set,
    image_token,
    review_case_touch,
    review_claim_next,
    review_decide,
    review_image_read,
    review_reassign,
    review_release,
)
from verification.services.reviewers import reviewer_login, reviewer_token_issue, reviewer_token_revoke

# --- shared output -------------------------------------------------------------------------------


def reviewer_data(reviewer: Reviewer) -> dict[str, Any]:
    return {
        "id": str(reviewer.id),
        "username": reviewer.user.username,
        "role": reviewer.role,
        "tenant": reviewer.tenant.slug if reviewer.tenant else None,
    }


def case_summary(case: ReviewCase) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "verification": str(case.verification_id),
        "tenant": case.tenant.slug,
        "state": case.state,
        "priority": case.priority,
        "reason_codes": case.codes,
        "queued_at": case.queued_at.isoformat(),
        "claimed_by": case.claimed_by.user.username
        if case.claimed_by and case.lease_expires_at and case.lease_expires_at > timezone.now()
        else None,
        "lease_expires_at": case.lease_expires_at.isoformat() if case.lease_expires_at else None,
    }


def case_detail_data(detail: CaseDetail, reviewer: Reviewer, image_url: Any) -> dict[str, Any]:
    """The whole case for its lease holder; `image_url(token)` makes the short-lived image links."""
    v = detail.verification
    expires = timezone.now() + timedelta(seconds=settings.REVIEW_IMAGE_URL_TTL_SECONDS)
    return {
        **case_summary(detail.case),
        "verification": {
            "id": str(v.id),
            "subject": v.subject,
            "status": v.status,
            "checks": v.checks,  # with scores: reviewers need them, tenants' API does not get them
            "last_error": v.last_error,
            "submissions": v.submissions,
            "created_at": v.created_at.isoformat(),
            "submitted_at": v.submitted_at.isoformat() if v.submitted_at else None,
        },
        "documents": [
            {
                "kind": d.kind,
                "width": d.width,
                "height": d.height,
                "content_type": d.content_type,
                "url": image_url(image_token(reviewer=reviewer, document=d)),
                "url_expires_at": expires.isoformat(),
            }
            for d in detail.documents
        ],
        "documents_purged": detail.documents_purged,
        "documents_deleted_at": v.documents_deleted_at.isoformat() if v.documents_deleted_at else None,
        "verified_outputs": detail.verified_outputs,
        "earlier_attempts": [
            {
                "id": str(e.id),
                "status": e.status,
                "created_at": e.created_at.isoformat(),
                "decided_at": e.decided_at.isoformat() if e.decided_at else None,
                "reasons": sorted({code for c in e.checks for code in c.get("reasons", [])}),
            }
            for e in detail.earlier_attempts
        ],
        "decisions": [
            {
                "reviewer": d.reviewer.user.username,
                "decision": d.decision,
                "reason_code": d.reason_code,
                "note": d.note,
                "final": d.final,
                "created_at": d.created_at.isoformat(),
            }
            for d in detail.decisions
        ],
        "four_eyes_codes": [
            code for code in REJECT_CODES if four_eyes_required(tenant_id=v.tenant_id, reason_code=code)
        ],
    }


def _reviewer(request: Request) -> Reviewer:
    principal = request.auth
    assert isinstance(principal, ReviewerPrincipal)  # IsReviewer guarantees it
    return principal.reviewer


class ReviewerApi(APIView):
    authentication_classes = [ReviewerTokenAuthentication]
    permission_classes = [IsReviewer]


class FiltersSerializer(serializers.Serializer):
    tenant = serializers.SlugField(required=False)
    reason_code = serializers.SlugField(required=False)
    min_age_seconds = serializers.IntegerField(required=False, min_value=0)
    livemode = serializers.BooleanField(
        required=False, default=True, help_text="false: the test-mode queue (tenants' integration tests)."
    )

    class Meta:
        ref_name = "ReviewQueueFilter"


def _filters(data: dict[str, Any]) -> QueueFilters:
    return QueueFilters(
        tenant_slug=data.get("tenant"),
        reason_code=data.get("reason_code"),
        min_age_seconds=data.get("min_age_seconds"),
        livemode=data.get("livemode", True),
    )


def _detail_response(request: Request, reviewer: Reviewer, case: ReviewCase) -> Response:
    detail = review_case_detail(case=case)
    return Response(
        case_detail_data(
            detail,
            reviewer,
            lambda token: request.build_absolute_uri(reverse("review-api-image", args=[token])),
        )
    )


# --- login ---------------------------------------------------------------------------------------


class ReviewLoginApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)
        code = serializers.CharField(max_length=32, help_text="The 6-digit TOTP code, or a recovery code.")

        class Meta:
            ref_name = "ReviewLoginInput"

    @extend_schema(
        operation_id="review_login",
        request=InputSerializer,
        responses={
            200: schema.ReviewLoginOutputSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            429: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reviewer = reviewer_login(**payload.validated_data)
        token, raw = reviewer_token_issue(reviewer=reviewer)
        return Response(
            {"token": raw, "expires_at": token.expires_at.isoformat(), "reviewer": reviewer_data(reviewer)}
        )


class ReviewLogoutApi(ReviewerApi):
    @extend_schema(operation_id="review_logout", request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        principal = request.auth
        assert isinstance(principal, ReviewerPrincipal)
        reviewer_token_revoke(
            token=ReviewerToken.objects.select_related("reviewer").get(pk=principal.token_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- queue and cases -----------------------------------------------------------------------------


class ReviewQueueApi(ReviewerApi):
    @extend_schema(
        operation_id="review_queue",
        parameters=[FiltersSerializer, OpenApiParameter("limit", int)],
        responses={200: schema.ReviewQueueOutputSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = FiltersSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        try:
            limit = max(1, min(200, int(request.query_params.get("limit", 50))))
        except ValueError:
            limit = 50
        cases = review_queue(reviewer=_reviewer(request), filters=_filters(filters.validated_data))
        return Response({"count": cases.count(), "cases": [case_summary(c) for c in cases[:limit]]})


class ReviewClaimApi(ReviewerApi):
    class InputSerializer(FiltersSerializer):
        release_current = serializers.BooleanField(
            default=False, help_text="Return the case you hold to the queue and take the next one."
        )

        class Meta:
            ref_name = "ReviewClaimInput"

    @extend_schema(
        operation_id="review_claim",
        request=InputSerializer,
        responses={
            200: schema.ReviewCaseDetailSerializer,
            204: None,
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reviewer = _reviewer(request)
        case = review_claim_next(
            reviewer=reviewer,
            filters=_filters(payload.validated_data),
            release_current=payload.validated_data["release_current"],
        )
        if case is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        case = review_case_touch(reviewer=reviewer, case_id=case.id, view=True)
        return _detail_response(request, reviewer, case)


class ReviewCaseApi(ReviewerApi):
    @extend_schema(
        operation_id="review_case",
        responses={
            200: schema.ReviewCaseDetailSerializer,
            401: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def get(self, request: Request, case_id: str) -> Response:
        reviewer = _reviewer(request)
        case = review_case_touch(reviewer=reviewer, case_id=case_id, view=True)
        return _detail_response(request, reviewer, case)


class ReviewRenewApi(ReviewerApi):
    @extend_schema(
        operation_id="review_renew",
        request=None,
        responses={200: schema.ReviewLeaseSerializer, 409: ErrorSerializer},
    )
    def post(self, request: Request, case_id: str) -> Response:
        case = review_case_touch(reviewer=_reviewer(request), case_id=case_id)
        assert case.lease_expires_at is not None
        return Response({"id": str(case.id), "lease_expires_at": case.lease_expires_at.isoformat()})


class ReviewReleaseApi(ReviewerApi):
    @extend_schema(operation_id="review_release", request=None, responses={204: None, 409: ErrorSerializer})
    def post(self, request: Request, case_id: str) -> Response:
        review_release(reviewer=_reviewer(request), case_id=case_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewDecisionApi(ReviewerApi):
    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=ReviewDecisionKind.choices)
        reason_code = serializers.ChoiceField(choices=sorted(REASONS_BY_CODE))
        note = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "ReviewDecisionInput"

    @extend_schema(
        operation_id="review_decide",
        request=InputSerializer,
        responses={
            200: schema.ReviewDecisionResultSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, case_id: str) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = review_decide(reviewer=_reviewer(request), case_id=case_id, **payload.validated_data)
        return Response(
            {
                "id": str(outcome.case.id),
                "state": outcome.case.state,
                "stage": outcome.stage,
                "verification": str(outcome.case.verification_id),
                "verification_status": outcome.verification_status,
            }
        )


class ReviewReassignApi(ReviewerApi):
    class InputSerializer(serializers.Serializer):
        reviewer = serializers.CharField(max_length=150, help_text="Username of the new holder.")

        class Meta:
            ref_name = "ReviewReassignInput"

    @extend_schema(
        operation_id="review_reassign",
        request=InputSerializer,
        responses={
            200: schema.ReviewCaseSummarySerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, case_id: str) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        case = review_reassign(
            lead=_reviewer(request), case_id=case_id, to_username=payload.validated_data["reviewer"]
        )
        return Response(case_summary(case))


class ReviewImageApi(ReviewerApi):
    @extend_schema(
        operation_id="review_image",
        responses={
            (200, "image/jpeg"): bytes,
            403: ErrorSerializer,
            404: ErrorSerializer,
            410: ErrorSerializer,
        },
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        data, content_type = review_image_read(reviewer=_reviewer(request), token=token)
        return no_store(HttpResponse(data, content_type=content_type))


def no_store(response: HttpResponse) -> HttpResponse:
    """Decrypted images must not stay in any cache, the browser's included."""
    response["Cache-Control"] = "no-store, private, max-age=0"
    response["Pragma"] = "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ReviewHealthApi(ReviewerApi):
    @extend_schema(
        operation_id="review_health", responses={200: schema.ReviewHealthSerializer, 401: ErrorSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(review_health(reviewer=_reviewer(request)))


class ReviewReasonCodesApi(ReviewerApi):
    @extend_schema(operation_id="review_reason_codes", responses={200: schema.ReviewReasonCodesSerializer})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "reason_codes": [
                    {"code": r.code, "decision": r.decision, "label": r.label} for r in DECISION_REASONS
                ]
            }
        )


class ReviewFourEyesApi(ReviewerApi):
    class InputSerializer(serializers.Serializer):
        reason_code = serializers.ChoiceField(choices=list(REJECT_CODES))
        require_second_reviewer = serializers.BooleanField()
        tenant = serializers.SlugField(
            required=False, allow_null=True, help_text="Operator leads only; omit for every tenant."
        )

        class Meta:
            ref_name = "ReviewFourEyesInput"

    @extend_schema(
        operation_id="review_four_eyes_list", responses={200: schema.ReviewFourEyesRulesSerializer}
    )
    def get(self, request: Request) -> Response:
        reviewer = _reviewer(request)
        rules = FourEyesRule.objects.select_related("tenant").order_by("reason_code")
        if not reviewer.is_operator:
            rules = rules.filter(Q(tenant=reviewer.tenant) | Q(tenant__isnull=True))
        return Response(
            {
                "rules": [
                    {"reason_code": r.reason_code, "tenant": r.tenant.slug if r.tenant else None}
                    for r in rules
                ]
            }
        )

    @extend_schema(
        operation_id="review_four_eyes_set",
        request=InputSerializer,
        responses={204: None, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        slug = payload.validated_data.get("tenant")
        tenant = Tenant.objects.filter(slug=slug).first() if slug else None
        if slug and tenant is None:
            raise NotFound("No such tenant.", code="tenant_not_found")
        four_eyes_rule_set(
            lead=_reviewer(request),
            reason_code=payload.validated_data["reason_code"],
            required=payload.validated_data["require_second_reviewer"],
            tenant=tenant,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
