"""The like buttons, the For you page and "More like this" as a browser gets them (Django's test client)."""
import re

import pytest

from recommender.models import Like
from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


@pytest.fixture
def moods(user, media):
    pip = character("pip", "Pip")
    return {
        "sunny": crafted_episode("Sunny", held(pip, "happy", 0, 6) + held(pip, "sad", 6, 10), owner=user,
                                 pictures=True),
        "bright": crafted_episode("Bright", held(pip, "happy", 0, 7.5) + held(pip, "sad", 7.5, 10), owner=user,
                                  pictures=True),
        "gloomy": crafted_episode("Gloomy", held(pip, "sad", 0, 9) + held(pip, "happy", 9, 10), owner=user,
                                  pictures=True),
    }


def test_visitors_are_sent_to_log_in_and_cannot_like(client, moods):
    response = client.get("/recommendations/for-you/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    response = client.post(f"/likes/episodes/{moods['sunny'].pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Like.objects.exists()


def test_with_no_likes_the_page_says_how_to_get_recommendations(logged_in, moods):
    page = logged_in.get("/recommendations/for-you/").content.decode()
    assert "Like something to get recommendations" in page
    assert 'href="/leaderboard/"' in page and 'href="/episodes/"' in page
    assert '<a href="/recommendations/for-you/" aria-current="page">For you</a>' in page  # in the navigation


def test_the_like_button_toggles_and_for_you_ranks_with_reasons_and_thumbnails(logged_in, user, moods):
    sunny = moods["sunny"]
    page = logged_in.get(f"/episodes/{sunny.pk}/").content.decode()
    assert f'action="/likes/episodes/{sunny.pk}/"' in page and 'aria-pressed="false"' in page

    response = logged_in.post(f"/likes/episodes/{sunny.pk}/", {"next": f"/episodes/{sunny.pk}/?t=2"})
    assert response.status_code == 302 and response["Location"] == f"/episodes/{sunny.pk}/?t=2"
    assert Like.objects.filter(user=user, episode=sunny).exists()
    page = logged_in.get(f"/episodes/{sunny.pk}/").content.decode()
    assert 'aria-pressed="true"' in page and "You like Sunny: your For you page counts it." in page

    page = logged_in.get("/recommendations/for-you/").content.decode()
    titles = re.findall(r'<h3><span class="sr-only">Rank \d+: </span><a href="/episodes/\d+/">([^<]+)</a>', page)
    assert titles == ["Bright", "Gloomy"]  # Sunny is liked, so left out
    assert "Like <em>Sunny</em>: Pip is happy 75% of the time (60% there)" in page
    assert "Like <em>Sunny</em>: Pip is sad 90% of the time (40% there)" in page
    assert len(re.findall(r'<img src="/api/detections/\d+/crop.jpg"', page)) == 2
    assert "Jump to Pip's happy moment at 0:00" in page

    # A second press unlikes; a "next" elsewhere is not followed.
    response = logged_in.post(f"/likes/episodes/{sunny.pk}/", {"next": "https://elsewhere.example/"})
    assert response["Location"] == f"/episodes/{sunny.pk}/"
    assert not Like.objects.exists()
    assert logged_in.get(f"/likes/episodes/{sunny.pk}/").status_code == 405
    assert logged_in.post("/likes/episodes/999999/").status_code == 404


def test_a_character_can_be_liked_from_its_page(logged_in, user, moods):
    page = logged_in.get("/characters/pip/").content.decode()
    assert 'action="/likes/characters/pip/"' in page
    logged_in.post("/likes/characters/pip/", {"next": "/characters/pip/"})
    assert Like.objects.get(user=user).character.slug == "pip"
    page = logged_in.get("/recommendations/for-you/").content.decode()
    assert "You like <em>Pip</em>: on screen 10 s, happy 75% of the time (" in page


def test_more_like_this_explains_itself_with_a_thumbnail(logged_in, moods):
    page = logged_in.get(f"/episodes/{moods['sunny'].pk}/").content.decode()
    similar = page[page.index("More like this"):]
    assert similar.index("<strong>Bright") < similar.index("<strong>Gloomy")
    assert "Pip is happy 75% of the time (60% here)" in similar
    assert "Pip is sad 90% of the time (40% here)" in similar
    assert len(re.findall(r'<img src="/api/detections/\d+/crop.jpg"', similar)) == 2
