"""Admin scoping: a coordinator sees and changes only their own organisations' data.

A superuser sees everything. Every ModelAdmin of an organisation-owned model mixes
this in, so the rule lives in one place.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from activities.models import Organization


def coordinated_orgs(request: HttpRequest) -> QuerySet[Organization]:
    user = request.user
    if user.is_superuser:
        return Organization.objects.all()
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(coordinators=user)


class OwnOrganizationsFilter(admin.RelatedFieldListFilter):
    """The organisation filter lists only the user's organisations (Django's lists all)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        return [(o.pk, str(o)) for o in coordinated_orgs(request).order_by("org_id")]


class OrgScopedAdminMixin:
    """For models with an ``org`` foreign key (set ``org_field`` to change it)."""

    org_field = "org"

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)  # type: ignore[misc]
        return [(f, OwnOrganizationsFilter) if f == self.org_field else f for f in filters]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.org_field}__in": coordinated_orgs(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == self.org_field and not request.user.is_superuser:
            kwargs["queryset"] = coordinated_orgs(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def _owns(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        org_id = getattr(obj, f"{self.org_field}_id")
        return coordinated_orgs(request).filter(pk=org_id).exists()

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._owns(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._owns(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._owns(request, obj)  # type: ignore[misc]


class ScopedOrganizationAdminMixin:
    """The organisation list itself: coordinators see only their own."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return qs if request.user.is_superuser else qs.filter(pk__in=coordinated_orgs(request))


__all__ = ["OrgScopedAdminMixin", "ScopedOrganizationAdminMixin", "admin", "coordinated_orgs"]
