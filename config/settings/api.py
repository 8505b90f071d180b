"""Django REST framework and the OpenAPI schema."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "api.authentication.ClientSecretAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsTenant"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tasdeeq API",
    "DESCRIPTION": (
        "Identity and community-membership verification. Every error answers "
        '`{"error": {"code", "message", "details"}}` with a stable `code` (see docs/errors.md in '
        "the Tasdeeq repository)."
    ),
    "VERSION": "1.0.0",
    # 3.1: nullable objects are expressed as JSON Schema types, which validators read unambiguously.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1",
    "ENUM_NAME_OVERRIDES": {
        "VerificationStatusEnum": "verification.models.Status.choices",
        "DocumentKindEnum": "verification.models.DocumentKind.choices",
    },
}

# Raw documents never spool to a temporary file (api/uploads.py).
FILE_UPLOAD_HANDLERS = ["api.uploads.CappedMemoryUploadHandler"]

from config.env import env_str  # noqa: E402  (appended section: the metrics endpoint)

# /metrics asks for `Authorization: Bearer <METRICS_TOKEN>` when set; unset, it is open (keep it
# off the public network then).
METRICS_TOKEN = env_str("METRICS_TOKEN")
