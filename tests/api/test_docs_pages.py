"""The API docs pages (Swagger UI at /api/docs/, ReDoc at /api/redoc/) load nothing from
another host: no CDN, no web fonts (the service runs without internet)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.browser import chrome, needs_chromium
from tests.record_counts.server import DaphneServer

PAGES = ["/api/docs/", "/api/redoc/"]


class _References(HTMLParser):
    """Every URL a page refers to in an attribute (src, href, ...) or in a url(...) in CSS."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in {"src", "href", "action", "srcset", "data"} and v]

    def handle_data(self, data: str) -> None:
        self.urls += [part.split(")")[0].strip("'\" ") for part in data.split("url(")[1:]]
        self.urls += [word for word in data.split() if "//" in word and word.startswith(("http:", "https:", "'//"))]


@pytest.mark.parametrize("path", PAGES)
def test_docs_page_refers_to_no_other_host(db, path):
    response = Client(SERVER_NAME="localhost").get(path)
    assert response.status_code == 200
    html = response.content.decode()
    parser = _References()
    parser.feed(html)
    assert parser.urls, "the page should load its scripts"
    foreign = [url for url in parser.urls if urlsplit(url).netloc]
    assert not foreign, foreign
    assert "googleapis" not in html and "gstatic" not in html
    # What it loads is served by us: static files of an installed package.
    static = [url for url in parser.urls if url.startswith("/static/")]
    assert static
    for url in static:
        assert finders.find(url.removeprefix("/static/")), url


@pytest.fixture
def server() -> Iterator[DaphneServer]:
    server = DaphneServer(env={"WHITENOISE_USE_FINDERS": "1"})  # tests do not collectstatic
    yield server
    server.stop()


@needs_chromium
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "rendered"), [("/api/redoc/", ".api-content"), ("/api/docs/", ".opblock")])
def test_docs_page_renders_in_a_browser_from_our_own_origin_only(server, path, rendered):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # The network, as DevTools sees it.
    browser = chrome(args=(), capabilities={"goog:loggingPrefs": {"performance": "ALL"}})
    try:
        browser.get(server.url + path)
        WebDriverWait(browser, 20).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, rendered), f"{path} did not render the schema"
        )
        time.sleep(0.5)  # late images (ReDoc's sidebar)
        network = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
    finally:
        browser.quit()
    sent = {m["params"]["requestId"]: m["params"]["request"]["url"] for m in network if m["method"] == _SENT}
    assert server.url + "/api/schema/" in sent.values()
    blocked = {m["params"]["requestId"] for m in network if m["method"] == _FAILED and m["params"].get("blockedReason")}
    # ReDoc's bundle asks for Redocly's logo on their CDN; the page's policy stops it in
    # the browser, before anything leaves the machine.
    left = [
        url
        for rid, url in sent.items()
        if url.startswith("http") and not url.startswith(server.url) and rid not in blocked
    ]
    assert not left, left


_SENT, _FAILED = "Network.requestWillBeSent", "Network.loadingFailed"
