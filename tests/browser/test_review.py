"""The Review page in Chromium: faces corrected by keyboard alone (an emotion, not a face, accept, undo) with a
running count; the corrections then show on the episode page (its faces and shares) and in the recommendations'
figures, which are rebuilt from them; and the Datasets page exports them as a ZIP that reads back in."""
import csv
import io
import re
import zipfile

import pytest
from django.db.models import Sum
from django.template.defaultfilters import floatformat
from playwright.sync_api import expect

from emotions.models import DatasetFace, Detection, FaceLabel
from tests.browser.pages import shoot
from toonvision.emotions import EMOTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _other_emotion(model_says: str) -> str:
    return "surprise" if model_says != "surprise" else "angry"


def _key(emotion: str) -> str:
    return str(EMOTIONS.index(emotion) + 1)


def test_faces_corrected_by_keyboard_show_everywhere_and_in_the_rankings(
        logged_in_page, processed_episode, user, tmp_path):
    episode = processed_episode("Corrected", seconds=3, seed=301)
    assert Detection.objects.filter(episode=episode).count() >= 4, "the studio episode should show a few faces"
    page = logged_in_page
    page.goto("/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Review").click()
    page.wait_for_url("**/review/")
    review = page.locator("#review")
    counter = review.locator("[data-session-count]")
    who = review.locator("[data-who]")
    model_says = review.locator("[data-model-emotion]")
    expect(who).not_to_be_empty()
    expect(review.locator("[data-crop]")).to_have_js_property("complete", True)
    expect(counter).to_have_text("0")

    # 1. the first face: another emotion than the model's, by its number key
    first_says = model_says.text_content()
    first_label = _other_emotion(first_says)
    page.keyboard.press(_key(first_label))
    expect(counter).to_have_text("1")
    expect(review.get_by_role("status")).to_contain_text(first_label)
    # 2. the second: not a face
    page.keyboard.press("x")
    expect(counter).to_have_text("2")
    # 3. the third: accepted as the model said, then undone (the same face comes back), then corrected
    third_says = model_says.text_content()
    third_crop = review.locator("[data-crop]").get_attribute("src")
    page.keyboard.press("Enter")
    expect(counter).to_have_text("3")
    page.keyboard.press("u")
    expect(counter).to_have_text("2")
    expect(review.locator("[data-crop]")).to_have_attribute("src", third_crop)
    expect(review.get_by_role("status")).to_contain_text("Undone")
    third_label = _other_emotion(third_says)
    page.keyboard.press(_key(third_label))
    expect(counter).to_have_text("3")
    expect(review.locator("[data-total-count]")).to_have_text("3")
    shoot(page, "review")

    labels = list(FaceLabel.objects.filter(user=user).order_by("id").select_related("detection"))
    assert [(label.verdict, label.emotion) for label in labels] == [
        ("emotion", first_label), ("not_face", ""), ("emotion", third_label)]
    assert [label.model_emotion for label in (labels[0], labels[2])] == [first_says, third_says]
    first, rejected = labels[0].detection, labels[1].detection
    rejected.refresh_from_db()
    assert rejected.rejected

    # The episode page: the corrected face shows its label (a label counts as sure, so it is its moment's best
    # face), the rejected one is gone.
    page.goto(f"/episodes/{episode.pk}/")
    card = page.locator(f"#moments .frame-result[data-id='{first.pk}']")
    expect(card.locator(".badge")).to_have_text(first_label)
    expect(card.locator(".conf")).to_have_text("labelled")
    expect(page.locator(f"#moments .frame-result[data-id='{rejected.pk}']")).to_have_count(0)

    # The recommendations' figures are rebuilt from the labels.
    character = first.character
    shown = Detection.objects.published().filter(episode=episode, character=character)
    seconds = shown.filter(emotion=first_label).aggregate(s=Sum("duration"))["s"]
    weighted = sum(d.duration * d.confidence for d in shown.filter(emotion=first_label))
    page.goto(f"/recommendations/?character={character.slug}&emotion={first_label}")
    entry = page.locator("li.ranked", has_text="Corrected")
    figures = {
        first_label.capitalize(): f"{floatformat(seconds, 1)} s",
        "Confidence-weighted": f"{floatformat(weighted, 1)} s",
        "Faces": str(shown.filter(emotion=first_label).count()),
        f"{character.name} on screen": f"{floatformat(shown.aggregate(s=Sum('duration'))['s'], 1)} s",
    }
    for term, value in figures.items():
        expect(entry.locator("dt", has_text=term).locator("xpath=following-sibling::dd")).to_have_text(value)
    assert shown.filter(emotion=first_label, labelled=True).exists()

    # The corrections leave as a dataset ZIP (the dissertation's layout) and read back in as labelled examples.
    page.goto("/datasets/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download dataset").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as pack:
        manifest = list(csv.DictReader(io.TextIOWrapper(pack.open("manifest.csv"), "utf-8")))
        pictures = [name for name in pack.namelist() if name.endswith(".png")]
    exported = {int(row["face"]): row for row in manifest}
    third = labels[2].detection
    assert set(exported) == {first.pk, third.pk}, "the two faces given an emotion, not the rejected one"
    assert len(pictures) == 2
    for face, label in ((first, first_label), (third, third_label)):
        assert (exported[face.pk]["emotion"], exported[face.pk]["source"]) == (label, "label")
        assert exported[face.pk]["file"].startswith(f"{face.character.slug}/{label}/")
    page.get_by_label("Dataset ZIP").set_input_files(str(saved))
    page.get_by_label("Name (default: the ZIP's)").fill("reviewed")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("main")).to_contain_text("reviewed: 2 faces added")
    assert sorted(DatasetFace.objects.filter(dataset="reviewed").values_list("emotion", flat=True)) == sorted(
        [first_label, third_label])


def test_faces_are_corrected_where_they_are_listed_one_by_key_or_menu_or_many_at_once(
        logged_in_page, processed_episode, user):
    episode = processed_episode("Listed", seconds=3, seed=301)
    page = logged_in_page
    faces = Detection.objects.published().filter(episode=episode).exclude(frame_image="").order_by("-confidence", "-id")
    character = faces.first().character

    # The frame search (a card per moment, its best face): tick up to three, label them all "fear" at once.
    page.goto("/frames/?min_confidence=0")
    results = page.locator(".frame-result")
    expect(results.first).to_be_visible()
    assert results.count() >= 2, "too few moments to label several at once"
    chosen = [results.nth(i) for i in range(min(3, results.count()))]
    ids = [int(result.get_attribute("data-id")) for result in chosen]
    character = Detection.objects.get(pk=ids[0]).character
    for result in chosen:
        result.get_by_role("checkbox").check()
    page.get_by_label("Label selected as").select_option("emotion:fear")
    page.get_by_role("button", name="Apply to selected").click()
    for result in chosen:
        expect(result.locator(".badge")).to_have_text("fear")
        expect(result.locator(".label-note")).to_have_text("Labelled fear.")
    assert sorted(Detection.objects.filter(pk__in=ids, emotion="fear", labelled=True).values_list("pk", flat=True)) \
        == sorted(ids)
    shoot(page, "frames-labels", full_page=False)

    # The episode's moments: a focused card takes a key; "u" undoes it.
    page.goto(f"/episodes/{episode.pk}/")
    row = page.locator("#moments .frame-result[data-face]").first
    face_id = int(row.get_attribute("data-face"))
    new = "disgust" if Detection.objects.get(pk=face_id).emotion != "disgust" else "neutral"
    row.focus()
    page.keyboard.press(_key(new))
    expect(row.locator(".label-note")).to_have_text(f"Labelled {new}.")
    expect(row.locator(".badge")).to_have_text(new)
    assert Detection.objects.get(pk=face_id).emotion == new
    page.keyboard.press("u")
    expect(row.locator(".label-note")).to_contain_text("Undone")
    assert not Detection.objects.get(pk=face_id).labelled

    # The character browser: the "Correct" menu marks a face "not a face"; it leaves the results.
    page.goto(f"/characters/{character.slug}/?emotion=fear")
    tile = page.locator(f"[data-face='{ids[0]}']")
    tile.get_by_role("button", name="Correct").click()
    tile.get_by_role("button", name="not a face").click()
    expect(tile.locator(".label-note")).to_contain_text("left out of the results")
    expect(tile).to_have_class(re.compile(r"\brejected\b"))
    assert Detection.objects.get(pk=ids[0]).rejected
    page.reload()
    expect(page.locator(f"[data-face='{ids[0]}']")).to_have_count(0)
