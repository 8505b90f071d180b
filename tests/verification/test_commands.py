"""Tenant management commands: keys printed once, stored as hashes, several per tenant, revocable."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from verification.models import ApiKey, Tenant
from verification.tokens import token_hash

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict[str, object]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return dict(json.loads(out.getvalue()))


def works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get("/v1/verifications").status_code == 200


def test_create_tenant_prints_the_key_once_and_stores_a_hash() -> None:
    printed = run("create_tenant", "shop", "--min-age", "13")
    assert printed["tenant"] == "shop"
    key = str(printed["api_key"])
    assert key.startswith("tdq_live_")
    tenant = Tenant.objects.get(slug="shop")
    assert tenant.min_age == 13
    stored = ApiKey.objects.get(tenant=tenant)
    assert stored.key_hash == token_hash(key)
    assert key not in {stored.prefix, stored.key_hash, stored.name}
    assert works(key)


def test_duplicate_and_invalid_slugs_are_refused() -> None:
    run("create_tenant", "shop")
    with pytest.raises(CommandError):
        run("create_tenant", "shop")
    with pytest.raises(CommandError):
        run("create_tenant", "Not A Slug!")


def test_several_keys_and_revocation() -> None:
    first = str(run("create_tenant", "lender")["api_key"])
    second = run("create_api_key", "lender", "--name", "backup")
    assert works(first) and works(str(second["api_key"]))
    run("revoke_api_key", "lender", str(second["api_key_id"]))
    assert not works(str(second["api_key"]))
    assert works(first)
    with pytest.raises(CommandError):
        run("revoke_api_key", "lender", "not-an-id")


def test_set_tenant_policy_validates() -> None:
    run("create_tenant", "market")
    printed = run("set_tenant_policy", "market", '{"max_input_attempts": 2}', "--min-age", "21")
    assert printed["policy"] == {"max_input_attempts": 2}
    assert Tenant.objects.get(slug="market").min_age == 21
    with pytest.raises(CommandError):
        run("set_tenant_policy", "market", '{"max_input_attempts": "lots"}')
    with pytest.raises(CommandError):
        run("set_tenant_policy", "market", '{"bogus": 1}')
