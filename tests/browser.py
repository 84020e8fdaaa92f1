"""Headless Chromium for the browser tests: Debian's chromium and chromium-driver
(.ci/run installs them), one way to start a driver, one skip reason."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

needs_chromium = pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="needs Debian chromium and chromium-driver (.ci/run installs them)",
)

# Plain HTTP on loopback: the session cookie must not be Secure-only. Static files (the
# pages' scripts, admin CSS) from the apps, as tests do not collectstatic.
ADMIN_SERVER_ENV = {"SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "WHITENOISE_USE_FINDERS": "1"}


def chrome(args: Iterable[str] = ("--window-size=1280,900",), capabilities: dict[str, Any] | None = None) -> Any:
    """A headless Chromium driver (the caller quits it), with ``args`` added."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", *args):
        options.add_argument(arg)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
