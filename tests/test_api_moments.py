"""GET /api/moments/: moments (one track's run of one emotion) with the frame search's filters, cursor pages, each
with its best face's crop and frame URLs; bad filters are a 400 naming what is known; the read rule; the schema."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from emotions.models import Moment, ProcessingRun, Status
from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenes(settings, media):
    settings.PUBLIC_READ = True
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    first = crafted_episode("Cheese Heist", held(pip, "happy", 0, 1, confidence=0.9, track=1)
                            + held(pip, "angry", 1, 1.5, confidence=0.6, track=1), pictures=True)
    second = crafted_episode("Night Shift", held(cat, "happy", 2, 3, confidence=0.8, track=4), pictures=True)
    return first, second


def test_moments_are_listed_most_confident_first_with_their_best_face(scenes):
    first, second = scenes
    response = APIClient().get("/api/moments/")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["character"]["slug"], r["emotion"], r["best_confidence"]) for r in rows] == [
        ("pip", "happy", 0.9), ("marmalade", "happy", 0.8), ("pip", "angry", 0.6)]
    happy = rows[0]
    best = Moment.objects.get(pk=happy["id"]).best
    assert {key: happy[key] for key in ("track", "start", "end", "faces", "mean_confidence")} == {
        "track": 1, "start": 0.0, "end": 1.0, "faces": 8, "mean_confidence": pytest.approx(0.9)}
    assert happy["episode"]["id"] == first.pk and happy["episode"]["title"] == "Cheese Heist"
    assert happy["best"]["id"] == best.pk and happy["best"]["time"] == 0.0
    assert happy["best"]["crop_url"] == f"http://testserver/api/detections/{best.pk}/crop.jpg"
    assert happy["best"]["frame_url"] == f"http://testserver/api/detections/{best.pk}/frame.jpg"
    assert APIClient().get(happy["best"]["crop_url"]).status_code == 200
    assert rows[1]["start"] == 2.0 and rows[1]["end"] == 3.0 and rows[1]["episode"]["id"] == second.pk


@pytest.mark.parametrize("query, expected", [
    ("character=pip", [("pip", "happy"), ("pip", "angry")]),
    ("emotion=happy", [("pip", "happy"), ("marmalade", "happy")]),
    ("min_confidence=0.7", [("pip", "happy"), ("marmalade", "happy")]),
    ("character=pip&emotion=angry", [("pip", "angry")]),
])
def test_the_frame_searchs_filters_narrow_the_moments(scenes, query, expected):
    rows = APIClient().get(f"/api/moments/?{query}").json()["results"]
    assert [(r["character"]["slug"], r["emotion"]) for r in rows] == expected


def test_episode_filter_cursor_pages_and_unfinished_runs(scenes):
    first, second = scenes
    rows = APIClient().get(f"/api/moments/?episode={second.pk}").json()["results"]
    assert {r["episode"]["id"] for r in rows} == {second.pk}
    page = APIClient().get("/api/moments/?page_size=2").json()
    following = APIClient().get(page["next"]).json()
    assert len(page["results"]) == 2 and [r["emotion"] for r in following["results"]] == ["angry"]
    assert following["next"] is None
    ProcessingRun.objects.filter(pk=first.current_run_id).update(status=Status.PROCESSING)
    assert {r["episode"]["id"] for r in APIClient().get("/api/moments/").json()["results"]} == {second.pk}


@pytest.mark.parametrize("query, message", [
    ("character=pipp", "unknown character 'pipp'; known characters: marmalade, pip"),
    ("emotion=grumpy", "unknown emotion grumpy"),
    ("episode=99999", "no episode 99999"),
    ("min_confidence=2", "less than or equal to 1"),
])
def test_bad_filters_are_a_400_saying_why(scenes, query, message):
    response = APIClient().get(f"/api/moments/?{query}")
    assert response.status_code == 400 and message in response.content.decode()


def test_a_private_site_needs_a_login_and_the_schema_documents_moments(scenes, settings, api):
    settings.PUBLIC_READ = False
    assert APIClient().get("/api/moments/").status_code in (401, 403)
    assert api.get("/api/moments/").status_code == 200
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/moments/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"character", "emotion", "min_confidence", "episode",
                                                            "cursor", "page_size"}
    assert api.get("/api/").json()["moments"].endswith(reverse("api:moment-list"))
