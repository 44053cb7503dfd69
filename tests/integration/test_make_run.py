"""`make run` as a newcomer meets it: one command serves the site on the embedded defaults and prints a login."""
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.processes import ROOT, process_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_line(log_path, pattern: str, process, timeout: float = 120) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log_path.read_text())
        if match:
            return match
        if process.poll() is not None:
            break
        time.sleep(0.5)
    pytest.fail(f"run.sh never printed {pattern!r}:\n{log_path.read_text()[-3000:]}")


@pytest.fixture
def running_site(tmp_path):
    """scripts/run.sh (what `make run` runs after installing) with no configuration but a fresh data folder."""
    port = free_port()
    log_path = tmp_path / "run.log"
    env = process_env({"TOONSITE_DATA_DIR": str(tmp_path / "data"), "PORT": str(port), "DATABASE_URL": None,
                       "REDIS_URL": None, "CELERY_BROKER_URL": None, "CELERY_RESULT_BACKEND": None,
                       "DJANGO_SETTINGS_MODULE": "toonsite.settings", "WEB_CONCURRENCY": "1"})
    with open(log_path, "w") as log:
        process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, log_path, port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_make_run_serves_the_site_and_prints_a_working_login(running_site, tmp_path):
    process, log_path, port = running_site
    username, password = wait_for_line(log_path, r"Log in as: (\S+) / (\S+)", process).groups()
    url = wait_for_line(log_path, r"ToonSite is running at (http://\S+)", process).group(1)
    assert url == f"http://127.0.0.1:{port}/"

    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login_page = browser.open(url + "accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(url + "accounts/login/", data=form.encode(), headers={"Referer": url})
    home = browser.open(request).read().decode()

    assert "Marmalade" in home and "What is this face feeling?" in home
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home).group(1)
    assert browser.open(url.rstrip("/") + stylesheet).status == 200  # whitenoise serves collected assets
    worker_log = tmp_path / "data" / "logs" / "worker.log"
    assert "ready." in worker_log.read_text()  # the Celery worker started beside gunicorn, logging to its file
    # A newcomer reads the URL and the login at the end of the output, not above the worker's banner.
    last_lines = log_path.read_text().strip().splitlines()[-2:]
    assert last_lines == [f"ToonSite is running at {url}  (Ctrl-C stops it)", f"Log in as: {username} / {password}"]
