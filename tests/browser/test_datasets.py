"""The Datasets page in Chromium: from the characters' page to "Download dataset", the ZIP of the labelled faces
read back by uploading it, and the crops' native pixel sizes on the character browser."""
import re
import zipfile

import pytest
from playwright.sync_api import expect

from emotions.models import DatasetFace, Detection
from tests.browser.pages import shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_download_the_labelled_faces_and_read_them_back(logged_in_page, processed_episode, tmp_path):
    page = logged_in_page
    episode = processed_episode("Pip's Picnic", seconds=6, seed=321)
    faces = list(Detection.objects.filter(episode=episode).order_by("pk"))
    labelled = faces[::2]
    Detection.objects.filter(pk__in=[d.pk for d in labelled]).update(labelled=True)

    page.goto("/characters/")
    page.get_by_role("link", name="Datasets").click()
    expect(page).to_have_url(re.compile(r"/datasets/$"))
    expect(page.get_by_role("main")).to_contain_text(f"{len(labelled)} faces labelled by people so far")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download dataset").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    names = [n for n in zipfile.ZipFile(saved).namelist() if n.endswith(".png")]
    assert len(names) == len(labelled) and all(re.match(r"^[a-z]+/[a-z]+/(training|testing)/\d+-e\d+-f\d+\.png$", n)
                                               for n in names)

    page.get_by_label("Dataset ZIP").set_input_files(str(saved))
    page.get_by_label("Name (default: the ZIP's)").fill("picnic-labels")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("main")).to_contain_text(f"picnic-labels: {len(labelled)} faces added")
    row = page.get_by_role("row", name=re.compile("picnic-labels"))
    expect(row).to_contain_text(str(len(labelled)))
    assert DatasetFace.objects.filter(dataset="picnic-labels").count() == len(labelled)
    shoot(page, "datasets")

    # A refused ZIP says why, on the page, and keeps nothing.
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as pack:
        pack.writestr("pip/joyful/a.png", b"x")
    page.get_by_label("Dataset ZIP").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown emotion folder 'joyful'")
    assert DatasetFace.objects.count() == len(labelled)

    # The character browser says each crop's native size.
    shown = faces[0]
    page.goto(f"/characters/{shown.character.slug}/?emotion={shown.emotion}")
    expect(page.locator(".crop-size").first).to_have_text(re.compile(r"^\d+×\d+ px$"))
