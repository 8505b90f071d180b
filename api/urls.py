from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.views.subjects import SubjectEraseApi, SubjectExportApi
from api.views.verifications import (
    VerificationCancelApi,
    VerificationDetailApi,
    VerificationFileApi,
    VerificationListCreateApi,
    VerificationRedactApi,
    VerificationSubmitApi,
)

urlpatterns = [
    path("verifications", VerificationListCreateApi.as_view(), name="verifications"),
    path("verifications/<str:verification_id>", VerificationDetailApi.as_view(), name="verification"),
    path(
        "verifications/<str:verification_id>/files", VerificationFileApi.as_view(), name="verification-files"
    ),
    path(
        "verifications/<str:verification_id>/submit",
        VerificationSubmitApi.as_view(),
        name="verification-submit",
    ),
    path(
        "verifications/<str:verification_id>/cancel",
        VerificationCancelApi.as_view(),
        name="verification-cancel",
    ),
    path(
        "verifications/<str:verification_id>/redact",
        VerificationRedactApi.as_view(),
        name="verification-redact",
    ),
    path("subjects/<str:subject>/export", SubjectExportApi.as_view(), name="subject-export"),
    path("subjects/<str:subject>/erase", SubjectEraseApi.as_view(), name="subject-erase"),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

# --- /v1/review: the manual review queue for tenant-built consoles (api/views/review.py) ---------
from api.views import review as review_views  # noqa: E402

urlpatterns += [
    path("review/login", review_views.ReviewLoginApi.as_view(), name="review-api-login"),
    path("review/logout", review_views.ReviewLogoutApi.as_view(), name="review-api-logout"),
    path("review/queue", review_views.ReviewQueueApi.as_view(), name="review-api-queue"),
    path("review/claim", review_views.ReviewClaimApi.as_view(), name="review-api-claim"),
    path("review/health", review_views.ReviewHealthApi.as_view(), name="review-api-health"),
    path("review/reason-codes", review_views.ReviewReasonCodesApi.as_view(), name="review-api-reason-codes"),
    path("review/four-eyes", review_views.ReviewFourEyesApi.as_view(), name="review-api-four-eyes"),
    path("review/cases/<str:case_id>", review_views.ReviewCaseApi.as_view(), name="review-api-case"),
    path("review/cases/<str:case_id>/renew", review_views.ReviewRenewApi.as_view(), name="review-api-renew"),
    path(
        "review/cases/<str:case_id>/release",
        review_views.ReviewReleaseApi.as_view(),
        name="review-api-release",
    ),
    path(
        "review/cases/<str:case_id>/decision",
        review_views.ReviewDecisionApi.as_view(),
        name="review-api-decision",
    ),
    path(
        "review/cases/<str:case_id>/reassign",
        review_views.ReviewReassignApi.as_view(),
        name="review-api-reassign",
    ),
    path("review/images/<str:token>", review_views.ReviewImageApi.as_view(), name="review-api-image"),
]

# --- Phone codes and liveness sessions (api/views/phone.py) -------------------------------------
from api.views import phone as phone_views  # noqa: E402

urlpatterns += [
    path(
        "verifications/<str:verification_id>/phone-code",
        phone_views.PhoneCodeApi.as_view(),
        name="verification-phone-code",
    ),
    path(
        "verifications/<str:verification_id>/phone-code/resend",
        phone_views.PhoneCodeResendApi.as_view(),
        name="verification-phone-code-resend",
    ),
    path(
        "verifications/<str:verification_id>/liveness-session",
        phone_views.LivenessSessionApi.as_view(),
        name="verification-liveness-session",
    ),
]

# --- Community affiliation (issue #8): the member's routes and /v1/org/ for organisations ----------
from api.views import affiliation as affiliation_views  # noqa: E402

urlpatterns += [
    path(
        "verifications/<str:verification_id>/attestation",
        affiliation_views.VerificationAttestationApi.as_view(),
        name="verification-attestation",
    ),
    path(
        "verifications/<str:verification_id>/confirmation-request",
        affiliation_views.VerificationConfirmationRequestApi.as_view(),
        name="verification-confirmation-request",
    ),
    path(
        "org/confirmation-requests",
        affiliation_views.OrgConfirmationRequestListApi.as_view(),
        name="org-confirmation-requests",
    ),
    path(
        "org/confirmation-requests/<str:request_id>/answer",
        affiliation_views.OrgConfirmationAnswerApi.as_view(),
        name="org-confirmation-answer",
    ),
    path("org/revocations", affiliation_views.OrgRevocationApi.as_view(), name="org-revocations"),
]

# --- Tenant integration (issue #6): webhooks, notices, receipts -----------------------------------
from api.views import receipts as receipt_views  # noqa: E402
from api.views import webhooks as webhook_views  # noqa: E402

urlpatterns += [
    path(
        "verifications/<str:verification_id>/receipt",
        receipt_views.VerificationReceiptApi.as_view(),
        name="verification-receipt",
    ),
    path("webhook-endpoints", webhook_views.WebhookEndpointListCreateApi.as_view(), name="webhook-endpoints"),
    path(
        "webhook-endpoints/<str:endpoint_id>",
        webhook_views.WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/rotate-secret",
        webhook_views.WebhookEndpointRotateSecretApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/deliveries",
        webhook_views.WebhookDeliveryListApi.as_view(),
        name="webhook-endpoint-deliveries",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/deliveries/<str:delivery_id>/resend",
        webhook_views.WebhookDeliveryResendApi.as_view(),
        name="webhook-delivery-resend",
    ),
    path("notices", webhook_views.NoticeListApi.as_view(), name="notices"),
]
