"""The browser tests: Debian's headless Chromium, driven by Playwright, against the site served by pytest-django's
live server on the real PostgreSQL. Each page's screenshot is saved to docs/screenshots/ for the README."""
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.files import File

from emotions.services.episodes import episode_create
from emotions.services.ranges import episode_process_here
from tests.browser.pages import PASSWORD, log_in
from tests.processes import UNDER_CI
from toonvision.studio.episode import write_episode

# Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls from a thread with a
# running loop unless told otherwise. The calls the tests make are ordinary synchronous ones, so this is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Chromium's background services would try the closed network at every start; a test needs none of them.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Debian's, never one Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package when it may"
        if UNDER_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server, media, settings):
    """The live server's address, with the test's own media folder (episodes, crops) behind it."""
    return live_server.url


def _new_page(browser, base_url: str, viewport: dict):
    context = browser.new_context(base_url=base_url, viewport=viewport, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    # Whatever the Content-Security-Policy refuses (an inline script or style, an asset from elsewhere) Chromium
    # reports on the console; and every document the site serves must carry the policy.
    page.csp_violations = []
    page.on("console", lambda message: page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.documents_without_csp = []

    def check_policy(response):
        if response.request.resource_type == "document" and urlparse(response.url).hostname == local \
                and "content-security-policy" not in response.headers:
            page.documents_without_csp.append(response.url)

    page.on("response", check_policy)
    # Every asset must come from the site itself: a request anywhere else (a CDN, a web font) is refused and recorded.
    page.outside_requests = []
    local = urlparse(base_url).hostname

    def refuse_outside(route):
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https") and url.hostname not in (local, "localhost", "127.0.0.1"):
            page.outside_requests.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", refuse_outside)
    return context, page


def _close(context, tab) -> None:
    errors, outside = tab.js_errors, tab.outside_requests
    violations, unguarded = tab.csp_violations, tab.documents_without_csp
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not outside, f"the page asked for assets outside the site: {outside}"
    assert not violations, f"the Content-Security-Policy refused: {violations}"
    assert not unguarded, f"pages served without a Content-Security-Policy: {unguarded}"


@pytest.fixture
def page(browser, site):
    """A fresh browser tab (its own cookies) at desktop size. A JavaScript error on any page, a request for
    anything outside the site, a Content-Security-Policy violation or a page without the policy fails the test."""
    context, tab = _new_page(browser, site, DESKTOP)
    yield tab
    _close(context, tab)


@pytest.fixture
def phone_page(browser, site):
    """A fresh browser tab at a phone's size (390 x 844 CSS pixels)."""
    context, tab = _new_page(browser, site, PHONE)
    yield tab
    _close(context, tab)


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("ana", password=PASSWORD)


@pytest.fixture
def logged_in_page(page, user):
    log_in(page, user.username)
    return page


@pytest.fixture
def processed_episode(cast, user, tmp_path, settings):
    """Make a studio episode and process it here (inline, no worker): returns a function giving the Episode."""
    settings.EPISODE_RANGE_FRAMES = 48

    def make(title: str, *, seconds: float = 4, seed: int = 301, bias: dict | None = None, owner=None):
        video = tmp_path / f"{seed}.mp4"
        write_episode(video, seconds=seconds, seed=seed, emotion_bias=bias)
        with open(video, "rb") as handle:
            episode = episode_create(owner=owner or user, file=File(handle, name=video.name), title=title)
        episode_process_here(episode=episode)
        episode.refresh_from_db()
        assert episode.status == "done", episode.error
        return episode

    return make
