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
