"""The teaching pages through Django's client: the "New character" page (login, its form, bad input refused with a
reason and nothing kept), a taught character's page (examples, the Train button below the minimum, the report, the
preview's hits, the versions) and its actions (who may, bad input as a 4xx that says why), the episode page's
"Mark faces" panel and its suggested frames, and an episode with no faces."""
import html as entities
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from emotions.models import Character, CharacterExample, CharacterVersion
from emotions.services import teaching
from tests.factories import character, crafted_episode, held, studio_face_png, upload, user_make

pytestmark = pytest.mark.django_db


def pngs(count: int, slug: str = "pip") -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"face-{i}.png", studio_face_png(slug, "happy", seed=700 + i), "image/png")
            for i in range(count)]


@pytest.fixture
def taught(user, media):
    """Bramble, created by `user`, with three example faces."""
    bramble = teaching.character_create(name="Bramble", creator=user, files=pngs(3))
    return bramble


def refusal(response) -> str:
    match = re.search(r'<p class="error">(.*?)</p>', response.content.decode(), re.S)
    assert match, response.content.decode()[:2000]
    return entities.unescape(match.group(1))


# -- the "New character" page --------------------------------------------------------------------------------------
def test_the_new_character_page_needs_a_login(client, settings):
    settings.PUBLIC_READ = True
    response = client.get("/characters/new/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/characters/new/", {"name": "Sneaky"}).status_code == 302
    assert not Character.objects.filter(slug="sneaky").exists()


def test_a_new_character_is_made_from_a_name_and_images_then_its_page_opens(logged_in, user, media):
    page = logged_in.get("/characters/new/").content.decode()
    assert 'name="mirror" id="id_mirror" checked' in page and 'multiple accept=' in page

    response = logged_in.post("/characters/new/", {"name": "Bramble Fox", "examples": pngs(2)})  # mirror unticked
    assert response.status_code == 302 and response["Location"] == "/characters/bramble-fox/"
    made = Character.objects.get(slug="bramble-fox")
    assert (made.name, made.creator, made.mirror, made.active) == ("Bramble Fox", user, False, False)
    assert made.examples.filter(kind="positive").count() == 2

    html = logged_in.get(response["Location"]).content.decode()
    assert "Bramble Fox is here, with 2 examples." in html
    assert re.search(r'<button type="submit" id="train" disabled', html)
    assert "Needs at least 10 examples to train: it has 2. Mark 8 more." in html
    assert len(re.findall(r'<li class="tile example"', html)) == 2


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"name": ""}, 400, "Give the character a name."),
    ({"name": "x" * 101}, 400, "at most 100 characters"),
    ({"name": "???"}, 400, "needs a letter or a digit"),
])
def test_a_bad_name_is_refused_with_the_reason(logged_in, media, data, status, message):
    response = logged_in.post("/characters/new/", data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Character.objects.exists()


def test_a_name_taken_or_a_file_that_is_no_image_keeps_nothing(logged_in, taught, media):
    taken = logged_in.post("/characters/new/", {"name": "bramble"})
    assert taken.status_code == 409 and "already" in taken.content.decode()

    bad = SimpleUploadedFile("notes.png", b"a shopping list, not a face", "image/png")
    response = logged_in.post("/characters/new/", {"name": "Juniper", "examples": [*pngs(1), bad]})
    assert response.status_code == 400
    assert "notes.png" in response.content.decode()
    assert not Character.objects.filter(slug="juniper").exists()
    assert not CharacterExample.objects.exclude(character=taught).exists()


def test_the_character_list_links_the_new_character_page_for_those_logged_in(logged_in, settings, media):
    settings.PUBLIC_READ = True
    assert 'href="/characters/new/"' in logged_in.get("/characters/").content.decode()
    assert 'href="/characters/new/"' not in Client().get("/characters/").content.decode()


# -- a taught character's page and its actions -------------------------------------------------------------------
def test_a_shipped_characters_page_has_no_teaching_section(logged_in, media):
    character("pip", "Pip")
    assert 'id="teaching"' not in logged_in.get("/characters/pip/").content.decode()


def test_only_the_creator_or_staff_may_train_and_others_are_told_why(client, taught, media):
    client.force_login(user_make("bob"))
    html = client.get("/characters/bramble/").content.decode()
    assert 'id="teaching"' in html and 'id="train"' not in html and 'value="delete-example"' not in html
    response = client.post("/characters/bramble/teach/", {"action": "train"})
    assert response.status_code == 403
    assert refusal(response) == "Only Bramble's creator or staff may teach it."
    assert not CharacterVersion.objects.exists()


def test_teaching_actions_need_a_login(client, taught, settings):
    settings.PUBLIC_READ = True
    response = client.post("/characters/bramble/teach/", {"action": "train"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("data", "status", "message"), [
    ({}, 400, "Say what to do (action)."),
    ({"action": "dance"}, 400, "Unknown action “dance”"),
    ({"action": "train"}, 400, "Bramble has 3 example faces; training needs at least 10"),
    ({"action": "accept"}, 400, "Accept needs version."),
    ({"action": "accept", "version": "7"}, 404, "Bramble has no version 7."),
    ({"action": "delete-example", "example": "999999"}, 404, "Bramble has no example 999999."),
    ({"action": "mark-wrong", "version": "1", "hit": "-1"}, 400, "greater than or equal to 0"),
    ({"action": "find-everywhere"}, 409, "Bramble has no accepted version yet"),
    ({"action": "add-examples"}, 400, "Choose at least one image or ZIP to add."),
])
def test_bad_teaching_actions_are_a_4xx_that_says_why(logged_in, taught, data, status, message):
    response = logged_in.get("/characters/bramble/")
    response = logged_in.post("/characters/bramble/teach/", data)
    assert response.status_code == status, response.content.decode()[:1500]
    assert message in refusal(response)
    assert 'href="/characters/bramble/#teaching"' in response.content.decode()


def test_examples_are_added_and_deleted_from_the_page(logged_in, taught):
    added = logged_in.post("/characters/bramble/teach/", {"action": "add-examples", "examples": pngs(2)})
    assert added.status_code == 302 and added["Location"] == "/characters/bramble/#teaching"
    assert taught.examples.count() == 5
    first = taught.examples.order_by("pk").first()
    response = logged_in.post("/characters/bramble/teach/", {"action": "delete-example", "example": first.pk})
    assert response.status_code == 302
    assert taught.examples.count() == 4 and not CharacterExample.objects.filter(pk=first.pk).exists()
    assert "Example deleted." in logged_in.get("/characters/bramble/").content.decode()


@pytest.fixture
def trained(user, taught, studio_episode, media):
    """Version 1 of Bramble as training leaves it: a report and a preview of two frames of a real episode (two
    hits on the first, one on the second). Its cascade is a shipped one: the page never runs it."""
    episode = upload(studio_episode, title="Burrow", owner=user)
    preview = [{"episode": episode.pk, "frame": 5, "image": "previews/none.jpg", "hits": [[10, 20, 40, 40],
                                                                                            [200, 100, 60, 60]]},
               {"episode": episode.pk, "frame": 40, "image": "previews/none.jpg", "hits": [[300, 120, 50, 50]]}]
    version = CharacterVersion.objects.create(
        character=taught, number=1, status="done", cascade="cascades/pip.xml", cascade_sha256="0" * 64,
        detection={"scale_factor": 1.1, "min_neighbors": 3, "min_size": 24, "max_size": 0}, device="cpu",
        seconds=17.4, examples_used=12, preview=preview, created_by=user,
        report={"holdout_hit_rate": 0.9375, "holdout_false_alarms_per_frame": 0.12, "examples": 12,
                "holdout_examples": 4, "stages_trained": 9, "stop_reason": "false alarm target met",
                "holdout_colour_pass_rate": 1.0},
    )
    return version, episode


def test_a_trained_versions_report_preview_and_accept(logged_in, trained):
    version, episode = trained
    html = logged_in.get("/characters/bramble/").content.decode()
    assert '<dd id="report-hit-rate">94%</dd>' in html and '<dd id="report-false-alarms">0.12</dd>' in html
    assert "17.4 s" in html and "<dd>cpu</dd>" in html and "12 (4 held out)" in html
    assert '<dd id="report-colours">100%</dd>' in html
    hits = re.findall(r'<button type="submit" class="hit" style="left: ([\d.]+)%; top: ([\d.]+)%', html)
    assert len(hits) == 3 and float(hits[0][0]) == pytest.approx(100 * 10 / episode.width, abs=1e-3)
    assert 'name="hit" value="2"' in html  # hits are numbered across the frames
    assert 'id="find-everywhere"' not in html  # not before a version is accepted

    # A hit marked wrong becomes a negative example and is drawn as such.
    response = logged_in.post("/characters/bramble/teach/", {"action": "mark-wrong", "version": 1, "hit": 2})
    assert response.status_code == 302
    negative = CharacterExample.objects.get(character=version.character, kind="negative")
    assert (negative.frame, negative.box, negative.source) == (40, (300, 120, 50, 50), "preview")
    html = logged_in.get("/characters/bramble/").content.decode()
    assert len(re.findall(r'class="hit wrong"', html)) == 1 and "(1 marked wrong)" in html

    # A missed face, its box in the frame's pixels, becomes an example.
    response = logged_in.post("/characters/bramble/teach/", {"action": "add-missed", "version": 1, "preview": 0,
                                                              "x": 500, "y": 150, "w": 80, "h": 80})
    assert response.status_code == 302
    assert CharacterExample.objects.filter(character=version.character, source="preview", kind="positive").count() == 1
    bad = logged_in.post("/characters/bramble/teach/", {"action": "add-missed", "version": 1, "preview": 0,
                                                         "x": 5000, "y": 150, "w": 80, "h": 80})
    assert bad.status_code == 400 and "frame" in refusal(bad)

    response = logged_in.post("/characters/bramble/teach/", {"action": "accept", "version": 1})
    assert response.status_code == 302
    bramble = Character.objects.get(slug="bramble")
    assert bramble.active and bramble.active_version == version
    html = logged_in.get("/characters/bramble/").content.decode()
    assert "Version 1 accepted" in html and 'id="find-everywhere"' in html and 'id="accept"' not in html
    assert re.search(r'<tr data-number="1" class="active-version">', html)


def test_a_training_under_way_shows_its_progress_and_can_be_cancelled(logged_in, taught):
    CharacterVersion.objects.create(character=taught, number=1, status="training",
                                    progress={"stage": 3, "stages": 12, "hit_rate": 0.995, "false_alarm": 0.41,
                                              "phase": "training"})
    html = logged_in.get("/characters/bramble/").content.decode()
    assert "Training · stage 3 of 12 · hit rate 99.5% · false alarms 41.0%." in html
    assert 'value="0.250"' in html and 'id="train"' not in html
    assert re.search(r'data-poll="/api/characters/bramble/versions/1/"', html)
    response = logged_in.post("/characters/bramble/teach/", {"action": "cancel", "version": 1})
    assert response.status_code == 302
    assert CharacterVersion.objects.get(number=1).cancel_requested
    again = logged_in.post("/characters/bramble/teach/", {"action": "train"})
    assert again.status_code == 409 and "being trained already" in refusal(again)


# -- the episode page ------------------------------------------------------------------------------------------------
def test_mark_faces_is_offered_to_those_logged_in(logged_in, taught, settings, media):
    settings.PUBLIC_READ = True
    pip = character("pip", "Pip")
    episode = crafted_episode("Cheese Heist", held(pip, "happy", 0, 2))
    html = logged_in.get(f"/episodes/{episode.pk}/").content.decode()
    assert 'id="marking-toggle"' in html and "emotions/marking.js" in html and 'id="marking-canvas"' in html
    assert '<option value="Bramble">' in html
    assert re.search(r'<li data-slug="bramble"><a href="/characters/bramble/">Bramble</a> <span class="count">3</span>',
                     html)
    anonymous = Client().get(f"/episodes/{episode.pk}/").content.decode()
    assert "marking" not in anonymous

    # Its suggested frames come as a fragment once the panel opens; an episode without a stored video has no shots
    # to find but still answers.
    fragment = logged_in.get(f"/episodes/{episode.pk}/marking/frames")
    assert fragment.status_code == 200 and 'data-frame="0"' in fragment.content.decode()
    assert logged_in.get("/episodes/999999/marking/frames").status_code == 404


def test_an_episode_with_no_faces_says_who_was_looked_for_and_how_to_teach_someone_new(logged_in, settings):
    settings.PUBLIC_READ = True
    episode = crafted_episode("Empty Meadow", [])
    episode.current_run.cascades = [{"slug": "pip", "name": "Pip"}, {"slug": "marmalade", "name": "Marmalade"}]
    episode.current_run.save()
    html = logged_in.get(f"/episodes/{episode.pk}/").content.decode()
    assert "No face was found in this episode." in html and "Looked for Pip and Marmalade." in html
    assert 'href="?mark=1#marking" id="no-faces-mark"' in html
    anonymous = Client().get(f"/episodes/{episode.pk}/").content.decode()
    assert f'href="/accounts/login/?next=/episodes/{episode.pk}/%3Fmark%3D1">Log in</a> to mark' in anonymous
    listed = logged_in.get("/episodes/").content.decode()
    assert "No face found; looked for Pip and Marmalade." in listed
