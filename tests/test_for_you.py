"""Likes and "For you" (services, selectors, API), and "More like this" explaining itself: crafted episodes with
known emotion shares, so the ranking, the cosines and the reasons can be checked to the number."""
import math

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from emotions.models import Detection
from recommender import alike
from recommender.models import Like
from recommender.services import like_set, like_toggle
from tests.factories import character, crafted_episode, held, user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def moods(user, media):
    """Sunny (Pip 60% happy, 40% sad), Bright (70% happy, 30% sad), Gloomy (90% sad, 10% happy), Cat nap
    (Marmalade only, angry) and Unseen (no faces)."""
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    return {
        "sunny": crafted_episode("Sunny", held(pip, "happy", 0, 6) + held(pip, "sad", 6, 10), owner=user,
                                 pictures=True),
        "bright": crafted_episode("Bright", held(pip, "happy", 0, 7, confidence=0.8)
                                  + [(pip, "happy", 7.5, 0.5, 0.95)] + held(pip, "sad", 8, 10.5),
                                  owner=user, pictures=True),
        "gloomy": crafted_episode("Gloomy", held(pip, "sad", 0, 9) + held(pip, "happy", 9, 10), owner=user,
                                  pictures=True),
        "cat": crafted_episode("Cat nap", held(cat, "angry", 0, 5), owner=user, pictures=True),
        "unseen": crafted_episode("Unseen", [], owner=user),
        "pip": pip, "marmalade": cat,
    }


def unit(profile: dict) -> dict:
    norm = math.sqrt(sum(v * v for v in profile.values()))
    return {key: value / norm for key, value in profile.items()}


def cosine(a: dict, b: dict) -> float:
    dot = sum(value * b.get(key, 0.0) for key, value in a.items())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


# -- the likes ---------------------------------------------------------------------------------------------------
def test_a_like_is_one_target_once_and_toggles(user, moods):
    sunny, pip = moods["sunny"], moods["pip"]
    assert like_toggle(user=user, episode=sunny) is True
    assert like_toggle(user=user, episode=sunny) is False
    assert not Like.objects.exists()
    assert like_set(user=user, episode=sunny, liked=True) and like_set(user=user, episode=sunny, liked=True)
    assert like_set(user=user, character=pip, liked=True)
    assert Like.objects.filter(user=user).count() == 2
    with pytest.raises(ValueError, match="exactly one"):
        like_set(user=user, episode=sunny, character=pip, liked=True)
    with pytest.raises(ValueError, match="exactly one"):
        like_toggle(user=user)
    with transaction.atomic(), pytest.raises(IntegrityError):  # the database keeps it to one target as well
        Like.objects.create(user=user, episode=sunny, character=pip)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Like.objects.create(user=user, episode=sunny)
    assert like_set(user=user, episode=sunny, liked=False) is False
    assert list(Like.objects.values_list("character__slug", flat=True)) == ["pip"]


# -- For you -----------------------------------------------------------------------------------------------------
def test_for_you_ranks_by_the_closest_like_and_names_the_character_and_emotion(user, moods):
    like_set(user=user, episode=moods["sunny"], liked=True)
    ranking = alike.for_you(user=user)

    # Sunny is liked (left out); Cat nap shares no character with it; Unseen has no profile.
    assert [r.episode.title for r in ranking] == ["Bright", "Gloomy"]
    sunny = {"happy": 0.6, "sad": 0.4}
    bright_profile = {"happy": 0.75, "sad": 0.25}
    bright, gloomy = ranking
    assert bright.similarity == pytest.approx(cosine(sunny, bright_profile))
    assert gloomy.similarity == pytest.approx(cosine(sunny, {"happy": 0.1, "sad": 0.9}))
    # Bright is alike mostly through Pip's happiness; Gloomy through his sadness.
    assert (bright.reason.character.slug, bright.reason.emotion) == ("pip", "happy")
    assert bright.reason.share == pytest.approx(0.75) and bright.reason.source_share == pytest.approx(0.6)
    assert bright.reason.source.episode == moods["sunny"]
    assert bright.reason.text() == "Like Sunny: Pip is happy 75% of the time (60% there)"
    assert (gloomy.reason.emotion, gloomy.reason.share) == ("sad", pytest.approx(0.9))
    assert gloomy.reason.text() == "Like Sunny: Pip is sad 90% of the time (40% there)"
    # The thumbnail: Pip's most confident happy face in Bright.
    face = Detection.objects.get(pk=bright.best_face)
    assert (face.episode, face.character.slug, face.emotion, face.confidence) == (moods["bright"], "pip", "happy",
                                                                                 0.95)
    assert bright.best_time == pytest.approx(7.5)
    assert Detection.objects.get(pk=gloomy.best_face).emotion == "sad"


def test_a_liked_character_brings_its_episodes_and_liked_episodes_stay_out(user, moods):
    like_set(user=user, episode=moods["sunny"], liked=True)
    like_set(user=user, episode=moods["bright"], liked=True)
    like_set(user=user, character=moods["marmalade"], liked=True)
    ranking = alike.for_you(user=user)

    # The taste: Sunny, Bright and Marmalade's usual mood, each a unit vector, added up.
    sunny, bright = unit({"pip happy": 0.6, "pip sad": 0.4}), unit({"pip happy": 0.75, "pip sad": 0.25})
    liked = {key: sunny.get(key, 0) + bright.get(key, 0) for key in sunny} | {"cat angry": 1.0}
    gloomy_profile, cat_profile = {"pip happy": 0.1, "pip sad": 0.9}, {"cat angry": 1.0}
    expected = sorted([("Gloomy", cosine(liked, gloomy_profile)), ("Cat nap", cosine(liked, cat_profile))],
                      key=lambda item: -item[1])
    assert [(r.episode.title, pytest.approx(r.similarity)) for r in ranking] == expected
    cat, gloomy = sorted(ranking, key=lambda r: r.episode.title)
    assert cat.reason.source.character == moods["marmalade"] and cat.reason.source.episode is None
    assert cat.reason.text() == "You like Marmalade: on screen 5 s, angry 100% of the time (100% over all episodes)"
    # Gloomy's reason is the closer of the two liked episodes: Sunny (60% happy) beats Bright (75%).
    assert gloomy.reason.source.episode == moods["sunny"]
    assert gloomy.reason.text() == "Like Sunny: Pip is sad 90% of the time (40% there)"


def test_no_likes_no_recommendations_and_other_viewers_likes_do_not_count(user, moods):
    other = user_make("bob")
    like_set(user=other, episode=moods["sunny"], liked=True)
    assert alike.for_you(user=user) == []
    like_set(user=user, episode=moods["unseen"], liked=True)  # liked, but nothing to compare it with
    assert alike.for_you(user=user) == []


def test_for_you_reads_a_bounded_number_of_queries_whatever_the_number_of_episodes(
    user, moods, django_assert_max_num_queries
):
    pip = moods["pip"]
    like_set(user=user, episode=moods["sunny"], liked=True)
    like_set(user=user, character=moods["marmalade"], liked=True)
    for n in range(30):
        crafted_episode(f"More {n}", held(pip, "happy", 0, 1 + n % 5) + held(pip, "sad", 5, 6), owner=user)
    with django_assert_max_num_queries(7):
        ranking = alike.for_you(user=user, limit=20)
    assert len(ranking) == 20
    assert [r.similarity for r in ranking] == sorted((r.similarity for r in ranking), reverse=True)


# -- More like this ----------------------------------------------------------------------------------------------
def test_more_like_this_gives_the_reason_with_both_shares_and_a_thumbnail(moods):
    similar = alike.episode_similar(episode=moods["sunny"])
    assert [s.episode.title for s in similar] == ["Bright", "Gloomy"]
    bright = similar[0]
    assert bright.reason.text(here=True) == "Pip is happy 75% of the time (60% here)"
    assert bright.shared_characters == ["pip"]
    assert Detection.objects.get(pk=bright.best_face).confidence == 0.95


# -- the API -----------------------------------------------------------------------------------------------------
def test_liking_through_the_api_and_for_you_with_reasons(api, user, moods):
    sunny = moods["sunny"]
    assert api.get(f"/api/episodes/{sunny.pk}/like/").json() == {"liked": False}
    response = api.post(f"/api/episodes/{sunny.pk}/like/")
    assert response.status_code == 200 and response.json() == {"liked": True}
    assert api.post(f"/api/episodes/{sunny.pk}/like/").json() == {"liked": True}  # twice: still one like
    assert api.post("/api/characters/marmalade/like/").json() == {"liked": True}
    assert Like.objects.filter(user=user).count() == 2

    body = api.get("/api/recommendations/for-you/").json()
    assert body["liked_episodes"] == [sunny.pk] and body["liked_characters"] == ["marmalade"]
    assert [(r["rank"], r["episode"]["title"]) for r in body["results"]] == [(1, "Cat nap"), (2, "Bright"),
                                                                             (3, "Gloomy")]
    bright = body["results"][1]
    assert bright["reason"] == {
        "text": "Like Sunny: Pip is happy 75% of the time (60% there)", "character": "pip", "emotion": "happy",
        "share": pytest.approx(0.75), "source_share": pytest.approx(0.6), "seconds": pytest.approx(10.0),
        "liked_episode": sunny.pk, "liked_character": None,
    }
    assert bright["thumbnail"].endswith(f"/api/detections/{bright['thumbnail'].split('/')[-2]}/crop.jpg")
    assert api.get(bright["thumbnail"]).status_code == 200
    assert body["results"][0]["reason"]["liked_character"] == "marmalade"
    assert api.get("/api/recommendations/for-you/?limit=1").json()["results"][0]["episode"]["title"] == "Cat nap"
    assert api.get("/api/recommendations/for-you/?limit=0").status_code == 400

    assert api.delete(f"/api/episodes/{sunny.pk}/like/").json() == {"liked": False}
    assert api.delete("/api/characters/marmalade/like/").json() == {"liked": False}
    assert api.get("/api/recommendations/for-you/").json()["results"] == []


def test_the_likes_api_refuses_visitors_and_unknown_targets(api, moods, settings):
    settings.PUBLIC_READ = True  # even where anyone may read, liking and For you need a login
    visitor = APIClient()
    for method, url in [("post", f"/api/episodes/{moods['sunny'].pk}/like/"), ("delete", "/api/characters/pip/like/"),
                        ("get", "/api/recommendations/for-you/")]:
        response = getattr(visitor, method)(url)
        assert response.status_code == 401, (url, response.content)
        assert "detail" in response.json()
    assert api.post("/api/episodes/999999/like/").status_code == 404
    assert api.post("/api/characters/nobody/like/").status_code == 404
    assert not Like.objects.exists()


def test_the_similar_api_explains_itself(api, moods):
    body = api.get(f"/api/recommendations/similar/{moods['sunny'].pk}/").json()
    first = body["results"][0]
    assert first["episode"]["title"] == "Bright"
    assert first["reason"]["text"] == "Like Sunny: Pip is happy 75% of the time (60% there)"
    assert (first["reason"]["character"], first["reason"]["emotion"]) == ("pip", "happy")
    assert first["thumbnail"].endswith("/crop.jpg")
