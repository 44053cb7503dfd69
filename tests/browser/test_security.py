"""What a hostile upload or page could do in Chromium, and does not: a real MP4 named evil.html, with a script in
its metadata title, opens as a video (its markup never runs), and the API docs page runs under the site's
Content-Security-Policy without a violation (the fixtures fail any test whose pages the policy refused)."""
import pytest
from playwright.sync_api import expect

from emotions.models import Episode
from tests.factories import video_with_title
from toonvision.studio.episode import write_episode

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAYLOAD = ("<script>document.title = 'pwned'; window.pwned = true; "
           "fetch('/api/episodes/', {method: 'POST'});</script><img src=x onerror=\"window.pwned = true\">")


def test_a_real_mp4_named_html_with_a_script_in_its_title_plays_as_a_video_and_its_script_never_runs(
    queue_env, cast, logged_in_page, tmp_path
):
    studio = tmp_path / "studio.mp4"
    write_episode(studio, seconds=2, seed=5)
    evil = video_with_title(studio, tmp_path / "evil.html", PAYLOAD)
    assert PAYLOAD.encode() in evil.read_bytes()  # the markup is in the file, byte for byte

    page = logged_in_page
    page.goto("/episodes/upload/")
    page.get_by_label("Choose video files").set_input_files(str(evil))
    expect(page.locator(".upload-row")).to_have_attribute("data-state", "queued", timeout=60_000)
    episode = Episode.objects.get()

    response = page.goto(f"/episodes/{episode.pk}/video")
    assert response.status == 200 and response.headers["content-type"] == "video/mp4"
    assert response.headers["x-content-type-options"] == "nosniff"
    page.wait_for_timeout(500)  # time for a script, had there been one, to run
    assert page.evaluate("window.pwned") is None
    assert page.title() != "pwned"
    assert page.locator("video").count() == 1  # Chromium's own player: the file opened as a video


def test_the_api_docs_page_renders_under_the_policy(logged_in_page):
    page = logged_in_page
    response = page.goto("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ToonSite API", timeout=20_000)
    expect(page.locator(".opblock").first).to_be_visible()
