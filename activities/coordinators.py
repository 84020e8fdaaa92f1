"""The Coordinators group: exactly the permissions a coordinator needs.

View everything; add and change activities; add submitted periods; run the
re-aggregate/refresh actions. Not delete: removing a submitted period or a snapshot
is for superusers. Which rows they see is scoped separately (activities.admin_scope).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from activities.models import Organization

GROUP_NAME = "Coordinators"

# (app_label, codename)
COORDINATOR_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("activities", "view_organization"),
    ("activities", "view_activity"),
    ("activities", "add_activity"),
    ("activities", "change_activity"),
    ("activities", "view_importjob"),
    ("aggregations", "view_aggregationsnapshot"),
    ("aggregations", "view_submittedperiod"),
    ("aggregations", "add_submittedperiod"),
    ("aggregations", "reaggregate_aggregationsnapshot"),
    ("record_counts", "view_countsnapshot"),
    ("record_counts", "refresh_countsnapshot"),
)


def permission_filter(perms: Iterable[tuple[str, str]]) -> Q:
    query = Q(pk__in=[])
    for app_label, codename in perms:
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def ensure_coordinators_group(
    group_model: Any = Group, permission_model: Any = Permission, *, require_all: bool = True
) -> Any:
    """Create or reset the group to exactly ``COORDINATOR_PERMISSIONS``.

    Takes the models as arguments so a data migration can pass its historical ones
    (an early migration grants what exists at its point, ``require_all=False``).
    """
    group, _ = group_model.objects.get_or_create(name=GROUP_NAME)
    perms = list(permission_model.objects.filter(permission_filter(COORDINATOR_PERMISSIONS)))
    missing = {f"{a}.{c}" for a, c in COORDINATOR_PERMISSIONS} - {
        f"{p.content_type.app_label}.{p.codename}" for p in perms
    }
    if missing and require_all:
        raise RuntimeError(f"permissions not found (run migrate first): {', '.join(sorted(missing))}")
    group.permissions.set(perms)
    return group


@transaction.atomic
def coordinator_create(*, username: str, org_ids: list[str], email: str = "") -> tuple[Any, str | None]:
    """Create a coordinator (or add organisations to an existing one).

    Returns the user and, for a new user, a one-time generated password.
    """
    orgs = list(Organization.objects.filter(org_id__in=org_ids))
    unknown = set(org_ids) - {o.org_id for o in orgs}
    if unknown:
        raise ValueError(f"unknown organisation(s): {', '.join(sorted(unknown))}")
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    password = None
    if created:
        password = secrets.token_urlsafe(12)
        user.set_password(password)
    user.is_staff = True
    user.save()
    user.groups.add(ensure_coordinators_group())
    for org in orgs:
        org.coordinators.add(user)
    return user, password
