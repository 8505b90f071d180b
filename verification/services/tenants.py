from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verification.errors import InvalidInput
from verification.models import ApiKey, IdempotencyRecord, Tenant
from verification.policy import Policy
from verification.retention import RetentionPolicy
from verification.services.audit import audit_record
from verification.tokens import new_api_key, token_hash

# Who changes configuration from the command line (manage.py runs as the operator).
OPERATOR_ACTOR = "operator:cli"


def _audit_config(
    tenant: Tenant,
    actor: str,
    action: str,
    *,
    target_type: str = "tenant",
    target_id: str | None = None,
    **details: Any,
) -> None:
    """Every configuration change is an audit record in the tenant's chain (values, not secrets)."""
    audit_record(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id or str(tenant.pk),
        tenant=tenant,
        details=details,
    )


@transaction.atomic
def tenant_create(*, slug: str, min_age: int | None = None) -> tuple[Tenant, str]:
    """Create a tenant with its first API key; the key is returned once and stored as a hash."""
    if Tenant.objects.filter(slug=slug).exists():
        raise InvalidInput("A tenant with this slug exists.", code="tenant_exists", slug=slug)
    if min_age is not None and not 0 <= min_age <= 120:
        raise InvalidInput("min_age must be between 0 and 120.", code="invalid_min_age")
    tenant = Tenant.objects.create(slug=slug, min_age=min_age)
    key = new_api_key()
    api_key = ApiKey.objects.create(tenant=tenant, name="default", prefix=key[:13], key_hash=token_hash(key))
    # Outside any tenant's chain (the tenant's own chain starts with its first verification's events).
    audit_record(
        actor=OPERATOR_ACTOR,
        action="tenant.created",
        target_type="tenant",
        target_id=str(tenant.pk),
        tenant=None,
        details={"api_key": str(api_key.id), "min_age": min_age},
    )
    return tenant, key


@transaction.atomic
def api_key_create(
    *, tenant: Tenant, name: str = "", actor: str = OPERATOR_ACTOR, livemode: bool = True
) -> tuple[ApiKey, str]:
    """A live key (`tdq_live_`) or, with livemode=False, a test-mode key (`tdq_test_`)."""
    key = new_api_key(livemode=livemode)
    api_key = ApiKey.objects.create(
        tenant=tenant, name=name, prefix=key[:13], key_hash=token_hash(key), livemode=livemode
    )
    _audit_config(
        tenant,
        actor,
        "api_key.created",
        target_type="api_key",
        target_id=str(api_key.id),
        livemode=livemode,
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: str = OPERATOR_ACTOR) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        # Its kept answers (a creation's holds a client secret) must not be replayed to it any more.
        IdempotencyRecord.objects.filter(scope=api_key.key_hash).delete()
        _audit_config(
            api_key.tenant, actor, "api_key.revoked", target_type="api_key", target_id=str(api_key.id)
        )
    return api_key


@transaction.atomic
def tenant_set_policy(
    *, tenant: Tenant, policy: dict[str, Any], min_age: int | None = None, actor: str = OPERATOR_ACTOR
) -> Tenant:
    """Replace the tenant's decision-policy overrides after validating them (see verification/policy.py)."""
    Policy.from_mapping(policy, min_age=min_age, enabled_providers=settings.TASDEEQ_PROVIDERS)
    tenant.policy = policy
    fields = ["policy"]
    if min_age is not None:
        if not 0 <= min_age <= 120:
            raise InvalidInput("min_age must be between 0 and 120.", code="invalid_min_age")
        tenant.min_age = min_age
        fields.append("min_age")
    tenant.save(update_fields=fields)
    _audit_config(tenant, actor, "tenant.policy_changed", keys=sorted(policy), min_age=tenant.min_age)
    return tenant


@transaction.atomic
def tenant_set_retention(*, tenant: Tenant, retention: dict[str, Any], actor: str = OPERATOR_ACTOR) -> Tenant:
    """Replace the tenant's retention overrides (see verification/retention.py); {} restores defaults.

    Applies to documents uploaded and decisions made from now on; records retention applies at the
    next records purge.
    """
    RetentionPolicy.from_mapping(retention)
    tenant.retention = retention
    tenant.save(update_fields=["retention"])
    _audit_config(tenant, actor, "tenant.retention_changed", **retention)
    return tenant
