"""The drawing search through the API: the drawing kept under a token, its faces as read, for a chosen emotion or by
look only, in pages linked by `next` / `previous` with no new upload; the refusals; the OpenAPI schema says so."""
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories import character, crafted_episode, held, studio_face_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(media):
    """28 faces with crops: Pip happy (16) and angry (8), Marmalade sad (4)."""
    pip, marmalade = character("pip", "Pip"), character("marmalade", "Marmalade")
    crafted_episode("Cheese Heist", held(pip, "happy", 0, 2, confidence=0.9) + held(pip, "angry", 2, 3, confidence=0.7)
                    + held(marmalade, "sad", 0, 0.5, confidence=0.8), pictures=True)


def post(api, **data):
    drawing = SimpleUploadedFile("mine.png", studio_face_png("pip", "happy"), content_type="image/png")
    return api.post("/api/search/similar/", {"image": drawing, **data}, format="multipart")


def test_pages_follow_the_kept_drawing_with_no_new_upload(api, catalogue):
    first = post(api, limit=10)
    assert first.status_code == 200, first.json()
    body = first.json()
    token = body["drawing"]
    assert body["page"] == 1 and body["by_look"] is False and body["previous"] is None
    assert body["emotion"] == body["query"]["emotion"] and len(body["results"]) == 10
    assert body["next"].endswith(f"/api/search/similar/{token}/?limit=10&page=2")
    seen = [r["detection"]["id"] for r in body["results"]]
    url = body["next"]
    while url:
        page = api.get(url).json()
        seen += [r["detection"]["id"] for r in page["results"]]
        assert page["query"] == body["query"] and page["previous"]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 28 and page["page"] == 3


def test_a_chosen_emotion_comes_first_and_by_look_mixes_them(api, catalogue):
    angry = post(api, emotion="angry", character="pip", limit=30).json()
    assert angry["emotion"] == "angry"
    flags = [r["same_emotion"] for r in angry["results"]]
    assert flags == [True] * 8 + [False] * 16
    assert all((r["detection"]["emotion"] == "angry") == r["same_emotion"] for r in angry["results"])

    looks = api.get(f"/api/search/similar/{angry['drawing']}/", {"by_look": "true", "limit": 30}).json()
    assert looks["emotion"] is None and looks["by_look"] is True and looks["next"] is None
    assert {r["detection"]["emotion"] for r in looks["results"]} == {"happy", "angry", "sad"}
    scores = [r["similarity"] for r in looks["results"]]
    assert scores == sorted(scores, reverse=True)


def test_bad_choices_and_other_peoples_drawings_are_refused_with_the_reason(api, catalogue):
    cases = [({"emotion": "angry", "by_look": "true"}, "choose an emotion or by_look, not both"),
             ({"emotion": "glee"}, "unknown emotion glee"), ({"page": 0}, "page"), ({"page": 21}, "page")]
    for data, words in cases:
        refused = post(api, **data)
        assert refused.status_code == 400 and words in str(refused.json()), (data, refused.json())
    token = post(api).json()["drawing"]
    assert api.get(f"/api/search/similar/{token}/", {"emotion": "glee"}).status_code == 400
    missing = api.get("/api/search/similar/no-such-drawing-kept-here/")
    assert missing.status_code == 404 and "no drawing is kept under this token" in missing.json()["detail"]
    other = APIClient()
    other.force_authenticate(get_user_model().objects.create_user("bo"))
    assert other.get(f"/api/search/similar/{token}/").status_code == 404
    assert APIClient().get(f"/api/search/similar/{token}/").status_code == 401


def test_the_schema_documents_the_choice_and_the_pages(api):
    spec = api.get("/api/schema/?format=json").json()
    body = spec["components"]["schemas"]["SimilarSearchInputRequest"]["properties"]
    assert {"image", "emotion", "by_look", "page", "limit", "character"} <= set(body)
    assert body["emotion"]["allOf"] == [{"$ref": "#/components/schemas/EmotionEnum"}]
    assert body["by_look"]["type"] == "boolean" and body["by_look"]["default"] is False
    again = spec["paths"]["/api/search/similar/{token}/"]["get"]
    assert {"emotion", "by_look", "page", "limit", "character"} <= {p["name"] for p in again["parameters"]}
    assert set(again["responses"]) >= {"200", "404"}
    out = spec["components"]["schemas"]["SimilarSearchOutput"]["properties"]
    assert {"drawing", "emotion", "by_look", "page", "next", "previous", "results", "query"} <= set(out)
