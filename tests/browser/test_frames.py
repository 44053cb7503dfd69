"""The frame search in Chromium: filter Pip's happy moments over two processed episodes, see each best face boxed
on its frame with its span and face count, download a chosen few as a ZIP and open it (crops at the stored faces'
native size, frames at full resolution), follow a result to its moment's start, and search by a drawing (its
results moments too); at phone width the forms fold away after a search."""
import json
import re
import zipfile

import cv2
import numpy as np
import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from emotions.models import Detection, Moment
from emotions.selectors.detections import detection_crop_side
from emotions.views import frames as frames_view
from tests.browser.pages import log_in, shoot
from tests.factories import studio_face_png

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_episodes(processed_episode, settings):
    settings.PUBLIC_READ = True
    return (processed_episode("Pip's Big Cheese", seconds=6, seed=321, bias={"pip": {"happy": 0.8}}),
            processed_episode("The Angry Mouse", seconds=4, seed=322, bias={"pip": {"angry": 0.8}}))


def show_all_pictures(page) -> None:
    """Load the lazy pictures below the fold too, so a full-page screenshot shows them."""
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    # A function, not a bare expression: Playwright evals those, and the CSP refuses eval.
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")


def test_filter_select_download_and_follow_a_frame(logged_in_page, two_episodes, tmp_path):
    page = logged_in_page
    page.goto("/frames/")
    page.get_by_label("Character", exact=True).select_option("pip")
    page.get_by_label("Emotion", exact=True).select_option("happy")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/frames/\?character=pip&emotion=happy"))

    results = page.locator(".frame-result")
    expected = (Moment.objects.published().filter(character__slug="pip", emotion="happy")
                .exclude(best__frame_image="").order_by("-best_confidence", "-id"))
    expect(results).to_have_count(min(expected.count(), 48))
    assert results.count() >= 3
    # Moments, not frames: each result is one of Pip's runs of happiness, shown by its best face, with its span.
    shown = {int(results.nth(i).get_attribute("data-moment")) for i in range(results.count())}
    assert shown == set(expected.values_list("pk", flat=True)[:48])
    assert len({results.nth(i).get_attribute("data-id") for i in range(results.count())}) == results.count()
    for i in range(results.count()):
        result = results.nth(i)
        moment = Moment.objects.get(pk=result.get_attribute("data-moment"))
        assert int(result.get_attribute("data-id")) == moment.best_id
        expect(result.locator(".who")).to_have_text("Pip")
        expect(result.locator(".badge")).to_have_text("happy")
        expect(result.locator(".faces")).to_have_text(f"{moment.faces} face{'s' if moment.faces > 1 else ''}")
        expect(result.locator(".span")).to_contain_text(f"({moment.end - moment.start:.1f} s)")
        box = result.locator(".face-box").bounding_box()
        picture = result.locator(".frame-pic").bounding_box()
        assert box["width"] > 5 and box["height"] > 5
        assert picture["x"] <= box["x"] and box["x"] + box["width"] <= picture["x"] + picture["width"] + 1

    # Choose three frames and download them.
    chosen = [results.nth(i) for i in (0, 1, 2)]
    for result in chosen:
        result.get_by_role("checkbox", name=re.compile("^Select Pip happy")).check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    ids = {int(result.get_attribute("data-id")) for result in chosen}

    with page.expect_download() as info:
        page.get_by_role("button", name="Download selected as ZIP").click()
    download = info.value
    assert download.suggested_filename == "toonsite-pip-happy-3-frames.zip"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with zipfile.ZipFile(path) as pack:
        names = pack.namelist()
        manifest = json.loads(pack.read("manifest.json"))["frames"]
        pictures = {row["id"]: [cv2.imdecode(np.frombuffer(pack.read(row[key]), np.uint8), cv2.IMREAD_COLOR)
                                for key in ("crop_file", "frame_file")] for row in manifest}
    # Reference size: each crop exactly as large as the stored face's (native, never enlarged), each frame the
    # episode's full resolution.
    for pk, (crop, frame) in pictures.items():
        face = Detection.objects.select_related("episode", "run").get(pk=pk)
        with default_storage.open(face.crop.name, "rb") as handle:
            stored = cv2.imdecode(np.frombuffer(handle.read(), np.uint8), cv2.IMREAD_COLOR)
        assert crop.shape == stored.shape and crop.shape[:2] == (detection_crop_side(face),) * 2
        assert frame.shape[:2] == (face.episode.height, face.episode.width)
    assert {row["id"] for row in manifest} == ids
    assert sorted(names) == sorted(["manifest.csv", "manifest.json"] + [row["frame_file"] for row in manifest]
                                   + [row["crop_file"] for row in manifest])
    assert {int(n.rsplit("-", 1)[1].removesuffix(".jpg")) for n in names if n.startswith(("frames/", "crops/"))} == ids
    assert all(row["character"] == "pip" and row["emotion"] == "happy" and not row["missing"] for row in manifest)

    # "Select all on this page" ticks every result.
    page.get_by_label("Select all on this page").check()
    expect(page.locator("input[name=ids]:not(:checked)")).to_have_count(0)
    expect(page.get_by_text(f"{results.count()} selected")).to_be_visible()

    # All of Pip's moments: the moment grid, two episodes taking turns, two moments ticked.
    page.goto("/frames/?character=pip")
    expect(results).to_have_count(Moment.objects.published().filter(character__slug="pip").count())
    assert results.count() > 3
    results.nth(0).get_by_role("checkbox").check()
    results.nth(3).get_by_role("checkbox").check()
    page.mouse.move(0, 0)  # no card hovered or focused: each shows its face, the frame as its inset
    page.evaluate("() => document.activeElement.blur()")
    show_all_pictures(page)
    shoot(page, "frames")

    # A result leads to its episode at its moment's start.
    first = Moment.objects.get(pk=results.first.get_attribute("data-moment"))
    results.first.locator("a.frame-link").click()
    expect(page).to_have_url(re.compile(rf"/episodes/{first.episode_id}/\?t={first.start:.2f}$"))


def ambiguous_drawing_png() -> bytes:
    """Pip half surprised, half afraid: a drawing the CNN is unsure of (it reads surprise at about 32%)."""
    surprise, fear = (cv2.imdecode(np.frombuffer(studio_face_png("pip", e, seed=79), np.uint8), cv2.IMREAD_COLOR)
                      for e in ("surprise", "fear"))
    return cv2.imencode(".png", cv2.addWeighted(surprise, 0.5, fear, 0.5, 0))[1].tobytes()


def _alike_by_episode(results) -> dict[str, list[float]]:
    """The 'alike' figures of the shown moments, in page order, per episode (the first line of a card's place)."""
    cards = results.evaluate_all(
        "rows => rows.map(r => [r.querySelector('.where').firstChild.textContent.trim(), r.innerText])")
    found: dict[str, list[float]] = {}
    for episode, text in cards:
        found.setdefault(episode, []).append(float(re.search(r"alike (-?[\d.]+)", text).group(1)))
    return found


DRAWING_PAGE = 4  # alike moments a page here: two short studio episodes hold fewer than the site's 24 a page


def test_search_by_drawing(logged_in_page, phone_page, user, two_episodes, tmp_path, settings, monkeypatch):
    page = logged_in_page
    drawing = tmp_path / "my-pip.png"
    drawing.write_bytes(ambiguous_drawing_png())
    page.goto("/frames/")
    page.get_by_label("Your drawing").set_input_files(drawing)
    page.get_by_label("Only this character").select_option("pip")
    page.get_by_role("button", name="Find alike faces").click()

    expect(page).to_have_url(re.compile(r"/frames/drawing/$"))
    heading = page.get_by_role("heading", name=re.compile("^Your drawing looks"))
    expect(heading).to_be_visible()
    expect(page.locator(".probabilities li")).to_have_count(7)
    # The drawing itself, beside its reading; the reading called unsure, with what to do about it.
    shown = page.get_by_role("img", name="Your drawing, as searched with")
    expect(shown).to_be_visible()
    assert page.evaluate("document.getElementById('drawing-thumbnail').naturalWidth") > 50
    confidence = float(re.search(r"\((\d+)%\)", heading.inner_text()).group(1)) / 100
    assert confidence < settings.LOW_CONFIDENCE
    expect(page.locator("#unsure-warning")).to_contain_text("The model is unsure of this reading (under 60%)")
    expect(page.get_by_role("radio", name=re.compile(r"^As read: \w+ \d+%"))).to_be_checked()
    results = page.locator(".frame-result")
    expect(results.first).to_be_visible()
    assert set(results.locator(".who").all_inner_texts()) == {"Pip"}
    results.nth(0).get_by_role("checkbox").check()
    results.nth(1).get_by_role("checkbox").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.mouse.move(0, 0)  # no card hovered or focused: each shows its face, the frame as its inset
    page.evaluate("() => document.activeElement.blur()")
    show_all_pictures(page)
    shoot(page, "frames-drawing")

    # Another emotion, chosen: Pip's angry faces come first, and the drawing is still there (no upload again).
    page.get_by_role("radio", name=re.compile("^angry")).check()
    page.get_by_role("button", name="Search again").click()
    expect(page).to_have_url(re.compile(r"/frames/drawing/[\w-]+/\?emotion=angry&character=pip$"))
    expect(page.get_by_role("radio", name=re.compile("^angry"))).to_be_checked()
    expect(page.locator("#results-title")).to_contain_text("angry first")
    expect(results.first.locator(".badge")).to_have_text("angry")
    expect(shown).to_be_visible()
    show_all_pictures(page)
    shoot(page, "drawing-search")

    # By look only, anyone: every emotion by look, a page at a time; the next page holds others, the drawing kept.
    monkeypatch.setattr(frames_view, "DRAWING_RESULTS", DRAWING_PAGE)  # from here on (the screenshots show 24)
    page.get_by_role("radio", name=re.compile("^By look only")).check()
    page.locator("#drawing-choice").get_by_label("Only this character").select_option("")
    page.get_by_role("button", name="Search again").click()
    expect(page).to_have_url(re.compile(r"\?emotion=look&character=$"))
    expect(page.locator("#results-title")).to_contain_text("Alike moments by look only")
    expect(results).to_have_count(DRAWING_PAGE)
    first_page = set(results.evaluate_all("rows => rows.map(r => r.dataset.id)"))
    by_episode = _alike_by_episode(results)
    for values in by_episode.values():  # by look alone, whatever the emotion; the episodes take turns
        assert values == sorted(values, reverse=True)
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"\?emotion=look&page=2$"))
    expect(results.first).to_be_visible()
    following = [value for values in _alike_by_episode(results).values() for value in values]
    assert max(following) <= min(value for values in by_episode.values() for value in values), \
        "a page holds the closest moments left"
    assert not first_page & set(results.evaluate_all("rows => rows.map(r => r.dataset.id)"))
    expect(page.get_by_role("radio", name=re.compile("^By look only"))).to_be_checked()
    expect(shown).to_be_visible()
    page.get_by_role("link", name="Previous page").click()
    expect(page).to_have_url(re.compile(r"\?emotion=look$"))
    assert set(results.evaluate_all("rows => rows.map(r => r.dataset.id)")) == first_page

    # The kept drawing's page at a phone's width, in another session of the same user: nothing wider than the phone.
    log_in(phone_page, user.username)
    phone_page.goto(page.url)
    expect(phone_page.get_by_role("img", name="Your drawing, as searched with")).to_be_visible()
    expect(phone_page.locator(".frame-result").first).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_frames_at_phone_width(phone_page, two_episodes):
    phone_page.goto("/frames/?character=pip&emotion=happy")
    results = phone_page.locator(".frame-result")
    expect(results.first).to_be_visible()
    # The filters folded away after the search: the first result is on the first screen, the summary reopens them.
    fold = phone_page.locator("details.search-fold")
    expect(fold).not_to_have_attribute("open", "")
    assert results.first.bounding_box()["y"] < 844 - 250  # on the first screen, most of its face showing
    fold.locator("summary").click()
    expect(phone_page.get_by_label("Character", exact=True)).to_be_visible()
    fold.locator("summary").click()
    expect(phone_page.get_by_label("Character", exact=True)).to_be_hidden()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"
    # Faces first, two a row: the first two results side by side, each near half the phone's width.
    first, second = results.nth(0).bounding_box(), results.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 1 and second["x"] >= first["x"] + first["width"]
    assert 150 < first["width"] < 195 and second["x"] + second["width"] <= 390
    results.first.get_by_role("checkbox").check()
    phone_page.evaluate("() => document.activeElement.blur()")  # ticked, not focused: the face shows, not its frame
    phone_page.evaluate("window.scrollTo(0, 0)")  # the top of the page: the folded search, then the results
    shoot(phone_page, "frames-phone", full_page=False)
