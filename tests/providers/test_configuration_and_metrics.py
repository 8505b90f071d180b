"""A half-configured adapter stops the process at start; /metrics shows the providers' health."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.utils import timezone

from kyc.adapters.base import PermanentProviderError
from kyc.adapters.registry import adapters_check_configuration
from tests.aws_standin import Fault, StandIn
from tests.providers.helpers import spec
from tests.providers.test_resilience import detect
from verification.models import ProviderCall, ProviderCircuit
from verification.services.provider_calls import DbCallStore

REPO = Path(__file__).resolve().parents[2]

FULL = {
    "TASDEEQ_PROVIDERS": ["aws_rekognition", "aws_sns"],
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret-example",
}


def test_a_fully_configured_set_passes() -> None:
    with override_settings(**FULL):
        adapters_check_configuration(settings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"AWS_REGION": None},
            "Provider 'aws_rekognition' is enabled in TASDEEQ_PROVIDERS but AWS_REGION is not set.",
        ),
        (
            {"AWS_SECRET_ACCESS_KEY": None},
            "Provider 'aws_rekognition' is enabled but AWS_SECRET_ACCESS_KEY is not set.",
        ),
        (
            {"AWS_ACCESS_KEY_ID": None},
            "Provider 'aws_rekognition' is enabled but AWS_ACCESS_KEY_ID is not set.",
        ),
        (
            {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
        ),
        ({"TASDEEQ_PROVIDERS": ["aws_nothing"]}, "Unknown provider 'aws_nothing'"),
    ],
)
def test_half_configured_adapters_are_refused(change: dict[str, object], message: str) -> None:
    with override_settings(**{**FULL, **change}), pytest.raises(ImproperlyConfigured) as refused:
        adapters_check_configuration(settings)
    assert message in str(refused.value)
    assert "secret-example" not in str(refused.value)


def test_providers_on_sqlite_are_refused_at_start() -> None:
    """`make run`'s SQLite default has no advisory locks: say so at start, not at the first call."""

    class OnSqlite:
        # Django's settings with the database swapped (override_settings warns about DATABASES).
        DATABASES = {"default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"}}

        def __getattr__(self, name: str) -> object:
            return getattr(settings, name)

    with override_settings(**FULL), pytest.raises(ImproperlyConfigured) as refused:
        adapters_check_configuration(OnSqlite())
    assert "needs PostgreSQL" in str(refused.value)
    with override_settings(**{**FULL, "TASDEEQ_PROVIDERS": []}):
        adapters_check_configuration(OnSqlite())
    with override_settings(**FULL):
        adapters_check_configuration(settings)  # the suite's PostgreSQL passes


def test_default_credentials_must_be_asked_for() -> None:
    with override_settings(
        **{
            **FULL,
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_USE_DEFAULT_CREDENTIALS": True,
        }
    ):
        adapters_check_configuration(settings)


def test_the_process_does_not_start_half_configured() -> None:
    env = {**os.environ, "TASDEEQ_PROVIDERS": "aws_sns", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}
    env.pop("AWS_REGION", None)
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "Provider 'aws_sns' is enabled in TASDEEQ_PROVIDERS but AWS_REGION is not set." in done.stderr


@pytest.mark.django_db
def test_metrics_show_calls_errors_latency_and_circuits(providers_on: StandIn) -> None:
    for _ in range(3):
        detect(spec())
    providers_on.inject("DetectFaces", *[Fault.server_error()] * 5)
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017, PT011 - transient, then circuit open
            detect(spec())
    # An old call outside the window counts in the totals but not in the recent percentiles.
    store = DbCallStore()
    old = store.start(spec("aws_textract", "analyze_id"), attempt=1)
    store.finish(old, outcome="success", latency_ms=99999.0)
    ProviderCall.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=1))
    text = Client().get("/metrics").content.decode()
    assert calls("detect_faces", "success", "aws_rekognition") + " 3.0" in text
    assert calls("detect_faces", "transient_error", "aws_rekognition") + " 5.0" in text
    assert calls("detect_faces", "short_circuited", "aws_rekognition") + " 1.0" in text
    assert (
        'tasdeeq_provider_calls_total{operation="analyze_id",outcome="success",provider="aws_textract"} 1.0'
        in text
    )
    assert 'tasdeeq_provider_error_rate{provider="aws_rekognition"} 0.625' in text  # 5 of 8 sent
    for quantile in ("0.5", "0.95", "0.99"):
        assert f'tasdeeq_provider_latency_ms{{provider="aws_rekognition",quantile="{quantile}"}}' in text
    assert 'provider="aws_textract",quantile' not in text
    assert 'tasdeeq_provider_circuit_state{provider="aws_rekognition"} 2.0' in text
    assert 'tasdeeq_provider_circuit_opened_total{provider="aws_rekognition"} 1.0' in text
    ProviderCircuit.objects.filter(pk="aws_rekognition").update(state="closed")
    assert (
        'tasdeeq_provider_circuit_state{provider="aws_rekognition"} 0.0'
        in Client().get("/metrics").content.decode()
    )


def calls(operation: str, outcome: str, provider: str) -> str:
    return (
        f'tasdeeq_provider_calls_total{{operation="{operation}",outcome="{outcome}",provider="{provider}"}}'
    )


def test_percentiles_are_nearest_rank() -> None:
    from verification.provider_selectors import ProviderWindow

    window = ProviderWindow(calls=100, errors=5, latencies_ms=[float(n) for n in range(1, 101)])
    assert (window.percentile(0.5), window.percentile(0.95), window.percentile(0.99)) == (50.0, 95.0, 99.0)
    assert window.error_rate == 0.05
    assert ProviderWindow().percentile(0.5) is None


@pytest.mark.django_db
def test_call_totals_never_go_down_when_records_are_purged(providers_on: StandIn) -> None:
    for _ in range(2):
        detect(spec())
    line = calls("detect_faces", "success", "aws_rekognition")
    assert line + " 2.0" in Client().get("/metrics").content.decode()
    ProviderCall.objects.all().delete()  # what the records purge does to old calls
    detect(spec())
    assert line + " 3.0" in Client().get("/metrics").content.decode()


@pytest.mark.django_db
def test_permanent_client_errors_are_counted_but_not_in_the_error_rate(providers_on: StandIn) -> None:
    detect(spec())
    providers_on.inject("DetectFaces", Fault.invalid_parameter())
    with pytest.raises(PermanentProviderError):
        detect(spec())
    text = Client().get("/metrics").content.decode()
    assert calls("detect_faces", "permanent_error", "aws_rekognition") + " 1.0" in text
    assert 'tasdeeq_provider_error_rate{provider="aws_rekognition"} 0.0' in text
