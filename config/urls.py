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

handler400 = "api.errors.handler400"
handler403 = "api.errors.handler403"
handler404 = "api.errors.handler404"
handler500 = "api.errors.handler500"
