from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from activities.coordinators import COORDINATOR_PERMISSIONS, GROUP_NAME


def run(*args):
    out = StringIO()
    call_command("create_coordinator", *args, stdout=out)
    return out.getvalue()


def test_creates_a_staff_user_in_the_group_for_the_organisation(org, other_org):
    out = run("kari", "--org", org.org_id)
    user = get_user_model().objects.get(username="kari")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [GROUP_NAME]
    assert list(user.coordinated_organizations.all()) == [org]
    password = out.strip().rsplit(" ", 1)[-1]
    assert user.check_password(password)


def test_group_has_exactly_the_coordinator_permissions(org):
    run("kari", "--org", org.org_id)
    user = get_user_model().objects.get(username="kari")
    perms = {p.split(".", 1)[1] for p in user.get_group_permissions()}
    assert perms == {codename for _, codename in COORDINATOR_PERMISSIONS}
    assert not any(p.startswith("delete_") for p in perms)


def test_running_again_adds_an_organisation_and_keeps_the_password(org, other_org):
    run("kari", "--org", org.org_id)
    before = get_user_model().objects.get(username="kari").password
    out = run("kari", "--org", other_org.org_id)
    user = get_user_model().objects.get(username="kari")
    assert "now also covers" in out
    assert user.password == before
    assert set(user.coordinated_organizations.all()) == {org, other_org}


def test_unknown_organisation_is_an_error_and_creates_no_user(org):
    with pytest.raises(CommandError, match="org-nope"):
        run("kari", "--org", "org-nope")
    assert not get_user_model().objects.filter(username="kari").exists()


def test_migrations_create_the_group(db):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=GROUP_NAME)
    assert group.permissions.count() == len(COORDINATOR_PERMISSIONS)
