"""Labels through DRF's client: a corrected face shows its label in the face search, the subtitles, the timeline and
the recommendations' figures; a rejected face leaves them; undo, bulk, the Review batch; and no label without a
login."""
import pytest
from rest_framework.test import APIClient

from emotions.models import CharacterExample, Detection, FaceLabel
from tests.factories import character, crafted_episode, frame_at_video_size, held

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles")]


@pytest.fixture
def scene(media, user):
    """Pip sad for 2 s (8 faces a second... 16 faces), nothing else: easy figures to follow."""
    return crafted_episode("Scene", held(character("pip", "Pip"), "sad", 0, 2, step=0.5, confidence=0.6), owner=user,
                           pictures=True)


def _faces(scene):
    return list(Detection.objects.filter(episode=scene).order_by("time"))


def _happy_pip(api) -> dict:
    body = api.get("/api/recommendations/?character=pip&emotion=happy").json()
    return next((r for r in body["results"]), None)


@pytest.mark.parametrize("method,url,body", [
    ("post", "/api/detections/{pk}/labels/", {"verdict": "emotion", "emotion": "happy"}),
    ("post", "/api/detections/labels/", {"ids": ["{pk}"], "emotion": "happy"}),
    ("delete", "/api/detections/{pk}/labels/latest/", None),
    ("get", "/api/review/", None),
    ("get", "/api/detections/{pk}/labels/", None),
])
def test_anonymous_users_cannot_label_even_on_a_public_site(scene, settings, method, url, body):
    settings.PUBLIC_READ = True
    face = _faces(scene)[0]
    if body and "ids" in body:
        body = {**body, "ids": [face.pk]}
    response = getattr(APIClient(), method)(url.format(pk=face.pk), body, format="json")
    assert response.status_code == 401, response.content
    assert "login" in response.json()["detail"].lower() or "log in" in response.json()["detail"].lower()
    face.refresh_from_db()
    assert face.emotion == "sad" and not face.labelled and not FaceLabel.objects.exists()


def test_a_corrected_face_shows_its_label_everywhere_and_undo_puts_it_back(api, scene):
    first = _faces(scene)[0]
    assert _happy_pip(api)["weighted_seconds"] == 0

    response = api.post(f"/api/detections/{first.pk}/labels/", {"verdict": "emotion", "emotion": "happy"},
                        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["label"]["model_emotion"] == "sad" and body["label"]["model_confidence"] == pytest.approx(0.6)
    assert body["label"]["user"] == "ana" and body["face"]["emotion"] == "happy" and body["face"]["labelled"]

    found = api.get("/api/detections/?emotion=happy").json()["results"]
    assert [(f["id"], f["confidence"], f["labelled"]) for f in found] == [(first.pk, 1.0, True)]
    vtt = api.get(f"/api/episodes/{scene.pk}/subtitles.vtt").content.decode()
    assert "00:00:00.000 --> 00:00:00.500\nPip: happy" in vtt
    buckets = api.get(f"/api/episodes/{scene.pk}/timeline/?bucket=1").json()
    assert "happy" in str(buckets)
    figures = _happy_pip(api)  # the summaries were rebuilt: half a second of happy, at full weight
    assert (figures["emotion_seconds"], figures["weighted_seconds"]) == (pytest.approx(0.5), pytest.approx(0.5))

    history = api.get(f"/api/detections/{first.pk}/labels/").json()
    assert [(h["verdict"], h["emotion"]) for h in history] == [("emotion", "happy")]

    undone = api.delete(f"/api/detections/{first.pk}/labels/latest/")
    assert undone.status_code == 200 and undone.json()["label"] is None
    assert undone.json()["face"]["emotion"] == "sad" and undone.json()["face"]["confidence"] == pytest.approx(0.6)
    assert _happy_pip(api)["emotion_seconds"] == 0
    again = api.delete(f"/api/detections/{first.pk}/labels/latest/")
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_undo"


def test_a_face_marked_not_a_face_leaves_every_result_and_becomes_a_negative_example(api, scene):
    face = _faces(scene)[1]
    frame_at_video_size(face)
    response = api.post(f"/api/detections/{face.pk}/labels/", {"verdict": "not_face"}, format="json")
    assert response.status_code == 201 and response.json()["rejected"]

    assert face.pk not in [f["id"] for f in api.get("/api/detections/?character=pip").json()["results"]]
    assert api.get(f"/api/detections/{face.pk}/crop.jpg").status_code == 404
    assert "00:00:00.500 --> 00:00:01.000" not in api.get(f"/api/episodes/{scene.pk}/subtitles.vtt").content.decode()
    detail = api.get("/api/characters/pip/").json()
    assert sum(e["seconds"] for e in detail["emotions"]) == pytest.approx(1.5)
    negative = CharacterExample.objects.get(kind="negative")
    assert (negative.episode_id, negative.frame, negative.source) == (scene.pk, face.frame, "label")
    # the character's examples list shows it, for its detector's next training
    examples = api.get("/api/characters/pip/examples/?kind=negative").json()
    assert [e["id"] for e in examples] == [negative.pk]


def test_bulk_labels_a_selection_all_or_none(api, scene):
    ids = [f.pk for f in _faces(scene)]
    bad = api.post("/api/detections/labels/", {"ids": [*ids, 987654], "emotion": "fear"}, format="json")
    assert bad.status_code == 400 and "987654" in bad.json()["detail"]
    assert not FaceLabel.objects.exists()
    no_emotion = api.post("/api/detections/labels/", {"ids": ids, "verdict": "emotion"}, format="json")
    assert no_emotion.status_code == 400 and no_emotion.json()["code"] == "bad_emotion"

    done = api.post("/api/detections/labels/", {"ids": ids[:3], "emotion": "fear"}, format="json")
    assert done.status_code == 201 and len(done.json()["labels"]) == 3
    body = api.get("/api/recommendations/?character=pip&emotion=fear").json()["results"][0]
    assert body["emotion_seconds"] == pytest.approx(1.5)


def test_only_the_author_or_staff_undo_a_label(api, other_api, staff_api, scene):
    face = _faces(scene)[0]
    api.post(f"/api/detections/{face.pk}/labels/", {"emotion": "happy"}, format="json")
    refused = other_api.delete(f"/api/detections/{face.pk}/labels/latest/")
    assert refused.status_code == 403 and "whoever gave" in refused.json()["detail"]
    assert staff_api.delete(f"/api/detections/{face.pk}/labels/latest/").status_code == 200


def test_review_gives_the_least_sure_unlabelled_faces_and_the_running_count(api, media, user):
    pip = character("pip", "Pip")
    episode = crafted_episode("Mixed", held(pip, "happy", 0, 1, step=0.5, confidence=0.95)
                              + held(pip, "sad", 1, 2, step=0.5, confidence=0.35), owner=user, pictures=True)
    body = api.get("/api/review/?limit=3").json()
    assert [f["confidence"] for f in body["faces"]] == [0.35, 0.35, 0.95] and body["labelled_by_you"] == 0
    assert body["faces"][0]["crop_url"] and body["faces"][0]["frame_url"] and body["faces"][0]["margin"] >= 0
    api.post(f"/api/detections/{body['faces'][0]['id']}/labels/", {"emotion": "sad"}, format="json")
    after = api.get("/api/review/?limit=3").json()
    assert body["faces"][0]["id"] not in [f["id"] for f in after["faces"]] and after["labelled_by_you"] == 1
    skip = ",".join(str(f["id"]) for f in after["faces"][:1])
    assert after["faces"][0]["id"] not in [f["id"] for f in api.get(f"/api/review/?skip={skip}").json()["faces"]]
    assert api.get(f"/api/review/?episode={episode.pk}&character=pip").status_code == 200
    assert api.get("/api/review/?character=nobody").status_code == 404
    assert api.get("/api/review/?limit=0").status_code == 400
    assert api.get("/api/review/?skip=a,b").status_code == 400


def test_a_label_on_an_unknown_face_or_with_a_bad_emotion_is_a_clear_400_or_404(api, scene):
    face = _faces(scene)[0]
    assert api.post("/api/detections/999999/labels/", {"emotion": "happy"}, format="json").status_code == 404
    bad = api.post(f"/api/detections/{face.pk}/labels/", {"emotion": "bored"}, format="json")
    assert bad.status_code == 400 and "emotion" in bad.json()["errors"]
    odd = api.post(f"/api/detections/{face.pk}/labels/", {"verdict": "not_face", "emotion": "happy"}, format="json")
    assert odd.status_code == 400 and odd.json()["code"] == "bad_emotion"
    face.refresh_from_db()
    assert face.emotion == "sad" and not FaceLabel.objects.exists()
