"""The admin in Norwegian, in headless Chromium against a real daphne server: a
coordinator logs in, reads Norwegian labels, dates with seconds and Norwegian numbers,
sees no time-zone warning from a browser in Norway, and switches to English. Saves
docs/screenshots/admin-nb.png (docs/coordinators.md, "Language")."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from activities import services
from activities.coordinators import ensure_coordinators_group
from activities.models import Organization
from aggregations.models import AggregationSnapshot
from tests.browser import ADMIN_SERVER_ENV, chrome, needs_chromium
from tests.record_counts.server import DaphneServer

SCREENSHOT = settings.BASE_DIR / "docs" / "screenshots" / "admin-nb.png"

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True),  # the server, another process, reads the data
]
PASSWORD = "norsk-browser-password-1"
UTC = dt.UTC


@pytest.fixture
def server() -> Iterator[DaphneServer]:
    server = DaphneServer(env=ADMIN_SERVER_ENV)
    yield server
    server.stop()


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    # An English browser (Chromium's default Accept-Language is en-US): the admin is
    # Norwegian all the same until the user picks English.
    driver = chrome(["--lang=en-US"])
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    )
    # A coordinator's browser in Norway, whatever this machine's zone is.
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Europe/Oslo"})
    yield driver
    driver.quit()


@pytest.fixture
def coordinator_data(db) -> dict[str, object]:
    org = Organization.objects.create(org_id="org-norsk", name="Familievernet Tromsø")
    user = get_user_model().objects.create_user("kari-norsk", password=PASSWORD, is_staff=True)
    user.groups.add(ensure_coordinators_group())  # also after a transactional test flushed it
    org.coordinators.add(user)
    # 23:59:59 on 31 March 2026 in Oslo (summer time): the last second of the first quarter.
    activity = services.activity_create(
        data=services.ActivityData(
            activity_id="act-kvartal", org=org, activity_type="family_guidance",
            recorded_at=dt.datetime(2026, 3, 31, 21, 59, 59, tzinfo=UTC), participant_count=4,
        )
    )  # fmt: skip
    snapshot = AggregationSnapshot.objects.create(
        org=org,
        range_start=dt.datetime(2025, 12, 31, 23, tzinfo=UTC),  # 01.01.2026 00:00:00 in Oslo
        range_end=dt.datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC),  # 31.12.2026 23:59:59 in Oslo
        activity_count=12345,
        snapshot_at=dt.datetime(2026, 12, 1, 11, 13, 5, tzinfo=UTC),
    )
    return {"activity": activity, "snapshot": snapshot}


def _wait_for_page(browser):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_a_coordinator_reads_the_admin_in_norwegian_and_can_switch_to_english(
    server, browser, coordinator_data, tmp_path
):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/admin/login/")
    _wait_for_page(browser)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb"
    assert "Brukernavn" in browser.find_element(By.CSS_SELECTOR, "label[for=id_username]").text
    browser.find_element(By.NAME, "username").send_keys("kari-norsk")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url == server.url + "/admin/")
    _wait_for_page(browser)
    header = browser.find_element(By.ID, "user-tools")
    assert "logg ut" in header.text.lower()  # the header is upper case by CSS
    view_site = header.find_element(By.TAG_NAME, "a")
    assert view_site.text.lower() == "vis nettsted"  # "View site"
    assert view_site.get_attribute("href") == server.url + "/admin/dashboard/"  # a real page, not a 404
    assert "Aktivitetsoversikt" in browser.find_element(By.ID, "content").text  # our own string, translated

    # The list: Oslo time with seconds, a range that ends at :59, thousands with a space.
    browser.execute_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    browser.get(server.url + "/admin/aggregations/aggregationsnapshot/")
    _wait_for_page(browser)
    row = browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr").text
    assert "01.01.2026 00:00:00" in row
    assert "31.12.2026 23:59:59" in row
    assert "12 345" in row  # a non-breaking space, as Norwegian writes thousands
    assert "01.12.2026 12:13:05" in row
    headings = browser.find_element(By.CSS_SELECTOR, "#result_list thead").text.lower()
    assert "antall aktiviteter" in headings and "til" in headings
    # docs/screenshots/admin-nb.png is this page: UPDATE_SCREENSHOTS=1 retakes it there.
    shot = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / SCREENSHOT.name
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    # A change form with date and time inputs: Norwegian values with seconds, and no
    # "you are 1 hour behind server time" from a browser in Norway's time zone.
    activity = coordinator_data["activity"]
    browser.get(f"{server.url}/admin/activities/activity/{activity.pk}/change/")
    _wait_for_page(browser)
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".datetimeshortcuts"))
    assert browser.find_element(By.NAME, "recorded_at_0").get_attribute("value") == "31.03.2026"
    assert browser.find_element(By.NAME, "recorded_at_1").get_attribute("value") == "23:59:59"
    assert "Nå" in browser.find_element(By.CSS_SELECTOR, ".field-recorded_at").text  # the "Now" shortcut
    assert browser.find_elements(By.CSS_SELECTOR, ".timezonewarning") == []

    # Outside Norway the note is true (the fields are Norwegian time), so it stays.
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "UTC"})
    browser.refresh()
    _wait_for_page(browser)
    warning = WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".timezonewarning"))
    assert "1 time bak server-tid" in warning[0].text  # "1 hour behind server time"
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Europe/Oslo"})

    # English, chosen in the header, stays chosen.
    browser.get(server.url + "/admin/aggregations/aggregationsnapshot/")
    _wait_for_page(browser)
    browser.find_element(By.CSS_SELECTOR, "#language-form button[value=en]").click()
    # The old page's elements go stale as the new one loads: look again until it is there.
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "the page did not turn English"
    )
    _wait_for_page(browser)
    assert browser.current_url == server.url + "/admin/aggregations/aggregationsnapshot/"
    row = browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr").text
    assert "2026-12-31 23:59:59" in row
    assert "12,345" in row
    browser.get(server.url + "/admin/")
    assert "view site" in browser.find_element(By.ID, "user-tools").text.lower()
