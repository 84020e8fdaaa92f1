"""CORS in headless Chromium: pages served from two other origins use a real daphne.

One origin is a stranger: its EventSource on the stream stays open and gets counts, and
its reads work, but its write is refused by the browser (the preflight gets no CORS
answer, so the POST is never sent). The other is in CORS_WRITE_ORIGINS: its write
succeeds, and the stranger's stream shows the new count.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from activities.models import Activity, Organization
from tests.browser import chrome, needs_chromium
from tests.record_counts.server import DaphneServer

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True),  # the server, another process, reads the data
]
QUERY = "org_id=org-cors&start=2026-01-01T00:00:00Z&end=2026-12-31T23:59:59Z"
ACTIVITY = {"org_id": "org-cors", "activity_type": "peer_support", "recorded_at": "2026-05-01T10:00:00Z"}


class _BlankPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>another origin</title><p>app</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_origins() -> Iterator[tuple[str, str]]:
    """Two static sites on other ports: (stranger, listed)."""
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage) for _ in range(2)]
    for httpd in servers:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield tuple(f"http://127.0.0.1:{httpd.server_address[1]}" for httpd in servers)  # type: ignore[misc]
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(page_origins) -> Iterator[DaphneServer]:
    server = DaphneServer(env={"CORS_WRITE_ORIGINS": page_origins[1]})
    yield server
    server.stop()


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    driver = chrome(args=())
    driver.set_script_timeout(15)
    yield driver
    driver.quit()


@pytest.fixture
def org(db) -> Organization:
    org = Organization.objects.create(org_id="org-cors", name="CORS")
    Activity.objects.create(org=org, activity_type="peer_support", recorded_at="2026-02-01T10:00:00Z")
    return org


# Resolves to "status <n>" when the page may read the answer, "refused: ..." when the
# browser blocks it (fetch rejects with a TypeError, whatever the server would have said).
FETCH = """
const [url, method, body, done] = arguments;
fetch(url, {method, headers: {"Content-Type": "application/json"}, body})
  .then(r => done("status " + r.status), e => done("refused: " + e));
"""


def test_cross_origin_event_source_reads_and_only_a_listed_origin_writes(server, browser, page_origins, org):
    from selenium.webdriver.support.ui import WebDriverWait

    stranger, listed = page_origins
    stream_url = f"{server.url}/api/v1/period-record-counts/stream?{QUERY}"
    browser.get(stranger + "/")
    browser.execute_script(
        """
        window.counts = []; window.errors = 0;
        window.es = new EventSource(arguments[0]);
        es.onmessage = e => counts.push(JSON.parse(e.data).record_count);
        es.onerror = () => errors++;
        """,
        stream_url,
    )
    WebDriverWait(browser, 10, poll_frequency=0.1).until(
        lambda d: d.execute_script("return counts.length") >= 1,
        "no count event reached the cross-origin EventSource",
    )
    assert browser.execute_script("return counts") == [1]
    assert browser.execute_script("return es.readyState") == 1  # OPEN, not CLOSED (2)
    assert browser.execute_script("return errors") == 0

    read = browser.execute_async_script(FETCH, f"{server.url}/api/v1/activities?org_id=org-cors", "GET", None)
    assert read == "status 200"

    refused = browser.execute_async_script(FETCH, f"{server.url}/api/v1/activities", "POST", json.dumps(ACTIVITY))
    assert refused.startswith("refused: TypeError"), refused
    assert Activity.objects.filter(org=org).count() == 1  # never sent: the preflight was refused

    stranger_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(listed + "/")
    written = browser.execute_async_script(FETCH, f"{server.url}/api/v1/activities", "POST", json.dumps(ACTIVITY))
    assert written == "status 201"
    assert Activity.objects.filter(org=org).count() == 2

    browser.switch_to.window(stranger_tab)
    WebDriverWait(browser, 5, poll_frequency=0.1).until(
        lambda d: d.execute_script("return counts") == [1, 2], "the stranger's stream did not follow the write"
    )
    assert browser.execute_script("return es.readyState") == 1
