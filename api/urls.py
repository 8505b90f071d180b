from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.views.verifications import (
    VerificationCancelApi,
    VerificationDetailApi,
    VerificationFileApi,
    VerificationListCreateApi,
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
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
