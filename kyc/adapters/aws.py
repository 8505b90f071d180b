"""The one way AWS adapters get a boto3 client, and the one translation of botocore's errors.

Retries are switched off in botocore (total_max_attempts=1) because kyc/adapters/resilience.py
retries in one place for every provider; two retry layers would multiply the attempts and hide
them from the call log and the circuit breaker.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    UnknownServiceError,
)
from django.core.exceptions import ImproperlyConfigured

from kyc.adapters.base import (
    Adapter,
    PermanentProviderError,
    ProviderError,
    ProviderThrottled,
    ProviderTimeout,
    TransientProviderError,
)

AWS_REQUIRED_SETTINGS = ("AWS_REGION",)

# Codes AWS services use for "slow down"; LimitExceededException is Rekognition's concurrency cap.
_THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "RequestLimitExceeded",
    }
)
# The deployment's configuration is wrong (no credentials, no region): retrying cannot help, and it
# says nothing about the provider's health, so it must not open the circuit either.
_CONFIGURATION_ERRORS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    NoRegionError,
    InvalidRegionError,
    ProfileNotFound,
    UnknownServiceError,
)
# 4xx codes that are transient all the same (the service is not ready, not the request wrong).
_TRANSIENT_CLIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "ServiceUnavailable"})


def check_aws_credentials(settings: Any, code: str) -> None:
    """Both keys, or neither with AWS_USE_DEFAULT_CREDENTIALS: half a credential pair is an error."""
    has_id, has_secret = bool(settings.AWS_ACCESS_KEY_ID), bool(settings.AWS_SECRET_ACCESS_KEY)
    if has_id != has_secret:
        missing = "AWS_SECRET_ACCESS_KEY" if has_id else "AWS_ACCESS_KEY_ID"
        raise ImproperlyConfigured(f"Provider '{code}' is enabled but {missing} is not set.")
    if not has_id and not settings.AWS_USE_DEFAULT_CREDENTIALS:
        raise ImproperlyConfigured(
            f"Provider '{code}' is enabled but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set "
            "(set AWS_USE_DEFAULT_CREDENTIALS=true to use the instance's role instead)."
        )


def aws_client(service: str, settings: Any, *, endpoint_url: str | None) -> Any:
    return _client(
        service,
        settings.AWS_REGION,
        endpoint_url,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
        settings.PROVIDER_CONNECT_TIMEOUT_SECONDS,
        settings.PROVIDER_READ_TIMEOUT_SECONDS,
    )


class AwsAdapter(Adapter):
    """What every AWS adapter shares: its settings, the credential check and its boto3 client.

    Listed first among an adapter's bases (`class X(AwsAdapter, FaceMatchAdapter)`), so its
    configuration check runs before the kind's.
    """

    required_settings = AWS_REQUIRED_SETTINGS
    service: ClassVar[str]  # the boto3 service name
    endpoint_setting: ClassVar[str]  # the setting naming a non-default endpoint (moto, a stand-in)

    @classmethod
    def check_configuration(cls, settings: Any) -> None:
        super().check_configuration(settings)
        check_aws_credentials(settings, cls.code)

    def _client(self) -> Any:
        return aws_client(
            self.service, self.settings, endpoint_url=getattr(self.settings, self.endpoint_setting)
        )


@functools.lru_cache(maxsize=32)
def _client(
    service: str,
    region: str,
    endpoint_url: str | None,
    key_id: str | None,
    secret: str | None,
    connect_timeout: int,
    read_timeout: int,
) -> Any:
    # Clients are thread-safe and costly to build (tens of ms): one per configuration per process.
    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": 1},
        user_agent_extra="tasdeeq",
    )
    credentials: dict[str, str] = {}
    if key_id and secret:
        credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    session = boto3.session.Session()
    return session.client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=config,
        **credentials,
    )


def translate(exc: Exception) -> ProviderError:
    """botocore's exception to ours, keeping only the error code (messages may echo input)."""
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return ProviderTimeout(type(exc).__name__)
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        return TransientProviderError(type(exc).__name__)
    if isinstance(exc, ParamValidationError):
        return PermanentProviderError("ParamValidationError")
    if isinstance(exc, _CONFIGURATION_ERRORS):
        return PermanentProviderError(type(exc).__name__)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "ClientError")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) or None
        if code in _THROTTLING_CODES or status == 429:
            return ProviderThrottled(code, status=status)
        if (status is not None and status >= 500) or code in _TRANSIENT_CLIENT_CODES:
            return TransientProviderError(code, status=status)
        return PermanentProviderError(code, status=status)
    if isinstance(exc, BotoCoreError):
        return TransientProviderError(type(exc).__name__)
    raise exc
