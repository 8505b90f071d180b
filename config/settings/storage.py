"""Where encrypted documents live: S3 (MinIO, AWS) or, for the local run, a folder under DATA_DIR."""

from config.env import data_dir, env_str

DOCUMENT_STORAGE_BACKEND = env_str("DOCUMENT_STORAGE", "filesystem")

if DOCUMENT_STORAGE_BACKEND == "s3":
    _documents: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET", "tasdeeq-documents"),
            "endpoint_url": env_str("S3_ENDPOINT_URL"),
            "region_name": env_str("S3_REGION", "us-east-1"),
            "access_key": env_str("S3_ACCESS_KEY_ID"),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
            # Objects are ciphertext already; never public, never overwritten, no URL signing needed.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "object_parameters": {"ContentType": "application/octet-stream"},
            # Read ciphertext into memory, never into a spooled temporary file on disk.
            "max_memory_size": 64 * 1024 * 1024,
        },
    }
elif DOCUMENT_STORAGE_BACKEND == "filesystem":
    _documents = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(data_dir() / "documents"),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DOCUMENT_STORAGE must be 's3' or 'filesystem'.")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "documents": _documents,
}
