"""Bad parameters of GET /api/v1/reports/scheme: a 400 problem naming the parameter."""

from __future__ import annotations

import pytest

from schemes.models import GrantScheme
from tests.schemes.conftest import SCHEME


@pytest.fixture
def scheme(make_scheme):  # type: ignore[no-untyped-def]
    return make_scheme()


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"scheme": "no-such-scheme", "year": "2026"}, "scheme"),
        ({"scheme": "", "year": "2026"}, "scheme"),
        ({"year": "2026"}, "scheme"),
        ({"scheme": "peer-support\x00", "year": "2026"}, "scheme"),
        ({"scheme": "peer-support", "year": "twenty"}, "year"),
        ({"scheme": "peer-support", "year": "1899"}, "year"),
        ({"scheme": "peer-support", "year": "2199"}, "year"),
        ({"scheme": "peer-support", "year": "2026", "start": "2026-01-01"}, "year"),
        ({"scheme": "peer-support"}, "year"),
        ({"scheme": "peer-support", "start": "2026-01-01"}, "end"),
        ({"scheme": "peer-support", "start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"scheme": "peer-support", "start": "2026-01-01T00:00:00", "end": "2026-01-31"}, "start"),
        ({"scheme": "peer-support", "start": "1800-01-01", "end": "2026-01-31"}, "start"),
        ({"scheme": "peer-support", "year": "2026", "version": "7"}, "version"),
        ({"scheme": "peer-support", "year": "2026", "version": "0"}, "version"),
        ({"scheme": "peer-support", "year": "2026", "version": "99999999999999999999"}, "version"),
        ({"scheme": "x" * 65, "year": "2026"}, "scheme"),
        ({"scheme": "peer-support", "year": "2026", "include": "everything"}, "include"),
        ({"scheme": "peer-support", "year": "2026", "format": "pdf"}, "format"),
        ({"scheme": "peer-support", "year": "2026", "include": "activities", "limit": "101"}, "limit"),
        ({"scheme": "peer-support", "year": "2026", "include": "activities", "page": "0"}, "page"),
        ({"scheme": "peer-support", "year": "2026", "colour": "blue"}, "colour"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, org, scheme, params, named):
    response = api.get(SCHEME, {"org_id": org.org_id, **params})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert named in response.json()["errors"], response.json()


@pytest.mark.parametrize("org_id", ["", "org-unknown", "not a slug"])
def test_an_unknown_organisation_is_a_400_naming_org_id(api, scheme, org_id):
    response = api.get(SCHEME, {"org_id": org_id, "scheme": "peer-support", "year": "2026"})
    assert response.status_code == 400
    assert "org_id" in response.json()["errors"]


def test_a_scheme_without_rules_is_a_400(api, org):
    GrantScheme.objects.create(code="empty", name="Empty")
    response = api.get(SCHEME, {"org_id": org.org_id, "scheme": "empty", "year": "2026"})
    assert response.status_code == 400
    assert "scheme" in response.json()["errors"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_errors_are_problem_json_whatever_the_format(api, org, scheme, fmt):
    response = api.get(SCHEME, {"org_id": org.org_id, "scheme": "nope", "year": "2026", "format": fmt})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
