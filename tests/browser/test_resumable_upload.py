"""An upload whose connection breaks off mid-way, in Chromium: the page's tus client asks the server where the
upload stands and sends the rest from there, and the episode is the file's very bytes."""
import hashlib
import uuid

import pytest
from playwright.sync_api import expect

from emotions.models import Episode

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_upload_cut_mid_way_resumes_where_it_stopped(logged_in_page, cast, studio_episode, settings, media,
                                                         tmp_path, fresh_throttles):
    settings.RESUMABLE_UPLOAD_DIR = str(tmp_path / "resumable")
    settings.RESUMABLE_CHUNK_MAX_BYTES = 64 * 1024  # the page sends 32 KiB chunks: several for a 3 s episode
    settings.EPISODE_QUEUE = f"resumable-{uuid.uuid4().hex[:8]}"  # nobody listens: the upload is what is tested
    size = studio_episode.stat().st_size
    assert size > 3 * 32 * 1024, "the episode must span several chunks for the cut to fall mid-way"
    page, seen, cut = logged_in_page, [], []

    def connection(route):
        request = route.request
        offset = request.headers.get("upload-offset")
        seen.append((request.method, offset))
        if request.method == "PATCH" and offset != "0" and not cut:
            cut.append(int(offset))  # the second chunk never reaches the server: the connection broke off
            return route.abort("connectionreset")
        return route.continue_()

    page.route("**/api/uploads/**", connection)
    page.goto("/episodes/upload/")
    page.get_by_label("Title").fill("Resumed")
    page.get_by_label("Choose video files").set_input_files(str(studio_episode))

    row = page.locator(".upload-row")
    expect(row).to_have_attribute("data-state", "queued", timeout=60_000)
    episode = Episode.objects.get(title="Resumed")
    assert episode.sha256 == hashlib.sha256(studio_episode.read_bytes()).hexdigest()
    assert episode.size_bytes == size
    patches = [int(offset) for method, offset in seen if method == "PATCH"]
    assert cut and cut[0] > 0
    after_cut = seen[seen.index(("PATCH", str(cut[0]))) + 1:]
    assert after_cut[0] == ("HEAD", None)  # it asked where the upload stood...
    assert patches.count(cut[0]) == 2 and patches[0] == 0  # ...and sent from there, not from the start again
    assert patches == sorted(patches)
    expect(row.get_by_role("link", name="Open the episode")).to_have_attribute("href", f"/episodes/{episode.pk}/")
