"""One rule per activity field: the API, the admin form and the importer refuse the same
values with the same message (activities.fields)."""

from __future__ import annotations

import pytest

from activities.admin import ActivityForm
from activities.fields import CLEANERS, FieldProblem
from activities.importing import RowValidator

GOOD = {
    "activity_id": "act-1",
    "activity_type": "peer_support",
    "recorded_at": "2026-02-01T10:00:00Z",
    "participant_count": "3",
    "location": "Oslo",
    "status": "completed",
}
BAD = [
    ("activity_type", "not a slug"),
    ("activity_type", "x" * 65),
    ("recorded_at", "2026-02-01"),
    ("recorded_at", "2026-02-01T10:00:00"),
    ("participant_count", "-1"),
    ("participant_count", str(2**31)),
    ("location", "x" * 201),
    ("status", "done"),
    ("activity_id", "-starts-with-a-dash"),
]


def message(name, value):
    with pytest.raises(FieldProblem) as exc:
        CLEANERS[name](value)
    return str(exc.value)


@pytest.mark.parametrize(("name", "value"), BAD)
def test_the_importer_says_what_the_rule_says(org, name, value):
    row = {**GOOD, "org_id": org.org_id, name: value}
    assert RowValidator().validate(2, row) == f"{name}: {message(name, value)}"


# The admin enters recorded_at as a local date and time in two boxes (no offset to get
# wrong) and never edits activity_id after creation.
@pytest.mark.parametrize(("name", "value"), [b for b in BAD if b[0] not in {"activity_id", "recorded_at"}])
def test_the_admin_form_says_what_the_rule_says(org, name, value):
    data = {**GOOD, "org": org.pk, "recorded_at_0": "2026-02-01", "recorded_at_1": "11:00:00", name: value}
    form = ActivityForm(data=data)
    assert not form.is_valid()
    assert name in form.errors


@pytest.mark.parametrize(("name", "value"), BAD)
def test_the_api_refuses_the_same_values(api, org, name, value):
    body = {**GOOD, "org_id": org.org_id, name: value}
    if name == "participant_count":
        body[name] = int(value)
    response = api.post("/api/v1/activities", body, format="json")
    assert response.status_code == 400
    assert name in response.json()["errors"]


def test_good_values_pass_every_path(org, api):
    assert not isinstance(RowValidator().validate(2, {**GOOD, "org_id": org.org_id}), str)
    response = api.post("/api/v1/activities", {**GOOD, "org_id": org.org_id, "participant_count": 3}, format="json")
    assert response.status_code == 201, response.json()


def test_missing_optional_values_get_their_defaults():
    assert CLEANERS["participant_count"](None) == 0
    assert CLEANERS["status"]("") == "completed"
    assert CLEANERS["location"](None) == ""
    assert CLEANERS["activity_id"]("") is None


@pytest.mark.parametrize("name", ["activity_type", "location", "status", "activity_id", "recorded_at"])
def test_a_nul_byte_is_refused_by_the_one_rule_on_every_path(org, api, name):
    value = GOOD[name][:3] + "\x00" + GOOD[name][3:]
    assert message(name, value) == "null characters are not allowed"
    assert RowValidator().validate(2, {**GOOD, "org_id": org.org_id, name: value}) == (
        f"{name}: null characters are not allowed"
    )
    assert api.post("/api/v1/activities", {**GOOD, "org_id": org.org_id, "participant_count": 3, name: value},
                    format="json").status_code == 400  # fmt: skip


def test_a_nul_byte_in_org_id_is_an_unknown_organisation_in_the_importer(org):
    problem = RowValidator().validate(2, {**GOOD, "org_id": org.org_id + "\x00"})
    assert isinstance(problem, str) and problem.startswith("org_id: unknown organisation")
