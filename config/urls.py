from django.contrib import admin
from django.urls import include, path

from api.views.health import healthz, readyz
from api.views.metrics import metrics

urlpatterns = [
    path("v1/", include("api.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("review/", include("api.console_urls")),
]

# Tenant integration (issue #6): the hosted capture page and the receipts' public keys.
from api.views.capture import capture_page  # noqa: E402
from api.views.receipts import jwks_view  # noqa: E402

urlpatterns += [
    path("v/<str:client_secret>", capture_page, name="capture-page"),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
]

handler400 = "api.errors.handler400"
handler403 = "api.errors.handler403"
handler404 = "api.errors.handler404"
handler500 = "api.errors.handler500"
