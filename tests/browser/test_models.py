"""The Models page in Chromium, as staff would use it: with labelled faces on the site (line-art studio faces, a look
the shipped weights never saw) and an imported dataset, reach "Models" from the navigation, start a training
from the active model, follow its live progress (epoch, loss, accuracy, time left) while a real Celery worker
trains, see the finished model in the registry's table beside the shipped one with its report, and activate it."""
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from emotions.models import EmotionModel
from tests.browser.pages import PASSWORD, log_in, shoot
from tests.emotion_faces import imported_dataset, labelled_site_faces
from toonvision.emotions import EMOTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TRAINING_TIMEOUT = 300_000  # ms: a fine-tuning on two shared cores


def test_a_model_trained_followed_compared_and_activated(queue_env, start_worker, page, settings):
    settings.EMOTION_TRAINING_STUDIO_FACES = 5
    start_worker({**queue_env, "EMOTION_TRAINING_DEVICE": "cpu", "EMOTION_TRAINING_STUDIO_FACES": "5"},
                 queues=queue_env["EPISODE_QUEUE"])
    labelled_site_faces(6, emotions=EMOTIONS)  # line-art, a look the shipped weights never saw
    imported_dataset("posters", 5, emotions=EMOTIONS)
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True)
    log_in(page, "sam")

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Models").click()
    expect(page.get_by_role("heading", name="Emotion models")).to_be_visible()
    table = page.locator("#models-table")
    expect(table.get_by_role("rowheader", name=re.compile("shipped toon.pt"))).to_be_visible()
    expect(page.get_by_label("the site's labelled faces (42)")).to_be_checked()
    expect(page.get_by_label("Imported: posters (35 faces)")).to_be_checked()
    expect(page.get_by_label("studio faces, so it does not forget")).to_be_checked()

    page.get_by_label("Name").fill("Line-art labels")
    page.get_by_label("Epochs").fill("30")
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_role("status").filter(has_text="Training “Line-art labels”")).to_be_visible()
    progress = page.locator("#training-text")
    expect(progress).to_contain_text(re.compile(r"epoch \d+ of 30 · loss \d\.\d+ · accuracy .* left"),
                                     timeout=TRAINING_TIMEOUT)
    shoot(page, "models-training", full_page=False)

    row = page.locator("#models-table tbody tr").filter(has_text="Line-art labels")
    expect(row.locator(".badge").first).to_have_text("done", timeout=TRAINING_TIMEOUT)
    expect(row).to_contain_text("from shipped toon.pt")
    expect(row).to_contain_text("dataset-posters 28+7")
    expect(page.get_by_role("heading", name="Report: Line-art labels")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Learning curves of Line-art labels"))).to_be_visible()
    shipped = page.locator(f"#model-{EmotionModel.objects.get(kind='shipped').pk}")
    expect(shipped.locator("td").nth(3)).to_contain_text("*")  # its site score, measured on the same faces
    assert page.locator(".f1-table tbody tr").count() == 7

    row.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status").filter(has_text="Re-classify stored faces")).to_be_visible()
    row = page.locator("#models-table tbody tr").filter(has_text="Line-art labels")
    expect(row.locator(".badge", has_text="active")).to_be_visible()
    # The active model offers to re-read the stored faces with it; the worker does, and the row says what changed.
    row.get_by_role("button", name="Re-classify stored faces").click()
    expect(page.get_by_role("status").filter(has_text="Re-reading every stored face")).to_be_visible()
    for _ in range(60):  # the page shows the outcome once the worker wrote it
        page.reload()
        note = page.locator("#models-table tbody tr").filter(has_text="Line-art labels").locator("[id^=reclassify-]")
        if "faces re-read" in (note.text_content() or ""):
            break
        page.wait_for_timeout(1000)
    expect(note).to_contain_text(re.compile(r"\d+ faces re-read \(\d+ changed, \d+ kept for their labels\)"))
    row = page.locator("#models-table tbody tr").filter(has_text="Line-art labels")
    expect(page.locator("#active-model")).to_have_text("Line-art labels")
    assert EmotionModel.objects.get(active=True).name == "Line-art labels"
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    shoot(page, "models")
