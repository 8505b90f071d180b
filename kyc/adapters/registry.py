"""The lazy registry of adapters, keyed by provider code.

A provider's module is imported the first time its code is asked for, so a deployment that uses
no AWS adapter never imports one. `adapters_check_configuration` runs at start (the verification
app's ready()) and stops the process when an enabled adapter is unknown or half-configured.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured

from kyc.adapters.base import (
    Adapter,
    FaceMatchAdapter,
    IdAnalysisAdapter,
    LivenessAdapter,
    ProviderUnavailable,
    SmsAdapter,
)

# code -> module (each module exposes ADAPTER, its Adapter subclass).
MODULES: dict[str, str] = {
    "aws_rekognition": "kyc.adapters.aws_rekognition",
    "aws_liveness": "kyc.adapters.aws_liveness",
    "aws_textract": "kyc.adapters.aws_textract",
    "aws_sns": "kyc.adapters.aws_sns",
}


@cache
def adapter_class(code: str) -> type[Adapter]:
    module_name = MODULES.get(code)
    if module_name is None:
        raise ImproperlyConfigured(f"Unknown provider '{code}' (known: {', '.join(sorted(MODULES))}).")
    adapter = importlib.import_module(module_name).ADAPTER
    if not (isinstance(adapter, type) and issubclass(adapter, Adapter)) or adapter.code != code:
        raise ImproperlyConfigured(f"Module {module_name} does not define the '{code}' adapter.")
    return adapter


def enabled(settings: Any) -> frozenset[str]:
    return frozenset(settings.TASDEEQ_PROVIDERS)


def _adapter(code: str, kind: type, settings: Any) -> Adapter:
    if code not in enabled(settings):
        raise ProviderUnavailable("provider_not_enabled")
    adapter = adapter_class(code)(settings)
    if not isinstance(adapter, kind):
        raise ImproperlyConfigured(f"Provider '{code}' is not a {kind.__name__}.")
    return adapter


# Typed accessors, one per kind; ProviderUnavailable when the code is not enabled in this deployment.
def face_match_adapter(code: str, settings: Any) -> FaceMatchAdapter:
    return cast(FaceMatchAdapter, _adapter(code, FaceMatchAdapter, settings))


def liveness_adapter(code: str, settings: Any) -> LivenessAdapter:
    return cast(LivenessAdapter, _adapter(code, LivenessAdapter, settings))


def id_analysis_adapter(code: str, settings: Any) -> IdAnalysisAdapter:
    return cast(IdAnalysisAdapter, _adapter(code, IdAnalysisAdapter, settings))


def sms_adapter(code: str, settings: Any) -> SmsAdapter:
    return cast(SmsAdapter, _adapter(code, SmsAdapter, settings))


def adapters_check_configuration(settings: Any) -> None:
    """Fail fast, naming the missing setting (never its value), for every enabled adapter."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if settings.TASDEEQ_PROVIDERS and not engine.endswith("postgresql"):
        # Provider calls are claimed with PostgreSQL advisory locks (verification/services/
        # provider_calls.py); on SQLite every call would fail at run time instead of here.
        raise ImproperlyConfigured(
            "TASDEEQ_PROVIDERS needs PostgreSQL (set DATABASE_URL): provider calls are claimed "
            "with advisory locks."
        )
    for code in settings.TASDEEQ_PROVIDERS:
        adapter_class(code).check_configuration(settings)
