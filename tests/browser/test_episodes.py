"""The episode pages in Chromium: a studio episode uploaded through the upload page and processed by a real Celery
worker, its row followed to the end; then the episode page: Pip's lane, a click on the timeline seeks the video,
the emotion subtitles show, ?t= starts the video there; its moments as cards that play from their start and take
corrections. Bad files get their reason in their row."""
import re

import pytest
from playwright.sync_api import expect

from emotions.models import Detection, Episode, Moment
from tests.browser.pages import SCREENSHOTS, log_in, shoot
from toonvision.studio.episode import write_episode

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VIDEO = "document.getElementById('episode-video')"
FOCUSED_ROW = "[...document.querySelectorAll('#lanes [role=row]')].indexOf(document.activeElement.closest('[role=row]'))"  # noqa: E501
# Record every state each upload row goes through, so the test sees the whole journey, not just its end.
WATCH_ROWS = """() => {
  window.rowStates = [];
  window.rowMessages = [];
  new MutationObserver((changes) => {
    for (const change of changes) {
      const message = change.target.closest && change.target.closest('.upload-message');
      if (message) window.rowMessages.push(message.textContent);
      if (change.attributeName === 'data-state') window.rowStates.push(change.target.dataset.state);
      if (change.type !== 'childList') continue;
      for (const row of change.addedNodes) if (row.dataset) window.rowStates.push(row.dataset.state);
    }
  }).observe(document.getElementById('uploads'), {subtree: true, childList: true, attributes: true});
}"""


def show_all_pictures(page) -> None:
    """Load the lazy pictures below the fold too, so a full-page screenshot shows them."""
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    # A function, not a bare expression: Playwright evals those, and the CSP refuses eval.
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")


def wait_for_time(page, seconds: float, tolerance: float = 0.05) -> None:
    """Wait until the video has its metadata (a real, seekable load) and stands at `seconds`."""
    page.wait_for_function(
        f"([t, tol]) => {VIDEO}.readyState >= 1 && Math.abs({VIDEO}.currentTime - t) < tol", arg=[seconds, tolerance]
    )


def test_an_upload_is_followed_to_the_end_and_its_page_seeks_and_shows_emotions(
    queue_env, start_worker, cast, user, page, phone_page, tmp_path, processed_episode
):
    rainy = processed_episode("Rainy", seconds=4, seed=301, bias={"pip": {"sad": 0.7}})  # one to be alike
    video = tmp_path / "sunny.mp4"
    write_episode(video, seconds=5, seed=77, emotion_bias={"pip": {"happy": 0.7}})
    start_worker(queue_env, queues=queue_env["EPISODE_QUEUE"])
    log_in(page, user.username)

    page.goto("/episodes/upload/")
    page.evaluate(WATCH_ROWS)
    page.get_by_label("Title").fill("Sunny")
    page.get_by_label("Choose video files").set_input_files(str(video))
    row = page.locator(".upload-row")
    expect(row).to_have_count(1)
    expect(row.locator(".upload-name")).to_have_text("Sunny")
    expect(row).to_have_attribute("data-state", "done", timeout=180_000)
    expect(row.get_by_role("progressbar")).to_have_js_property("value", 1)
    states = page.evaluate("window.rowStates")
    assert states.index("uploading") < states.index("done")
    assert {"queued", "processing"} & set(states), states  # the worker's progress was shown on the way
    messages = page.evaluate("window.rowMessages")
    progress = [m for m in messages if re.match(r"(Waiting for a worker|Processing: \d+% done)", m)]
    assert progress, messages  # one wording while it is processed
    assert not [m for m in messages if "parts)" in m or "% processed" in m], messages
    shoot(page, "upload")

    row.get_by_role("link", name="Open the episode").click()
    episode = Episode.objects.get(title="Sunny")
    page.wait_for_url(f"**/episodes/{episode.pk}/")
    pip = page.locator('.lane[data-character="pip"]')
    expect(pip.locator(".lane-name")).to_have_text("Pip")

    # A click on a segment (the latest of Pip's stretches, well into the episode) seeks the video to its start.
    wait_for_time(page, 0)
    segment = pip.locator(".segment").last
    start = float(segment.get_attribute("data-start"))
    assert start > 0.5 and re.fullmatch(r"Pip \w+ \d:\d\d–\d:\d\d", segment.get_attribute("aria-label"))
    segment.click()
    wait_for_time(page, start)
    # ...and by keyboard too: the first segment, focused and pressed.
    pip.locator(".segment").first.focus()
    page.keyboard.press("Enter")
    wait_for_time(page, float(pip.locator(".segment").first.get_attribute("data-start")))
    segment.click()
    wait_for_time(page, start)

    page.get_by_role("button", name="Show emotion subtitles").click()
    page.wait_for_function(
        f"() => {{ const t = {VIDEO}.textTracks[0]; return t.mode === 'showing' && t.cues && "
        "[...t.cues].some((c) => c.text.includes('Pip: happy')); }"
    )
    expect(page.get_by_role("button", name="Hide emotion subtitles")).to_have_attribute("aria-pressed", "true")
    similar = page.locator(".similar .tile")
    expect(similar.first).to_contain_text("Rainy")
    expect(similar.first.get_by_role("link", name="Rainy")).to_have_attribute("href", f"/episodes/{rainy.pk}/")
    show_all_pictures(page)
    shoot(page, "episode")

    page.goto(f"/episodes/{episode.pk}/?t=2")
    wait_for_time(page, 2)

    page.goto("/episodes/")
    expect(page.locator(".episode-row h2")).to_have_text(["Sunny", "Rainy"])  # newest first
    listed = page.locator(".episode-row", has_text="Sunny")
    expect(listed.locator(".badge.status-done")).to_have_text("Done")
    expect(listed.locator(".main-emotions")).to_contain_text("Pip")
    shoot(page, "episodes")

    log_in(phone_page, user.username)
    phone_page.goto(f"/episodes/{episode.pk}/")
    expect(phone_page.locator('.lane[data-character="pip"]')).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    # The moments two a row, faces first, Play visible without a tap.
    cards = phone_page.locator("#moments .frame-result")
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 1 and second["x"] >= first["x"] + first["width"]
    expect(cards.first.get_by_role("button", name=re.compile("^Play from"))).to_be_visible()
    show_all_pictures(phone_page)
    shoot(phone_page, "episode-phone")


def test_the_seek_bar_marks_the_emotions_and_the_lanes_go_by_keyboard(logged_in_page, processed_episode):
    episode = processed_episode("Timeline", seconds=8, seed=303, bias={"pip": {"happy": 0.5, "surprise": 0.3}})
    page = logged_in_page
    page.goto(f"/episodes/{episode.pk}/")
    wait_for_time(page, 0)

    # The seek bar sits under the video, as wide; each lane's stretches are marked on it where they fall in time.
    bar, video = page.locator("#seekbar"), page.locator("#episode-video")
    markers, segments = bar.locator(".marker"), page.locator("#lanes .segment")
    expect(markers.first).to_be_visible()
    assert markers.count() == segments.count() >= 3
    bar_box, video_box = bar.bounding_box(), video.bounding_box()
    assert abs(bar_box["x"] - video_box["x"]) < 1 and abs(bar_box["width"] - video_box["width"]) < 1
    assert 0 <= bar_box["y"] - (video_box["y"] + video_box["height"]) < 8
    duration = float(bar.get_attribute("data-duration"))
    for i in range(markers.count()):
        marker = markers.nth(i)
        box = marker.bounding_box()
        expected = bar_box["x"] + bar_box["width"] * float(marker.get_attribute("data-start")) / duration
        assert abs(box["x"] - expected) < 2 and box["height"] > 4
    # A click on a marker well into the episode plays from its start; a click on the bare bar from that point.
    late = markers.last
    late_start = float(late.get_attribute("data-start"))
    assert late_start > 1
    late.click()
    wait_for_time(page, late_start)
    bar.click(position={"x": 1, "y": 1})
    page.wait_for_function(f"() => {VIDEO}.currentTime < 0.2")

    # The lanes are one widget: one tab stop, whichever stretch was last chosen.
    lanes = page.get_by_role("grid", name="Emotion timeline")
    rows = lanes.get_by_role("row")
    assert rows.count() >= 2
    first = rows.first.get_by_role("gridcell").first
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('segment')"):
            break
    expect(first).to_be_focused()
    page.keyboard.press("Tab")  # past the whole widget in one press
    assert not page.evaluate("document.getElementById('lanes').contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")
    expect(first).to_be_focused()

    # Right moves along the lane, and Enter plays from the stretch it lands on; Down goes to the next character.
    cells = rows.first.get_by_role("gridcell")
    if cells.count() > 1:
        page.keyboard.press("ArrowRight")
        expect(cells.nth(1)).to_be_focused()
        label = cells.nth(1).get_attribute("aria-label")
        assert re.fullmatch(r"\w+ \w+ \d:\d\d–\d:\d\d", label), label
        page.keyboard.press("Enter")
        wait_for_time(page, float(cells.nth(1).get_attribute("data-start")))
        page.keyboard.press("ArrowLeft")
        expect(cells.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    below = page.locator("#lanes .segment:focus")
    expect(below).to_have_count(1)
    assert page.evaluate(FOCUSED_ROW) == 1
    below_start = float(below.get_attribute("data-start"))
    page.keyboard.press("Enter")
    wait_for_time(page, below_start)
    expect(page.locator('#lanes .segment[tabindex="0"]')).to_have_count(1)
    page.keyboard.press("ArrowUp")
    assert page.evaluate(FOCUSED_ROW) == 0

    # Round ticks under the lanes: every second over eight seconds.
    expect(page.locator(".axis span")).to_have_text([f"0:0{i}" for i in range(9)])
    page.locator(".player").screenshot(path=str(SCREENSHOTS / "episode-timeline.png"))


def test_files_that_are_not_videos_or_too_large_get_their_reason_in_their_row(
    logged_in_page, tmp_path, settings, media
):
    settings.MAX_EPISODE_UPLOAD_BYTES = 10_000
    fake = tmp_path / "fake.mp4"
    fake.write_text("a shopping list: cheese, more cheese\n")
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * 20_000)

    page = logged_in_page
    page.goto("/episodes/upload/")
    page.get_by_label("Choose video files").set_input_files([str(fake), str(big)])
    rows = page.locator(".upload-row")
    expect(rows).to_have_count(2)
    fake_row, big_row = rows.filter(has_text="fake.mp4"), rows.filter(has_text="big.mp4")
    expect(fake_row).to_have_attribute("data-state", "failed")
    expect(fake_row.locator(".upload-message")).to_contain_text("not a video: fake.mp4")
    expect(big_row).to_have_attribute("data-state", "failed")
    expect(big_row.locator(".upload-message")).to_contain_text("the largest episode accepted is")

    # A file dropped on the drop zone gets its row too.
    page.locator("#drop-zone").evaluate("""(zone) => {
      const data = new DataTransfer();
      data.items.add(new File(['not a cartoon'], 'dropped.mp4', {type: 'video/mp4'}));
      zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
    }""")
    dropped = rows.filter(has_text="dropped.mp4")
    expect(dropped.locator(".upload-message")).to_contain_text("not a video: dropped.mp4")
    assert not Episode.objects.exists()


def test_the_skip_link_lands_on_the_video_not_on_the_owners_buttons(logged_in_page, processed_episode, user):
    episode = processed_episode("Skippy", seconds=2, seed=41)
    page = logged_in_page
    page.goto(f"/episodes/{episode.pk}/")
    expect(page.get_by_role("button", name="Process again")).to_be_visible()  # the owner's buttons come first

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("region", name="Video and emotion timeline")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the player, past Process again and Delete
    assert page.evaluate("document.getElementById('player').contains(document.activeElement)")


def test_the_episode_lists_its_moments_whose_cards_play_from_their_start_and_take_corrections(
    logged_in_page, processed_episode
):
    episode = processed_episode("Moments", seconds=8, seed=303, bias={"pip": {"happy": 0.6}})
    moments = list(Moment.objects.published().filter(episode=episode).order_by("start", "id"))
    faces = Detection.objects.published().filter(episode=episode).count()
    assert 3 <= len(moments) < faces / 3, (len(moments), faces)  # far fewer cards than analysed faces
    page = logged_in_page
    page.goto(f"/episodes/{episode.pk}/")
    wait_for_time(page, 0)

    # One card a moment, in time order, each its best face large with its span, face count and a Play button.
    section = page.get_by_role("region", name=re.compile("^Moments"))
    cards = section.locator(".frame-result")
    expect(cards).to_have_count(min(len(moments), 24))
    assert [int(cards.nth(i).get_attribute("data-moment")) for i in range(cards.count())] == [
        m.pk for m in moments[:24]]
    for i, moment in enumerate(moments[:24]):
        card = cards.nth(i)
        assert int(card.get_attribute("data-id")) == moment.best_id
        expect(card.locator(".span")).to_contain_text(f"({moment.end - moment.start:.1f} s)")
        expect(card.get_by_role("button", name=re.compile(r"^Play from \d:\d\d: "))).to_be_visible()
    crop = cards.first.locator(".face-pic img").bounding_box()
    assert crop["width"] >= 200 and crop["height"] >= 200  # face first: the crop fills the card

    # Play on a later card seeks the player to that moment's start; so does a click on its picture, no reload.
    page.evaluate("window.notReloaded = true")
    later = moments[min(len(moments), 24) - 1]
    cards.nth(min(len(moments), 24) - 1).get_by_role("button", name=re.compile("^Play from")).click()
    wait_for_time(page, later.start)
    cards.nth(1).locator("a.frame-link").click()
    wait_for_time(page, moments[1].start)
    assert page.evaluate("window.notReloaded") is True

    page.mouse.move(0, 0)  # no card hovered (a hovered card's frame grows over its face)
    page.evaluate("document.activeElement.blur()")
    show_all_pictures(page)
    section.screenshot(path=str(SCREENSHOTS / "episode-moments.png"))

    # A card takes the correction keys: focused, "3" labels its best face fear, "u" undoes it.
    first = cards.first
    first.focus()
    page.keyboard.press("3")
    expect(first.locator(".badge")).to_have_text("fear")
    expect(first.locator(".conf")).to_have_text("labelled")
    expect(first.get_by_role("button", name=re.compile("^u Undo"))).to_be_visible()
    assert Detection.objects.get(pk=moments[0].best_id).emotion == "fear"
    page.keyboard.press("u")
    expect(first.locator(".badge")).to_have_text(moments[0].emotion)

