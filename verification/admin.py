"""Django admin for the organisation registry (issue #8). Secrets and keys are shown, never edited
as text: keys are added with `manage.py org add-key`, credentials with `org create-credential`.
A key is revoked with `manage.py org revoke-key` (which flags what it vouched for), so its
`revoked_at` is read-only here; every change saved here is audited in the operator's chain."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from verification.models import (
    AttestationRevocation,
    Organization,
    OrganizationCredential,
    OrganizationKey,
)
from verification.services.organizations import organization_admin_changed


class OrganizationKeyInline(admin.TabularInline):
    model = OrganizationKey
    extra = 0
    fields = ("kid", "valid_from", "valid_until", "revoked_at", "created_at")
    readonly_fields = ("kid", "revoked_at", "created_at")
    can_delete = False


class OrganizationCredentialInline(admin.TabularInline):
    model = OrganizationCredential
    extra = 0
    fields = ("name", "prefix", "created_at", "revoked_at")
    readonly_fields = ("name", "prefix", "created_at")
    can_delete = False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("slug", "name")
    fields = ("slug", "name", "communities", "status", "webhook_url", "created_at")
    readonly_fields = ("created_at", "webhook_url")
    inlines = (OrganizationKeyInline, OrganizationCredentialInline)

    @staticmethod
    def _actor(request: HttpRequest) -> str:
        return f"admin:{request.user.pk}"

    def save_model(self, request: HttpRequest, obj: Organization, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            organization_admin_changed(
                organization=obj, changes=list(form.changed_data), actor=self._actor(request)
            )

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        changed: list[Any] = getattr(formset, "changed_objects", [])
        organization_admin_changed(
            organization=form.instance,
            changes=[f"{type(obj).__name__}:{obj.pk}:{','.join(fields)}" for obj, fields in changed],
            actor=self._actor(request),
        )


@admin.register(AttestationRevocation)
class AttestationRevocationAdmin(admin.ModelAdmin):
    list_display = ("organization", "revoked_at", "reason")
    list_filter = ("organization",)
    readonly_fields = ("organization", "jti_hash", "reason", "revoked_at")
