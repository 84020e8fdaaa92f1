"""Admin speaks Norwegian unless the user picks English; the APIs always speak English;
rules broken in a form read as sentences, never as a constraint's name."""

from __future__ import annotations

import datetime as dt
import gettext
import re
import shutil
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.models import CheckConstraint, UniqueConstraint
from django.urls import reverse

from aggregations.models import AggregationSnapshot
from record_counts.models import CountSnapshot

UTC = dt.UTC
CATALOGUE = settings.BASE_DIR / "locale" / "nb" / "LC_MESSAGES"


def test_admin_is_norwegian_whatever_the_browser_asks(coordinator_client):
    response = coordinator_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert '<html lang="nb"' in html
    assert "Logg ut" in html  # Django's own string
    assert "Aktivitetsoversikt" in html  # ours
    assert response["Content-Language"] == "nb"
    assert "Cookie" in response["Vary"]


def test_english_is_chosen_in_the_header_and_kept(coordinator_client):
    response = coordinator_client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    html = coordinator_client.get(reverse("admin:index")).content.decode()
    assert '<html lang="en"' in html
    assert "Log out" in html and "Activity dashboard" in html
    coordinator_client.post(reverse("set_language"), {"language": "nb", "next": "/admin/"})
    assert "Logg ut" in coordinator_client.get(reverse("admin:index")).content.decode()


def test_outside_a_request_the_language_is_english():
    from django.utils import translation

    translation.deactivate()  # as a management command or the cron job starts
    assert translation.get_language() == "en"
    assert str(AggregationSnapshot._meta.verbose_name) == "aggregation snapshot"


def test_an_unknown_admin_language_stops_the_process_at_start():
    from tests.project.test_settings import load_settings

    assert "ADMIN_LANGUAGE must be one of nb, en" in load_settings(DEBUG="1", ADMIN_LANGUAGE="sv").stderr


def test_the_language_selector_is_on_the_login_page_too(client):
    html = client.get(reverse("admin:login")).content.decode()
    assert 'id="language-form"' in html
    assert 'value="en" lang="en"' in html and ">English</button>" in html


def test_view_site_leads_to_the_dashboard(coordinator_client):
    html = coordinator_client.get(reverse("admin:index")).content.decode()
    assert f'<a href="{reverse("dashboard")}">Vis nettsted</a>' in html
    assert coordinator_client.get(reverse("dashboard")).status_code == 200


def test_dates_have_seconds_and_numbers_norwegian_separators(coordinator_client, org):
    AggregationSnapshot.objects.create(
        org=org,
        range_start=dt.datetime(2026, 3, 31, 22, tzinfo=UTC),
        range_end=dt.datetime(2026, 6, 30, 21, 59, 59, tzinfo=UTC),  # 30 June, 23:59:59 in Oslo (summer time)
        activity_count=1234567,
        snapshot_at=dt.datetime(2026, 12, 1, 2, 13, 0, tzinfo=UTC),
    )
    html = coordinator_client.get(reverse("admin:aggregations_aggregationsnapshot_changelist")).content.decode()
    assert "01.04.2026 00:00:00" in html
    assert "30.06.2026 23:59:59" in html
    assert "01.12.2026 03:13:00" in html
    assert "1\xa0234\xa0567" in html


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_apis_answer_in_english_whatever_the_request_asks(api, org, language):
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    headers = {"HTTP_ACCEPT_LANGUAGE": "nb-NO,nb;q=0.9"}
    response = api.post("/api/v1/bufdir-aggregations", {"org_id": org.org_id}, format="json", **headers)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()  # DRF's own message, not "Feltet er påkrevd."
    missing = api.get("/api/v1/bufdir-aggregations/agg-snap-999", **headers)
    assert missing.status_code == 404
    assert "Content-Language" not in missing
    assert missing.json()["detail"] == "Not found."  # DRF's, not "Ikke funnet."


def test_every_constraint_has_a_sentence_for_the_person_who_broke_it():
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint | UniqueConstraint):
                message = str(constraint.violation_error_message)
                assert constraint.name not in message, (model, constraint.name)
                assert message.endswith("."), (model, constraint.name)


def test_a_period_ending_before_it_starts_says_so_in_norwegian(coordinator_client, org):
    url = reverse("admin:aggregations_submittedperiod_add")
    response = coordinator_client.post(url, {"org": org.pk, "period_start": "31.03.2026", "period_end": "01.03.2026"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Perioden kan ikke slutte før den begynner.") == 1  # on the field, once
    assert "subperiod_range_ordered" not in html


def test_a_snapshot_range_ending_before_it_starts_says_so_in_norwegian(admin_client, org):
    url = reverse("admin:aggregations_aggregationsnapshot_add")
    data = {"org": org.pk, "range_start_0": "31.03.2026", "range_start_1": "00:00:00",
            "range_end_0": "01.03.2026", "range_end_1": "23:59:59"}  # fmt: skip
    html = admin_client.post(url, data).content.decode()
    assert "Tidsrommet kan ikke slutte før det begynner." in html
    assert "aggsnap_range_ordered" not in html


def test_a_count_snapshot_of_a_range_already_held_says_so_in_norwegian(admin_client, org):
    CountSnapshot.objects.create(
        org=org,
        range_start=dt.datetime(2026, 2, 28, 23, tzinfo=UTC),
        range_end=dt.datetime(2026, 3, 31, 21, 59, 59, tzinfo=UTC),
        snapshot_at=dt.datetime(2026, 4, 1, tzinfo=UTC),
    )
    url = reverse("admin:record_counts_countsnapshot_add")
    data = {"org": org.pk, "range_start_0": "01.03.2026", "range_start_1": "00:00:00",
            "range_end_0": "31.03.2026", "range_end_1": "23:59:59"}  # fmt: skip
    html = admin_client.post(url, data).content.decode()
    assert "Organisasjonen har allerede en telling av dette tidsrommet." in html
    assert "countsnap_unique_range" not in html
    assert CountSnapshot.objects.count() == 1


def _po_entries(path=CATALOGUE / "django.po") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """msgid (plural entries: the singular; with a context, ``context\\x04msgid`` as gettext
    keys it) → msgstr (plural: the first form) of a .po."""
    text = path.read_text(encoding="utf-8")
    entries = {}
    for block in text.split("\n\n")[1:]:
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = eval(match.group(2))  # noqa: S307 (a C string literal from our own file)
            elif line.startswith('"') and current:
                fields[current] += eval(line)  # noqa: S307
        if "msgid" in fields:
            key = f"{fields['msgctxt']}\x04{fields['msgid']}" if "msgctxt" in fields else fields["msgid"]
            entries[key] = fields.get("msgstr", fields.get("msgstr[0]", ""))
    return entries


def test_the_catalogue_is_translated_and_its_compiled_file_is_current():
    """The .mo is committed (nothing needs gettext at run time): it must say what the .po says."""
    entries = _po_entries()
    assert len(entries) > 50
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for msgid, msgstr in entries.items():
        assert msgstr, f"untranslated: {msgid!r}"
        assert compiled.gettext(msgid) == msgstr, f"django.mo is stale for {msgid!r}: run compilemessages"
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", msgstr)), msgid


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext (.ci/run installs it)")
def test_every_string_of_ours_is_in_the_catalogue(tmp_path, settings, monkeypatch):
    """makemessages over a copy of the code finds nothing the catalogue lacks."""
    source = tmp_path / "src"
    skip = shutil.ignore_patterns(
        ".*", "*.sqlite3*", "staticfiles", "bench", "tests", "docs", "scripts", "deploy", "clients", "node_modules"
    )
    shutil.copytree(settings.BASE_DIR, source, ignore=skip)
    monkeypatch.chdir(source)
    settings.LOCALE_PATHS = [source / "locale"]
    call_command("makemessages", locale=["nb"], no_location=True, stdout=StringIO())
    po = source / "locale" / "nb" / "LC_MESSAGES" / "django.po"
    untranslated = [msgid for msgid, msgstr in _po_entries(po).items() if not msgstr]
    assert untranslated == [], "new strings: run makemessages -l nb, translate them, compilemessages"
    found = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in found, "a string changed: check its translation"
    assert "#~ msgid" not in found, "strings no longer used: run makemessages -l nb"
