"""The character pages through Django's client: the cast's tiles, a character's emotion tabs and their keyset
pages of moments (dealt out by episode), the breakdown chart, bad input, the read rule and a bounded number of
queries."""
import re

import pytest
from django.contrib.auth import get_user_model

from emotions.models import Character
from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public(settings, media):
    settings.PUBLIC_READ = True


@pytest.fixture
def cast_data():
    """Pip (a shipped cast member) mostly happy, Rex (no portrait) angry, Nobody never seen."""
    pip = character("pip", "Pip")
    Character.objects.filter(pk=pip.pk).update(shipped=True)
    rex, nobody = character("rex", "Rex Dog"), character("nobody", "Nobody")
    first = crafted_episode("Cheese Heist", held(pip, "happy", 0, 3, confidence=0.9, track=1)
                            + held(pip, "sad", 3, 4, track=1) + held(rex, "angry", 0, 2, confidence=0.7, track=2),
                            pictures=True)
    second = crafted_episode("Night Shift", held(pip, "happy", 0, 1, confidence=0.95, track=1)
                             + [(rex, "angry", 5.0, 0.125, 0.99)], pictures=True)
    return {"pip": pip, "rex": rex, "nobody": nobody, "episodes": (first, second)}


def tile(html: str, slug: str) -> str:
    match = re.search(rf'<li class="tile character-tile[^"]*">\s*<a href="/characters/{slug}/".*?</li>', html, re.S)
    assert match, f"no tile for {slug}"
    return match.group(0)


def test_the_cast_page_shows_each_character_with_screen_time_dominant_emotion_and_picture(client, cast_data):
    html = client.get("/characters/").content.decode()

    pip = tile(html, "pip")
    assert 'src="/cast/pip.png"' in pip  # the shipped cast has studio portraits
    assert "0:05 on screen in 2 episodes" in pip  # 3 s + 1 s in the first episode, 1 s in the second
    assert 'Mostly <span class="badge emo-happy">happy</span> 80%' in pip

    rex = tile(html, "rex")
    best = cast_data["rex"].detections.order_by("-confidence").first()
    assert best.confidence == 0.99 and f'src="/api/detections/{best.pk}/crop.jpg"' in rex  # its most confident face
    assert 'badge emo-angry">angry' in rex

    nobody = tile(html, "nobody")
    assert ">N</span>" in nobody and "<img" not in nobody  # initials, no picture to show
    assert "Not seen in any processed episode yet" in nobody


def test_a_character_page_has_emotion_tabs_with_counts_and_the_dominant_one_open(client, cast_data):
    response = client.get("/characters/pip/")
    html = response.content.decode()
    assert response.status_code == 200
    tabs = re.findall(r'<a role="tab" id="tab-(\w+)".*?aria-selected="(\w+)".*?<span class="count"[^>]*>(\d+)</span>',
                      html, re.S)
    assert [t[0] for t in tabs] == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    assert dict((t[0], int(t[2])) for t in tabs)["happy"] == 32 and dict((t[0], int(t[2])) for t in tabs)["sad"] == 8
    assert [t[0] for t in tabs if t[1] == "true"] == ["happy"]
    assert 'href="?emotion=sad"' in html  # each tab is a real link

    # The tab lists moments, not frames: Pip's 32 happy faces are two moments, one an episode, the surest first.
    moments = response.context["moments"]
    assert [(m.episode.title, m.emotion, m.best_confidence, m.faces) for m in moments] == [
        ("Night Shift", "happy", 0.95, 8), ("Cheese Heist", "happy", 0.9, 24)]
    first = moments[0].best
    card = re.search(rf'<li class="tile frame-result emo-happy" data-id="{first.pk}" data-moment="{moments[0].pk}">'
                     r'.*?</li>', html, re.S).group(0)
    assert f'href="/episodes/{first.episode_id}/?t=0.00"' in card  # opens the episode at the moment's start
    assert f'<img loading="lazy" src="/api/detections/{first.pk}/crop.jpg"' in card  # its best face, large
    assert f'src="/api/detections/{first.pk}/frame.jpg"' in card  # and its frame, the inset
    assert "Night Shift" in card and "0:00–0:01 (1.0 s)" in card and "8 faces" in card
    assert 'name="ids"' in card and 'id="download"' in html  # ticked for the references ZIP


def test_the_chart_gives_each_emotions_share_and_seconds_as_text(client, cast_data):
    html = client.get("/characters/pip/?emotion=sad").content.decode()
    chart = re.search(r'<figure class="card chart".*?</figure>', html, re.S).group(0)
    happy = re.search(r'<li class="emo-happy".*?</li>', chart, re.S).group(0)
    assert "--value: 0.8000" in happy and "<strong>80.0%</strong> · 4.0 s · 32 faces" in happy
    sad = re.search(r'<li class="emo-sad".*?</li>', chart, re.S).group(0)
    assert "<strong>20.0%</strong> · 1.0 s · 8 faces" in sad
    assert '<a role="tab" id="tab-sad" class="emo-sad" href="?emotion=sad"\n       aria-controls="gallery" ' \
           'aria-selected="true"' in html


def pages(client, url: str) -> list[list[int]]:
    """Follow the "Next page" links from url; the ids of each page."""
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen.append([m.best_id for m in response.context["moments"]])
        following = re.search(r'<a class="next-link" rel="next" href="([^"]+)"', response.content.decode())
        url = "/characters/pip/" + following.group(1).replace("&amp;", "&") if following else None
    return seen


def test_keyset_pages_continue_each_other_with_no_repeat_and_no_gap(client):
    pip = character("pip", "Pip")
    # 110 lone faces (a moment each), many sharing a confidence, so the id must break the ties between pages.
    faces = [(pip, "happy", i * 0.1, 0.1, round(0.5 + (i % 7) * 0.05, 2)) for i in range(110)]
    crafted_episode("Long", faces, pictures=True)
    expected = list(pip.detections.order_by("-confidence", "-id").values_list("pk", flat=True))

    seen = pages(client, "/characters/pip/?emotion=happy")

    assert [len(p) for p in seen] == [24, 24, 24, 24, 14]
    assert sum(seen, []) == expected


def test_the_fragment_is_only_the_tiles_and_the_pager(client, cast_data):
    response = client.get("/characters/pip/?emotion=sad&fragment=1")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "<nav" not in html
    assert html.count('<li class="tile frame-result emo-sad"') == 1 and "8 faces" in html  # Pip's sad moment
    assert 'data-gallery' in html and "<form" not in html  # the cards only: the page keeps its form


def test_a_tab_deals_its_moments_out_by_episode_and_marks_the_unsure(client):
    pip = character("pip", "Pip")
    # Episode A's four moments are all surer than B's: by confidence alone A would fill the tab's top rows.
    crafted_episode("A", [(pip, "surprise", i, 0.5, 0.95 - i * 0.01) for i in range(4)], pictures=True)
    crafted_episode("B", [(pip, "surprise", i, 0.5, 0.45 - i * 0.01) for i in range(2)], pictures=True)
    response = client.get("/characters/pip/?emotion=surprise")
    assert [m.episode.title for m in response.context["moments"]] == ["A", "B", "A", "B", "A", "A"]
    cards = re.findall(r'<li class="tile frame-result.*?</li>', response.content.decode(), re.S)
    assert ['class="unsure"' in card for card in cards] == [False, True, False, True, False, False]


def test_an_unknown_character_is_a_404_page(client, cast_data):
    response = client.get("/characters/nobody-at-all/")
    assert response.status_code == 404 and b"<html" in response.content.lower()


@pytest.mark.parametrize("query, message", [
    ("emotion=grumpy", "unknown emotion grumpy; expected one of angry, disgust, fear, happy, neutral, sad, surprise"),
    ("emotion=happy&after=lots", "&#x27;lots&#x27; is not a page key"),
    ("emotion=happy&after=2.5_10", "is not a page key"),
])
def test_bad_tabs_or_page_keys_are_a_400_that_says_why(client, cast_data, query, message):
    response = client.get(f"/characters/pip/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_pages_need_a_login_unless_the_site_is_public(client, cast_data, settings):
    settings.PUBLIC_READ = False
    for url in ("/characters/", "/characters/pip/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"
    client.force_login(get_user_model().objects.create_user("ana", password="x"))
    assert client.get("/characters/pip/").status_code == 200


def test_the_pages_make_a_bounded_number_of_queries(client, django_assert_max_num_queries, cast_data):
    for n in range(6):  # more characters and episodes must not mean more queries
        crafted_episode(f"More {n}", held(character(f"extra{n}"), "fear", 0, 1), pictures=True)
    with django_assert_max_num_queries(4):
        assert client.get("/characters/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/characters/rex/?emotion=angry").status_code == 200
