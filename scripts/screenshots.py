"""Screenshots for docs/coordinators.md, taken from the running app.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds a throwaway SQLite database with the demo data (``seed_demo``), a coordinator of
two organisations and one activity added after a submitted period (so it shows drift),
serves it with daphne on a free loopback port, and saves 1280x800 PNGs from headless
Chromium (Debian ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
USERNAME, PASSWORD = "kari", "screenshot-password-1"

SETUP = f"""
import datetime as dt
from django.contrib.auth import get_user_model
from django.utils import timezone
from activities import services
from activities.coordinators import coordinator_create
from activities.models import Organization

user, _ = coordinator_create(username={USERNAME!r}, org_ids=["org-bufdir-42", "org-bufdir-7"])
user.set_password({PASSWORD!r})
user.save()
# An activity corrected into last year's submitted period: that period now drifts.
org = Organization.objects.get(org_id="org-bufdir-42")
last_year = timezone.localdate().year - 1
services.activity_create(data=services.ActivityData(
    activity_id="act-late-correction", org=org, activity_type="family_guidance",
    recorded_at=timezone.make_aware(dt.datetime(last_year, 11, 14, 13, 0)), participant_count=3, location="Oslo",
))
"""

UPLOAD = (
    "activity_id,org_id,activity_type,recorded_at,participant_count,location,status\n"
    "act-upload-1,org-bufdir-42,family_guidance,{year}-03-04T10:00:00+01:00,4,Oslo,completed\n"
    "act-upload-2,org-bufdir-42,peer_support,{year}-03-05T18:30:00+01:00,9,Oslo,planned\n"
    "act-upload-3,org-bufdir-113,peer_support,{year}-03-06T12:00:00+01:00,2,Tromsø,completed\n"
    "act-upload-4,org-bufdir-7,group_session,{year}-03-07,6,Bergen,done\n"
)

BIG_ROWS = "".join(
    f"act-big-{n},org-bufdir-42,peer_support,2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}T10:00:00+01:00,2,Oslo,completed\n"
    for n in range(150_000)
)


# The report page's screenshot: this grant year by month and type, against last year.
REPORT_ORG = "org-bufdir-42"
REPORT_QUERY = "preset=this_year&interval=month&group_1=activity_type&compare=previous_year"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        SQLITE_PATH=str(db_path),
        DJANGO_SETTINGS_MODULE="bufdir_project.settings",
        SECRET_KEY="screenshots-only-not-secret",  # noqa: S106 (a throwaway local server)
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        WHITENOISE_USE_FINDERS="1",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def browser():  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"):
        options.add_argument(arg)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    # The page itself 1280x800, whatever the window's frame takes.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    )
    return driver


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as tmp:
        env = app_env(Path(tmp) / "demo.sqlite3")
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        manage(env, "shell", "-c", SETUP)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 (daphne from this venv, fixed arguments)
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "bufdir_project.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        driver = None
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("daphne did not start")
                time.sleep(0.2)
            driver = browser()

            def shot(name: str) -> None:
                path = args.out / name
                driver.save_screenshot(str(path))
                print(f"{path.relative_to(ROOT)}: {driver.title}")

            driver.get(url + "/admin/login/")
            driver.find_element(By.NAME, "username").send_keys(USERNAME)
            driver.find_element(By.NAME, "password").send_keys(PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
            WebDriverWait(driver, 10).until(lambda d: d.current_url == url + "/admin/")
            shot("admin-index.png")
            # Lists need the width: fold the navigation sidebar, as a user can.
            driver.execute_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")

            driver.get(url + "/admin/activities/activity/")
            shot("activity-list.png")

            csv_path = Path(tmp) / "activities.csv"
            csv_path.write_text(UPLOAD.format(year=time.gmtime().tm_year), encoding="utf-8")
            driver.get(url + "/admin/activities/activity/import/")
            driver.find_element(By.NAME, "file").send_keys(str(csv_path))
            driver.find_element(By.CSS_SELECTOR, "#import-form input[type=submit]").click()
            # The job's page polls its progress and reloads with the result when done.
            WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "bad-rows"))
            shot("import-upload.png")

            # A big file (only checked, so the demo data stays as it is), caught mid-way.
            big_path = Path(tmp) / "activities-2025.csv"
            big_path.write_text(UPLOAD.splitlines()[0] + "\n" + BIG_ROWS, encoding="utf-8")
            driver.get(url + "/admin/activities/activity/import/")
            driver.find_element(By.NAME, "file").send_keys(str(big_path))
            driver.find_element(By.NAME, "dry_run").click()
            driver.find_element(By.CSS_SELECTOR, "#import-form input[type=submit]").click()
            WebDriverWait(driver, 60).until(
                lambda d: (
                    d.find_elements(By.CSS_SELECTOR, "#job-status[data-status=running]")
                    and d.find_element(By.CSS_SELECTOR, "[data-field=time-left]").text not in {"…", "estimating…"}
                )
            )
            shot("import-progress.png")

            driver.get(url + "/admin/activities/importjob/")
            shot("import-jobs.png")

            driver.get(url + "/admin/aggregations/submittedperiod/")
            shot("submitted-periods.png")

            driver.get(url + "/admin/dashboard/")
            WebDriverWait(driver, 10).until(
                lambda d: all(
                    e.text == e.get_attribute("data-text-live")  # "(live)" in the page's language
                    for e in d.find_elements(By.CSS_SELECTOR, "[data-live-state]")
                )
            )
            shot("dashboard.png")

            driver.get(url + f"/admin/reports/{REPORT_ORG}/?{REPORT_QUERY}")
            shot("report.png")
        finally:
            if driver is not None:
                driver.quit()
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
