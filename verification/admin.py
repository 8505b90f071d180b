"""Django admin for the organisation registry (issue #8). Secrets and keys are shown, never edited
as text: keys are added with `manage.py org add-key`, credentials with `org create-credential`."""

from __future__ import annotations

from django.contrib import admin

from verification.models import (
    AttestationRevocation,
    Organization,
    OrganizationCredential,
    OrganizationKey,
)


class OrganizationKeyInline(admin.TabularInline):
    model = OrganizationKey
    extra = 0
    fields = ("kid", "valid_from", "valid_until", "revoked_at", "created_at")
    readonly_fields = ("kid", "created_at")
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


@admin.register(AttestationRevocation)
class AttestationRevocationAdmin(admin.ModelAdmin):
    list_display = ("organization", "revoked_at", "reason")
    list_filter = ("organization",)
    readonly_fields = ("organization", "jti_hash", "reason", "revoked_at")
