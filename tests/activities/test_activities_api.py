"""The activities API: create (one or a list), retrieve, update, delete, list with filters."""

from __future__ import annotations

import datetime as dt

import pytest

from activities.models import Activity

URL = "/api/v1/activities"


def payload(org, **overrides):
    data = {
        "org_id": org.org_id,
        "activity_type": "family_guidance",
        "recorded_at": "2026-01-15T10:30:00Z",
        "participant_count": 4,
        "location": "Oslo",
        "status": "completed",
    }
    data.update(overrides)
    return data


def test_create_one_returns_201_and_the_contract_shape(api, org):
    response = api.post(URL, payload(org, activity_id="act-10021"), format="json")
    assert response.status_code == 201
    assert response.json() == {
        "activity_id": "act-10021",
        "org_id": "org-bufdir-42",
        "activity_type": "family_guidance",
        "recorded_at": "2026-01-15T10:30:00Z",
        "participant_count": 4,
        "location": "Oslo",
        "status": "completed",
        "duration_minutes": None,
        "in_person": None,
    }


def test_activity_id_is_generated_when_not_given(api, org):
    body = api.post(URL, payload(org), format="json").json()
    assert body["activity_id"].startswith("act-")
    assert Activity.objects.get(activity_id=body["activity_id"]).org == org


def test_offsets_are_stored_as_the_same_instant_and_shown_in_utc(api, org):
    body = api.post(URL, payload(org, recorded_at="2026-07-01T02:00:00.5+02:00"), format="json").json()
    assert body["recorded_at"] == "2026-07-01T00:00:00.500000Z"


def test_create_a_list_in_one_request(api, org, other_org):
    items = [payload(org, activity_id="act-1"), payload(other_org, activity_id="act-2")]
    response = api.post(URL, items, format="json")
    assert response.status_code == 201
    assert [a["activity_id"] for a in response.json()] == ["act-1", "act-2"]
    assert Activity.objects.count() == 2


def test_a_list_with_one_bad_item_writes_nothing(api, org):
    items = [payload(org, activity_id="act-1"), payload(org, recorded_at="2026-01-15T10:30:00")]
    response = api.post(URL, items, format="json")
    assert response.status_code == 400
    assert "recorded_at" in str(response.json()["errors"])
    assert Activity.objects.count() == 0


def test_duplicate_ids_within_a_list_write_nothing(api, org):
    response = api.post(URL, [payload(org, activity_id="act-1"), payload(org, activity_id="act-1")], format="json")
    assert response.status_code == 400
    assert Activity.objects.count() == 0


def test_empty_and_oversized_lists_are_rejected(api, org):
    assert api.post(URL, [], format="json").status_code == 400
    assert api.post(URL, [payload(org)] * 1001, format="json").status_code == 400
    assert Activity.objects.count() == 0


def test_unknown_organisation_is_a_400_naming_org_id(api, db):
    class Ghost:
        org_id = "org-does-not-exist"

    response = api.post(URL, payload(Ghost), format="json")
    assert response.status_code == 400
    assert "org_id" in response.json()["errors"]


def test_existing_activity_id_is_a_400(api, org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z", activity_id="act-1")
    response = api.post(URL, payload(org, activity_id="act-1"), format="json")
    assert response.status_code == 400
    assert "activity_id" in response.json()["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("participant_count", -1),
        ("participant_count", 2**64),
        ("participant_count", "many"),
        ("status", "done"),
        ("activity_type", "not a slug"),
        ("recorded_at", "2026-01-15"),
        ("recorded_at", 1700000000),
        ("location", "x" * 201),
        ("location", "Oslo\x00"),
        ("activity_id", "act/1"),
    ],
)
def test_bad_fields_are_400s_naming_the_field(api, org, field, value):
    response = api.post(URL, payload(org, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Activity.objects.count() == 0


def test_retrieve_by_activity_id(api, org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z", activity_id="act-10021")
    response = api.get(f"{URL}/act-10021")
    assert response.status_code == 200
    assert response.json()["activity_id"] == "act-10021"


def test_retrieve_unknown_is_a_404(api, db):
    assert api.get(f"{URL}/act-nope").status_code == 404


def test_patch_changes_fields_and_keeps_the_rest(api, org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z", activity_id="act-1", location="Oslo")
    response = api.patch(f"{URL}/act-1", {"status": "cancelled"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["location"] == "Oslo"


def test_put_can_move_an_activity_to_another_organisation(api, org, other_org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z", activity_id="act-1")
    response = api.put(f"{URL}/act-1", payload(other_org, activity_id="act-1"), format="json")
    assert response.status_code == 200
    assert Activity.objects.get(activity_id="act-1").org == other_org


def test_activity_id_cannot_be_changed(api, org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z", activity_id="act-1")
    response = api.patch(f"{URL}/act-1", {"activity_id": "act-2"}, format="json")
    assert response.status_code == 400
    assert Activity.objects.filter(activity_id="act-1").exists()


def test_delete_answers_with_the_id(api, org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z", activity_id="act-1")
    response = api.delete(f"{URL}/act-1")
    assert response.status_code == 200
    assert response.json() == {"deleted": True, "id": "act-1"}
    assert not Activity.objects.exists()
    assert api.delete(f"{URL}/act-1").status_code == 404


class TestListFilters:
    @pytest.fixture
    def activities(self, org, other_org, make_activity):
        make_activity(org, "2026-01-01T00:00:00Z", activity_id="a-start", activity_type="peer_support")
        make_activity(org, "2026-03-31T23:59:59.5Z", activity_id="a-last-second", status="planned")
        make_activity(org, "2026-04-01T00:00:00Z", activity_id="a-after", location="Bergen")
        make_activity(other_org, "2026-02-01T00:00:00Z", activity_id="b-other")

    def ids(self, api, **params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.content
        return [a["activity_id"] for a in response.json()["data"]]

    def test_org_filter_keeps_organisations_apart(self, api, activities):
        assert self.ids(api, org_id="org-bufdir-7") == ["b-other"]
        assert "b-other" not in self.ids(api, org_id="org-bufdir-42")

    def test_range_end_second_is_inclusive(self, api, activities):
        got = self.ids(api, org_id="org-bufdir-42", start="2026-01-01T00:00:00Z", end="2026-03-31T23:59:59Z")
        assert got == ["a-start", "a-last-second"]

    def test_bare_dates_filter_whole_oslo_days(self, api, activities):
        # 2026-01-01 00:00Z is 01:00 in Oslo on 1 January: inside. 2026-03-31 23:59:59.5Z
        # is already 01:59 on 1 April in Oslo (summer time): outside a range ending 31 March.
        assert self.ids(api, org_id="org-bufdir-42", start="2026-01-01", end="2026-03-31") == ["a-start"]
        assert self.ids(api, org_id="org-bufdir-42", start="2026-04-01", end="2026-04-01") == [
            "a-last-second",
            "a-after",
        ]

    def test_type_status_and_location_filters(self, api, activities):
        assert self.ids(api, activity_type="peer_support") == ["a-start"]
        assert self.ids(api, status="planned") == ["a-last-second"]
        assert self.ids(api, location="Bergen") == ["a-after"]

    @pytest.mark.parametrize(
        ("param", "value"), [("start", "2026-01-01T00:00:00"), ("end", "soon"), ("status", "done")]
    )
    def test_bad_filters_are_400s_naming_the_parameter(self, api, activities, param, value):
        response = api.get(URL, {param: value})
        assert response.status_code == 400
        assert param in response.json()["errors"]

    def test_list_is_ordered_by_time_then_id(self, api, org, make_activity):
        at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        for activity_id in ["c", "a", "b"]:
            make_activity(org, at, activity_id=activity_id)
        assert self.ids(api, start="2026-05-01T00:00:00Z", end="2026-05-01T00:00:00Z") == ["a", "b", "c"]


@pytest.mark.parametrize("bad", ["act%00x", "a/b", "-leading-dash", "x" * 65])
def test_ids_outside_the_id_alphabet_are_404_without_a_query(api, db, bad, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api.get(f"{URL}/{bad}").status_code == 404


def test_nul_byte_in_org_id_is_a_400_not_a_database_error(api, db):
    response = api.post(URL, payload(type("O", (), {"org_id": "org\x00x"})), format="json")
    assert response.status_code == 400
    assert "org_id" in response.json()["errors"]
