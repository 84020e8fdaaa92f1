from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from api_keys.models import ApiKey
from api_keys.services import api_key_assign_secret, api_keys_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "organization_list", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "organizations"]
    search_fields = ["name", "=prefix", "=organizations__org_id"]
    filter_horizontal = ["organizations"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return super().get_queryset(request).prefetch_related("organizations")

    @admin.display(description=_("organisations"))
    def organization_list(self, obj: ApiKey) -> str:
        return ", ".join(org.org_id for org in obj.organizations.all())

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = api_key_assign_secret(key=obj)
        super().save_model(request, obj, form, change)
        # Only the hash is stored: this message is the one time the key is shown.
        self.message_user(
            request,
            gettext("The new API key is %(key)s — copy it now, it cannot be shown again.") % {"key": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected API keys"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = api_keys_revoke(keys=queryset)
        message = ngettext("Revoked %(count)s API key.", "Revoked %(count)s API keys.", revoked) % {"count": revoked}
        self.message_user(request, message, messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: last_used_at and the name stay for the record
