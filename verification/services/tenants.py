from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from verification.errors import InvalidInput
from verification.models import ApiKey, Tenant
from verification.policy import Policy
from verification.tokens import new_api_key, token_hash


@transaction.atomic
def tenant_create(*, slug: str, min_age: int | None = None) -> tuple[Tenant, str]:
    """Create a tenant with its first API key; the key is returned once and stored as a hash."""
    if Tenant.objects.filter(slug=slug).exists():
        raise InvalidInput("A tenant with this slug exists.", code="tenant_exists", slug=slug)
    if min_age is not None and not 0 <= min_age <= 120:
        raise InvalidInput("min_age must be between 0 and 120.", code="invalid_min_age")
    tenant = Tenant.objects.create(slug=slug, min_age=min_age)
    _, key = api_key_create(tenant=tenant, name="default")
    return tenant, key


@transaction.atomic
def api_key_create(*, tenant: Tenant, name: str = "") -> tuple[ApiKey, str]:
    key = new_api_key()
    api_key = ApiKey.objects.create(tenant=tenant, name=name, prefix=key[:13], key_hash=token_hash(key))
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


@transaction.atomic
def tenant_set_policy(*, tenant: Tenant, policy: dict[str, Any], min_age: int | None = None) -> Tenant:
    """Replace the tenant's decision-policy overrides after validating them (see verification/policy.py)."""
    Policy.from_mapping(policy, min_age=min_age)
    tenant.policy = policy
    fields = ["policy"]
    if min_age is not None:
        if not 0 <= min_age <= 120:
            raise InvalidInput("min_age must be between 0 and 120.", code="invalid_min_age")
        tenant.min_age = min_age
        fields.append("min_age")
    tenant.save(update_fields=fields)
    return tenant
