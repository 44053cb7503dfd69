"""The teaching API through DRF's client: creating a character from example faces, its examples (boxes on frames,
uploads), training, versions, the preview's marks, finding it everywhere; who may do what (one user never changes
another's character); bad input is a 4xx that says what is wrong, and nothing of it is kept."""
import io
import zipfile

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.models import Character, CharacterExample, CharacterVersion
from emotions.services.teaching import MIN_EXAMPLES
from tests.checks import media_files
from tests.factories import studio_face_png, upload
from tests.processes import ROOT
from tests.teaching import marked_boxes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles")]


@pytest.fixture
def episode(media, guest_episode, user):
    return upload(guest_episode, title="Bramble's day", owner=user)


@pytest.fixture
def bramble(api, media):
    response = api.post("/api/characters/", {"name": "Bramble"}, format="multipart")
    assert response.status_code == 201, response.json()
    return Character.objects.get(slug="bramble")


def png(name="face.png", seed=1):
    return SimpleUploadedFile(name, studio_face_png(seed=seed), content_type="image/png")


def mark(api, episode, guest_episode, count, slug="bramble"):
    for frame, box in marked_boxes(guest_episode, count):
        response = api.post(f"/api/characters/{slug}/examples/", {"episode": episode.pk, "frame": frame, "box": box},
                            format="json")
        assert response.status_code == 201, response.json()


def trained(character, episode):
    """A version as a finished training leaves one (the shipped Pip cascade standing in for what it learnt), with a
    one-frame preview of the episode: for the API's shapes; tests/services and tests/integration train for real."""
    cascade = default_storage.save("cascades/taught/bramble-v1.xml",
                                   ContentFile((ROOT / "cascades" / "pip.xml").read_bytes()))
    frame = default_storage.save("previews/bramble/v1/00.jpg",
                                 ContentFile(cv2.imencode(".jpg", np.zeros((48, 64, 3), np.uint8))[1].tobytes()))
    return CharacterVersion.objects.create(
        character=character, number=1, status="done", cascade=cascade, cascade_sha256="a" * 64,
        detection={"scale_factor": 1.1, "min_neighbors": 4, "min_size": 30, "max_size": 0},
        report={"holdout_hit_rate": 0.95, "holdout_false_alarms_per_frame": 0.1, "seconds": 12.0, "device": "cpu"},
        device="cpu", seconds=12.0, examples_used=20,
        preview=[{"episode": episode.pk, "frame": 12, "image": frame, "hits": [[100, 50, 80, 80], [300, 60, 70, 70]]}],
    )


# -- creating a character ----------------------------------------------------------------------------------------
def test_anyone_logged_in_creates_a_character_from_example_faces(api, media):
    files = [png("a.png", 1), png("b.png", 2)]
    response = api.post("/api/characters/", {"name": "Juniper Rabbit", "mirror": "false", "examples": files},
                        format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["slug"], body["creator"], body["active"], body["mirror"], body["has_cascade"]) == (
        "juniper-rabbit", "ana", False, False, False)
    assert (body["example_count"], body["min_examples"], body["can_teach"], body["versions"]) == (
        2, MIN_EXAMPLES, True, [])
    assert body["active_version"] is None and response["Location"].endswith("/api/characters/juniper-rabbit/")


def test_creating_needs_a_login_and_a_name(client, api, media):
    assert client.post("/api/characters/", {"name": "X"}).status_code == 401
    response = api.post("/api/characters/", {"examples": [png()]}, format="multipart")
    assert response.status_code == 400 and "name" in response.json()["errors"]


def test_a_non_image_among_the_examples_creates_nothing(api, media):
    files = [png(), SimpleUploadedFile("notes.png", b"just text")]
    response = api.post("/api/characters/", {"name": "Clover", "examples": files}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == "notes.png: not a readable image (corrupt, truncated or an unsupported format)"
    assert not Character.objects.filter(slug="clover").exists() and media_files(media) == []


def test_a_taken_name_is_a_409(api, bramble):
    response = api.post("/api/characters/", {"name": "bramble"}, format="multipart")
    assert response.status_code == 409 and "add examples to it" in response.json()["detail"]


def test_a_cascade_upload_stays_for_staff_only(api, media):
    with open(ROOT / "cascades" / "pip.xml", "rb") as handle:
        response = api.post("/api/characters/", {"name": "X", "slug": "x", "cascade": handle}, format="multipart")
    assert response.status_code == 403 and "only staff" in response.json()["detail"]


# -- examples ----------------------------------------------------------------------------------------------------
def test_boxes_on_frames_and_uploads_become_examples(api, other_api, bramble, episode, guest_episode):
    mark(api, episode, guest_episode, 2)
    response = api.post("/api/characters/bramble/examples/", {"episode": episode.pk, "time": 1.5,
                                                              "box": [10, 10, 40, 40], "kind": "negative"},
                        format="json")
    assert response.status_code == 201
    negative = response.json()["examples"][0]
    assert (negative["kind"], negative["frame"], negative["box"]) == ("negative", 36, [10, 10, 40, 40])
    uploaded = other_api.post("/api/characters/bramble/examples/", {"files": [png(), png("c.png", 3)]},
                              format="multipart")  # another user may add examples to ana's character
    assert uploaded.status_code == 201 and len(uploaded.json()["examples"]) == 2
    listed = api.get("/api/characters/bramble/examples/").json()
    assert [e["source"] for e in listed] == ["frame", "frame", "frame", "upload", "upload"]
    assert len(api.get(f"/api/characters/bramble/examples/?episode={episode.pk}&kind=positive").json()) == 2
    picture = api.get(listed[0]["image_url"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert api.get("/api/characters/bramble/").json()["example_count"] == 4


@pytest.mark.parametrize("body, words", [
    ({"episode": 99999, "frame": 0, "box": [0, 0, 40, 40]}, "episode: no episode 99999"),
    ({"frame": 0, "box": [0, 0, 40, 40]}, "episode: This field is required."),
    ({"episode": "EP", "frame": 0, "box": [800, 400, 100, 100]}, "is outside the frame, which is 854 x 480 pixels"),
    ({"episode": "EP", "frame": 0, "box": [0, 0, 40]}, "box: Ensure this field has at least 4 elements."),
    ({"episode": "EP", "frame": 100000, "box": [0, 0, 40, 40]}, "frame 100000 is not in the episode"),
    ({"episode": "EP", "box": [0, 0, 40, 40]}, "say which frame"),
    ({"episode": "EP", "frame": 0, "box": [0, 0, 40, 40], "kind": "maybe"}, "kind"),
])
def test_a_bad_box_is_a_400_that_says_why(api, bramble, episode, media, body, words):
    body = {key: episode.pk if value == "EP" else value for key, value in body.items()}
    before = media_files(media)
    response = api.post("/api/characters/bramble/examples/", body, format="json")
    assert response.status_code == 400, response.json()
    assert words in response.json()["detail"], response.json()
    assert not CharacterExample.objects.exists() and media_files(media) == before


@pytest.mark.parametrize("case, status, words", [
    ("no files", 400, "no files: send one or more images"),
    ("not an image", 400, "evil.jpg: not a readable image"),
    ("zip bomb", 413, "unpacks to more than"),
    ("oversize", 413, "an example image may be"),
])
def test_a_bad_upload_is_refused_in_words_and_keeps_nothing(api, bramble, media, settings, case, status, words):
    settings.MAX_EXAMPLE_UNPACKED_BYTES = 1024 * 1024
    files = []
    if case == "not an image":
        files = [png(), SimpleUploadedFile("evil.jpg", b"<html><script>alert(1)</script></html>")]
    elif case == "zip bomb":
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("face.png", b"\0" * (6 * 1024 * 1024))
        files = [SimpleUploadedFile("faces.zip", archive.getvalue())]
    elif case == "oversize":
        settings.MAX_IMAGE_UPLOAD_BYTES = 2000
        files = [png()]
    before = media_files(media)
    response = api.post("/api/characters/bramble/examples/", {"files": files, "kind": "positive"},
                        format="multipart")
    assert response.status_code == status, response.json()
    assert words in response.json()["detail"]
    assert not CharacterExample.objects.exists() and media_files(media) == before


def test_only_the_adder_or_the_creator_moves_or_deletes_an_example(api, other_api, staff_api, bramble, episode):
    made = other_api.post("/api/characters/bramble/examples/", {"episode": episode.pk, "frame": 5,
                                                                "box": [0, 0, 40, 40]}, format="json").json()
    mine = api.post("/api/characters/bramble/examples/", {"episode": episode.pk, "frame": 6,
                                                          "box": [0, 0, 40, 40]}, format="json").json()
    url, my_url = (f"/api/characters/bramble/examples/{e['examples'][0]['id']}/" for e in (made, mine))
    refused = other_api.delete(my_url)  # bob may not change ana's character's examples
    assert refused.status_code == 403 and "creator of Bramble" in refused.json()["detail"]
    assert other_api.patch(my_url, {"box": [5, 5, 40, 40]}, format="json").status_code == 403
    moved = other_api.patch(url, {"box": [20, 30, 50, 40]}, format="json")  # his own, he may
    assert moved.status_code == 200 and moved.json()["box"] == [20, 30, 50, 40]
    outside = api.patch(url, {"box": [20, 30, 5000, 40]}, format="json")
    assert outside.status_code == 400 and "outside the frame" in outside.json()["detail"]
    assert api.delete(url).status_code == 204  # ana created Bramble: she may
    assert staff_api.delete(my_url).status_code == 204
    assert api.get(url).status_code == 404 and not CharacterExample.objects.exists()


# -- training and versions ---------------------------------------------------------------------------------------
def test_training_below_the_minimum_is_a_400_and_another_user_is_a_403(api, other_api, bramble, episode,
                                                                        guest_episode):
    mark(api, episode, guest_episode, 3)
    response = api.post("/api/characters/bramble/train/")
    assert response.status_code == 400 and response.json()["code"] == "too_few_examples"
    assert response.json()["detail"] == (f"Bramble has 3 example faces; training needs at least {MIN_EXAMPLES} "
                                         "(and works best from 20 or more)")
    mark(api, episode, guest_episode, MIN_EXAMPLES)
    refused = other_api.post("/api/characters/bramble/train/")
    assert refused.status_code == 403 and refused.json() == {
        "detail": "only the creator of Bramble or staff may do this", "code": "not_allowed"}
    started = api.post("/api/characters/bramble/train/")
    assert started.status_code == 202, started.json()
    assert (started.json()["number"], started.json()["status"]) == (1, "queued")
    assert api.post("/api/characters/bramble/train/").status_code == 409
    assert other_api.post("/api/characters/bramble/versions/1/cancel/").status_code == 403
    cancelled = api.post("/api/characters/bramble/versions/1/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.post("/api/characters/bramble/versions/1/cancel/").status_code == 409
    assert [v["status"] for v in api.get("/api/characters/bramble/versions/").json()] == ["cancelled"]
    assert api.get("/api/characters/bramble/versions/7/").status_code == 404


def test_a_trained_version_is_read_accepted_marked_and_found_everywhere(api, other_api, bramble, episode):
    assert api.post("/api/characters/bramble/find-everywhere/").status_code == 409  # nothing accepted yet
    trained(bramble, episode)
    body = api.get("/api/characters/bramble/versions/1/").json()
    assert (body["status"], body["report"]["holdout_hit_rate"], body["seconds"], body["device"]) == (
        "done", 0.95, 12.0, "cpu")
    assert body["preview"][0]["hits"] == [[100, 50, 80, 80], [300, 60, 70, 70]]
    picture = api.get(body["preview"][0]["image_url"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    assert api.get("/api/characters/bramble/versions/1/preview/3.jpg").status_code == 404

    assert other_api.post("/api/characters/bramble/versions/1/accept/").status_code == 403
    accepted = api.post("/api/characters/bramble/versions/1/accept/")
    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["active"], accepted.json()["active_version"], accepted.json()["min_neighbors"]) == (
        True, 1, 4)
    assert api.post("/api/characters/bramble/versions/1/activate/").status_code == 200

    wrong = api.post("/api/characters/bramble/versions/1/preview/wrong/", {"frame_index": 0, "hit_index": 1},
                     format="json")
    assert wrong.status_code == 201 and (wrong.json()["kind"], wrong.json()["box"]) == ("negative", [300, 60, 70, 70])
    assert api.post("/api/characters/bramble/versions/1/preview/wrong/", {"hit_index": 5},
                    format="json").status_code == 400
    missed = api.post("/api/characters/bramble/versions/1/preview/missed/",
                      {"frame_index": 0, "box": [500, 100, 60, 60]}, format="json")
    assert missed.status_code == 201 and (missed.json()["kind"], missed.json()["frame"]) == ("positive", 12)
    assert other_api.post("/api/characters/bramble/versions/1/preview/missed/",
                          {"frame_index": 0, "box": [500, 100, 60, 60]}, format="json").status_code == 403

    assert other_api.post("/api/characters/bramble/find-everywhere/").status_code == 403
    found = api.post("/api/characters/bramble/find-everywhere/")
    assert found.status_code == 202 and found.json() == {"episodes": 1}
    looked_for = api.get(f"/api/episodes/{episode.pk}/").json()["looked_for"]
    assert {"slug": "bramble", "name": "Bramble", "faces": 0} in looked_for


def test_a_version_not_trained_cannot_be_accepted(api, bramble):
    CharacterVersion.objects.create(character=bramble, number=1, status="failed", error="too few")
    response = api.post("/api/characters/bramble/versions/1/accept/")
    assert response.status_code == 409 and "only a trained version" in response.json()["detail"]
