"""The dashboard in headless Chromium against a real daphne server: the chart renders,
and the live number follows an activity added through the API."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from activities import services
from activities.coordinators import ensure_coordinators_group
from activities.models import Organization
from tests.browser import ADMIN_SERVER_ENV, chrome, needs_chromium
from tests.record_counts.server import DaphneServer

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True),  # the server, another process, reads the data
]
PASSWORD = "browser-test-password-1"


@pytest.fixture
def server() -> Iterator[DaphneServer]:
    server = DaphneServer(env=ADMIN_SERVER_ENV)
    yield server
    server.stop()


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    driver = chrome()
    yield driver
    driver.quit()


@pytest.fixture
def coordinator_org(db) -> Organization:
    org = Organization.objects.create(org_id="org-browser", name="Browser Test Org")
    Organization.objects.create(org_id="org-hidden", name="Not Theirs")
    user = get_user_model().objects.create_user("kari-browser", password=PASSWORD, is_staff=True)
    user.groups.add(ensure_coordinators_group())  # also after a transactional test flushed it
    org.coordinators.add(user)
    now = timezone.now()
    # This year, so inside the current period, in at most three months whatever the date:
    # the two recent ones share an instant (1 and 2 days back straddled a month on its 1st
    # and 2nd, which drew a fourth bar).
    ago = (dt.timedelta(seconds=1), dt.timedelta(seconds=1), dt.timedelta(days=40), dt.timedelta(days=70))
    for back in ago:
        services.activity_create(
            data=services.ActivityData(org=org, activity_type="peer_support", recorded_at=max(now - back, _new_year()))
        )
    return org


def _new_year() -> dt.datetime:
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime(today.year, 1, 1, 0, 0, 1))


MONTHS_NB = ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"]


def _first_month() -> dt.date:
    first = timezone.localdate().replace(day=1)
    for _ in range(23):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def test_chart_renders_and_live_number_follows_the_api(server, browser, coordinator_org):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/admin/login/?next=/admin/dashboard/")
    browser.find_element(By.NAME, "username").send_keys("kari-browser")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    try:
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/admin/dashboard/"))
    except Exception:
        raise AssertionError(f"login failed: {browser.current_url}\n{browser.page_source[-3000:]}") from None

    # The URL changes when the navigation starts, before the new page is parsed: wait for
    # the page itself (its live-number script comes last) before looking at its panels.
    WebDriverWait(browser, 10).until(
        lambda d: (
            d.execute_script("return document.readyState") == "complete"
            and d.find_elements(By.CSS_SELECTOR, "script[src*='live-count']")
        ),
        "the dashboard page did not finish loading",
    )
    panels = browser.find_elements(By.CSS_SELECTOR, "section.panel")
    assert [p.get_attribute("data-org") for p in panels] == ["org-browser"]  # not the other org
    bars = panels[0].find_elements(By.CSS_SELECTOR, "svg.report-chart rect.bar[data-period]")
    assert len(bars) == 24
    drawn = [b for b in bars if b.size["height"] > 0]  # laid out by the browser, not just in the HTML
    assert 1 <= len(drawn) <= 3
    assert sum(int(b.get_attribute("data-count")) for b in bars) == 4
    # Every month by its short Norwegian name along the x axis, the first month's year
    # under it, axis titles and a legend, and values on the y axis and over the bars,
    # readable without hovering.
    chart = panels[0].find_element(By.CSS_SELECTOR, "svg.report-chart")
    months = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text.x-label") if t.is_displayed()]
    first = _first_month()
    assert len(months) == 24 and months[0] == MONTHS_NB[first.month - 1]
    years = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text.x-year") if t.is_displayed()]
    assert years and years[0] == str(first.year)
    titles = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text.axis-title") if t.is_displayed()]
    assert sorted(titles) == ["Aktiviteter", "Måned"]
    legend = chart.find_elements(By.CSS_SELECTOR, ".legend-entry text")
    assert [t.text for t in legend] == ["Aktiviteter"]
    texts = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text") if t.is_displayed()]
    assert "0" in texts  # the y axis starts at 0

    live = panels[0].find_element(By.CSS_SELECTOR, "[data-live-count]")
    state = panels[0].find_element(By.CSS_SELECTOR, "[data-live-state]")
    WebDriverWait(browser, 10).until(lambda d: state.text == "(direkte)", f"stream state: {state.text}")  # "(live)"
    assert live.text == "4"

    response = httpx.post(
        server.url + "/api/v1/activities",
        json={
            "org_id": "org-browser",
            "activity_type": "family_guidance",
            "recorded_at": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    WebDriverWait(browser, 5, poll_frequency=0.1).until(lambda d: live.text == "5", f"live number: {live.text}")
    assert browser.find_element(By.CSS_SELECTOR, "[data-live-count]").get_attribute("data-updated")


class _FlakyStream(http.server.BaseHTTPRequestHandler):
    """A page with one live number whose stream answers 503 twice, then a count."""

    script = (settings.BASE_DIR / "static" / "dashboard" / "live-count.js").read_bytes()
    stream_calls = 0

    def do_GET(self) -> None:
        if self.path == "/":
            self._send(200, "text/html", _PAGE)
        elif self.path == "/live-count.js":
            self._send(200, "text/javascript", self.script)
        elif self.path.startswith("/stream"):
            type(self).stream_calls += 1
            if type(self).stream_calls <= 2:
                self._send(503, "application/problem+json", b'{"status": 503}')
            else:
                self._send(200, "text/event-stream", b'data: {"record_count": 42, "timestamp": "t"}\n\n')
        else:
            self._send(404, "text/plain", b"")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


_PAGE = (
    b'<!doctype html><p><span data-live-count data-stream="/stream">7</span>'
    b' <span data-live-state>(connecting)</span></p><script src="/live-count.js"></script>'
)


def test_live_number_reconnects_after_the_stream_answers_503(browser):
    """EventSource gives up on an error status; the dashboard's script opens a new one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _FlakyStream.stream_calls = 0
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FlakyStream)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        browser.get(f"http://127.0.0.1:{httpd.server_address[1]}/")
        live = browser.find_element(By.CSS_SELECTOR, "[data-live-count]")
        # Two 503s: retries after 2 s and 4 s, so the count arrives after about 6 s.
        WebDriverWait(browser, 20, poll_frequency=0.2).until(lambda d: live.text == "42", f"live: {live.text}")
        assert _FlakyStream.stream_calls >= 3
    finally:
        httpd.shutdown()
        httpd.server_close()
