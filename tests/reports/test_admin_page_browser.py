"""The admin report page in headless Chromium against a real daphne server: the chart is
drawn, a download gives the report's CSV, and another organisation's report is refused."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tests.activities.test_dashboard_browser import (  # the same server, browser and data
    PASSWORD,
    browser,  # noqa: F401 (a fixture)
    coordinator_org,  # noqa: F401 (a fixture)
    server,  # noqa: F401 (a fixture)
)
from tests.browser import needs_chromium

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True),  # the server, another process, reads the data
]


def test_chart_renders_a_download_works_and_other_organisations_are_refused(server, browser, coordinator_org):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = "/admin/reports/org-browser/?preset=this_year&interval=month"
    browser.get(server.url + "/admin/login/?next=" + page.replace("?", "%3F").replace("&", "%26"))
    browser.find_element(By.NAME, "username").send_keys("kari-browser")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(
        lambda d: (
            "/admin/reports/org-browser/" in d.current_url and d.find_elements(By.CSS_SELECTOR, "svg.report-chart")
        ),
        "the report page did not open",
    )
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.report-chart rect.bar[data-period]")
    assert len(bars) == 12
    assert sum(int(b.get_attribute("data-count")) for b in bars) == 4
    assert any(b.size["height"] > 0 for b in bars)  # laid out by the browser, not just in the HTML
    texts = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "svg.report-chart text") if t.is_displayed()]
    assert "0" in texts and "jan" in texts and "des" in texts  # the y axis and the month labels (Norwegian)
    assert "Aktiviteter" in texts and "Måned" in texts  # the legend and the axis titles

    link = browser.find_element(By.CSS_SELECTOR, "a[href*='download=csv']")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    download = httpx.get(link.get_attribute("href"), cookies=cookies, timeout=10)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="report-org-browser-')
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == 12 and sum(int(r["activity_count"]) for r in rows) == 4

    browser.get(server.url + "/admin/reports/org-hidden/")
    assert not browser.find_elements(By.CSS_SELECTOR, "svg.report-chart")
    assert httpx.get(server.url + "/admin/reports/org-hidden/", cookies=cookies, timeout=10).status_code == 404
