"""The OpenAPI schema describes the real responses; probes report what they check."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from rest_framework.test import APIClient

from tests.api.test_verifications import create, upload
from tests.images import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api: APIClient) -> dict[str, Any]:
    response = APIClient().get("/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def validate(schema: dict[str, Any], component: str, instance: Any) -> None:
    registry = Registry().with_resource(
        "urn:api", Resource.from_contents(schema, default_specification=DRAFT202012)
    )
    validator = OAS31Validator({"$ref": f"urn:api#/components/schemas/{component}"}, registry=registry)
    errors = sorted(validator.iter_errors(instance), key=str)
    assert not errors, errors[0]


def response_component(schema: dict[str, Any], path: str, method: str, status: int) -> str:
    content = schema["paths"][path][method]["responses"][str(status)]["content"]["application/json"]
    ref = content["schema"].get("$ref") or content["schema"]["items"]["$ref"]
    return str(ref.rsplit("/", 1)[-1])


def test_schema_documents_every_endpoint(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert {
        "/v1/verifications",
        "/v1/verifications/{verification_id}",
        "/v1/verifications/{verification_id}/files",
        "/v1/verifications/{verification_id}/submit",
        "/v1/verifications/{verification_id}/cancel",
    } <= set(schema["paths"])
    assert {"apiKey", "clientSecret"} <= set(schema["components"]["securitySchemes"])


def test_real_responses_match_the_schema(api: APIClient, schema: dict[str, Any]) -> None:
    created = create(api)
    validate(schema, response_component(schema, "/v1/verifications", "post", 201), created)
    validate(schema, "Verification" + "Output", api.get(f"/v1/verifications/{created['id']}").json())
    file_response = upload(api, created["id"], "selfie", jpeg()).json()
    validate(
        schema,
        response_component(schema, "/v1/verifications/{verification_id}/files", "post", 201),
        file_response,
    )
    error = api.post(f"/v1/verifications/{created['id']}/submit").json()
    validate(
        schema, response_component(schema, "/v1/verifications/{verification_id}/submit", "post", 400), error
    )


def test_docs_page_is_served_without_a_cdn() -> None:
    response = APIClient().get("/v1/docs/")
    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def test_healthz_and_readyz(api: APIClient) -> None:
    assert APIClient().get("/healthz").json() == {"status": "ok"}
    ready = APIClient().get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "storage": "ok", "retention": "ok"}


def test_readyz_reports_an_unreachable_broker() -> None:
    from config.celery import app

    original = app.conf.broker_write_url
    app.conf["broker_write_url"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = APIClient().get("/readyz")
    finally:
        app.conf["broker_write_url"] = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unavailable"


@override_settings(DEBUG=False)
def test_unknown_url_answers_the_error_shape() -> None:
    response = APIClient().get("/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
