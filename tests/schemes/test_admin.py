"""Grant schemes in admin: superusers manage them, a change of rules is a new version and
the old ones stay readable, bad rules are form errors (never a 500), coordinators read."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from schemes.models import GrantScheme
from schemes.services import scheme_rules_set
from tests.schemes.conftest import rules

ADD = reverse("admin:schemes_grantscheme_add")


def form(**given: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Likepersonsarbeid",
        "code": "peer-support",
        "year_start_month": "1",
        "deadline_month": "1",
        "deadline_day": "31",
        "statuses": ["completed"],
        "activity_types": "peer_support, group_session",
        "min_participants": "3",
        "min_duration_minutes": "45",
        "in_person_required": "on",
        "one_per_type_per_day": "on",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }
    data.update(given)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def root(db, client_for):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-not-used")
    return client_for(user)


def change_url(scheme: GrantScheme) -> str:
    return reverse("admin:schemes_grantscheme_change", args=[scheme.pk])


def test_adding_a_scheme_makes_version_1(root):
    response = root.post(ADD, form())
    assert response.status_code == 302, response.content.decode()[:3000]
    scheme = GrantScheme.objects.get(code="peer-support")
    (version,) = scheme.versions.all()
    assert version.number == 1
    assert version.rules_json() == {
        "statuses": ["completed"],
        "activity_types": ["group_session", "peer_support"],
        "min_participants": 3,
        "min_duration_minutes": 45,
        "in_person_required": True,
        "one_per_type_per_day": True,
    }
    assert version.created_by.username == "root"


def test_changing_the_rules_makes_a_new_version_and_keeps_the_old(root):
    root.post(ADD, form())
    scheme = GrantScheme.objects.get()
    page = root.get(change_url(scheme)).content.decode()
    assert 'value="peer_support, group_session"' in page or 'value="group_session, peer_support"' in page
    changed = form(min_participants="5", statuses=["completed", "planned"])
    assert root.post(change_url(scheme), changed).status_code == 302
    assert [v.number for v in scheme.versions.all()] == [2, 1]
    old, new = scheme.versions.get(number=1), scheme.versions.get(number=2)
    assert (old.min_participants, old.statuses) == (3, ["completed"])
    assert (new.min_participants, sorted(new.statuses)) == (5, ["completed", "planned"])
    page = root.get(change_url(scheme)).content.decode()
    assert page.count('class="field-number"') >= 2  # both versions listed, read-only


def test_saving_the_same_rules_or_only_the_name_makes_no_version(root):
    root.post(ADD, form())
    scheme = GrantScheme.objects.get()
    assert root.post(change_url(scheme), form(name="Likepersonsarbeid 2026")).status_code == 302
    assert scheme.versions.count() == 1
    scheme.refresh_from_db()
    assert scheme.name == "Likepersonsarbeid 2026"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"min_participants": "-1"}, "min_participants"),
        ({"min_duration_minutes": "-5"}, "min_duration_minutes"),
        ({"min_duration_minutes": "1441"}, "min_duration_minutes"),
        ({"statuses": ["finished"]}, "statuses"),
        ({"statuses": None}, "statuses"),
        ({"activity_types": "peer support!"}, "activity_types"),
        ({"deadline_day": "30", "deadline_month": "2"}, "deadline_day"),
        ({"deadline_day": "32"}, "deadline_day"),
        ({"year_start_month": "13"}, "year_start_month"),
        ({"code": "not a slug"}, "code"),
    ],
)
def test_bad_rules_are_form_errors(root, given, field):
    response = root.post(ADD, form(**given))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert not GrantScheme.objects.exists()


def test_norwegian_admin_says_the_rule_errors_in_norwegian(root):
    response = root.post(ADD, form(statuses=None, min_participants="-1"), HTTP_ACCEPT_LANGUAGE="nb")
    page = response.content.decode()
    assert "Velg minst én status" in page


def test_a_coordinator_reads_schemes_but_cannot_change_them(root, coordinator_client):
    root.post(ADD, form())
    scheme = GrantScheme.objects.get()
    assert coordinator_client.get(reverse("admin:schemes_grantscheme_changelist")).status_code == 200
    page = coordinator_client.get(change_url(scheme))
    assert page.status_code == 200
    assert 'name="min_participants"' not in page.content.decode()
    assert "field-number" in page.content.decode()  # the versions, read-only
    assert coordinator_client.get(ADD).status_code == 403
    assert coordinator_client.post(change_url(scheme), form(min_participants="9")).status_code == 403
    assert scheme.versions.count() == 1


def test_the_scheme_list_names_each_current_version_in_one_query(root, make_scheme, django_assert_max_num_queries):
    for code in ("a", "b", "c"):
        scheme = make_scheme(code)
        scheme_rules_set(scheme=scheme, rules=rules(min_participants=2))
    with django_assert_max_num_queries(8):
        page = root.get(reverse("admin:schemes_grantscheme_changelist")).content.decode()
    assert page.count("versjon 2") == 3 or page.count("version 2") == 3
