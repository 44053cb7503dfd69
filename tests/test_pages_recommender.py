"""The recommendations and leaderboard pages through Django's test client: the ranking order and the figures
behind each score, plain-words 400s for unknown names, who may read them, and a bounded number of queries."""
import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    client.force_login(get_user_model().objects.create_user("ana", password="x"))
    return client


@pytest.fixture
def moods(settings):
    """Pip happy 40 of 50 s in Sunny and 5 of 50 s in Glum; Marmalade a little happy, mostly angry."""
    settings.RECOMMENDER_PRIOR_SECONDS = 30
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    glum = crafted_episode("Glum", held(pip, "happy", 0, 5) + held(pip, "sad", 5, 50) + held(cat, "angry", 0, 20))
    sunny = crafted_episode("Sunny", held(pip, "happy", 0, 40) + held(pip, "sad", 40, 50)
                            + held(cat, "happy", 0, 2) + held(cat, "angry", 2, 10))
    return {"pip": pip, "cat": cat, "glum": glum, "sunny": sunny}


def ranked_titles(html: str) -> list[str]:
    """The linked titles of a ranked list, in the order shown."""
    return re.findall(r'<span class="sr-only">Rank \d+: </span><a href="[^"]+">([^<]+)</a>', html)


def figures(html: str, title: str) -> dict[str, str]:
    """The figures (dt -> dd) shown in the ranked entry of `title`."""
    entry = html[html.index(f">{title}</a>"):]
    entry = entry[:entry.index("</dl>")]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", entry))


def test_the_happier_episode_ranks_first_with_the_figures_behind_its_score(reader, moods):
    response = reader.get("/recommendations/?character=pip&emotion=happy")

    assert response.status_code == 200
    html = response.content.decode()
    assert ranked_titles(html) == ["Sunny", "Glum"]
    assert f'href="/episodes/{moods["sunny"].pk}/">Sunny</a>' in html
    assert figures(html, "Sunny") == {
        "Happy": "40.0 s", "Confidence-weighted": "36.0 s", "Pip on screen": "50.0 s", "Share": "80%", "Faces": "320",
    }
    assert figures(html, "Glum")["Share"] == "10%"
    assert f"score <strong>{(36 + 30 / 7) / (50 + 30):.3f}</strong>" in html
    assert "(seconds in the emotion, each weighted by the model's confidence + 30 ÷ 7) ÷ (seconds on screen + 30)" \
        in " ".join(html.split())  # the exact sum, under the plain words
    # The best score fills its bar; the others are drawn relative to it.
    bars = [float(v) for v in re.findall(r"--value: ([0-9.]+)", html)]
    assert bars[0] == 1.0 and 0 < bars[1] < 1


@pytest.mark.parametrize("query, reason", [
    ("?character=tom&emotion=happy", "Unknown character “tom”: the known characters are marmalade, pip."),
    ("?character=pip&emotion=bored",
     "Unknown emotion “bored”: choose one of angry, disgust, fear, happy, neutral, sad, surprise."),
    ("?emotion=happy", "Choose a character."),
])
def test_an_unknown_name_is_a_400_that_says_why_and_shows_the_form_again(reader, moods, query, reason):
    response = reader.get("/recommendations/" + query)

    assert response.status_code == 400
    html = response.content.decode()
    assert reason in html
    assert '<select name="character"' in html and 'value="surprise"' in html  # the form, to pick again
    assert ranked_titles(html) == []


def test_without_a_query_the_page_offers_the_form_and_a_one_click_example(reader, moods):
    html = reader.get("/recommendations/").content.decode()

    assert '<option value="pip">Pip</option>' in html and '<option value="marmalade">Marmalade</option>' in html
    assert 'href="/recommendations/?character=pip&amp;emotion=happy">the happiest Pip</a>' in html
    assert ranked_titles(html) == []


def test_a_character_never_seen_gets_an_empty_ranking_that_says_why(reader, moods):
    character("bruno", "Bruno")
    response = reader.get("/recommendations/?character=bruno&emotion=sad")

    assert response.status_code == 200
    assert "Bruno has not been seen in any processed episode yet" in response.content.decode()


def test_the_leaderboard_ranks_characters_by_happy_by_default(reader, moods):
    response = reader.get("/leaderboard/")

    assert response.status_code == 200
    html = response.content.decode()
    assert ranked_titles(html) == ["Pip", "Marmalade"]
    assert 'href="/characters/pip/">Pip</a>' in html
    assert figures(html, "Pip") == {
        "Happy": "45.0 s", "Confidence-weighted": "40.5 s", "On screen": "100.0 s", "Share": "45%", "Episodes": "2",
    }
    assert 'href="/leaderboard/?emotion=happy" aria-current="page">Happy</a>' in html
    assert 'href="/recommendations/?character=pip&amp;emotion=happy"' in html  # on to the episodes


def test_the_shipped_cast_is_named_with_its_species_where_it_is_pictured(reader, moods):
    moods["pip"].shipped = True
    moods["pip"].save(update_fields=["shipped"])
    board = reader.get("/leaderboard/").content.decode()
    assert 'href="/characters/pip/">Pip</a> <small class="muted species">the mouse</small>' in board
    assert ">Marmalade</a></h3>" in board  # not shipped here: no species claimed
    ranking = reader.get("/recommendations/?character=pip&emotion=happy").content.decode()
    assert 'The happiest Pip <small class="muted species">(the mouse)</small>:' in ranking


def test_the_leaderboard_follows_the_emotion_asked_for(reader, moods):
    html = reader.get("/leaderboard/?emotion=angry").content.decode()
    assert ranked_titles(html) == ["Marmalade", "Pip"]
    assert 'aria-current="page">Angry</a>' in html


def test_an_unknown_emotion_on_the_leaderboard_is_a_400_with_the_reason(reader, moods):
    response = reader.get("/leaderboard/?emotion=glee")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown emotion “glee”: choose one of angry, disgust, fear, happy" in html
    assert 'href="/leaderboard/?emotion=sad"' in html and ranked_titles(html) == []


def test_an_empty_site_says_there_is_nothing_to_rank_yet(reader):
    assert "No episode has been processed yet" in reader.get("/leaderboard/").content.decode()


@pytest.mark.parametrize("url", ["/recommendations/?character=pip&emotion=happy", "/leaderboard/"])
def test_visitors_log_in_first_unless_the_site_is_public(client, moods, settings, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")

    settings.PUBLIC_READ = True
    assert ranked_titles(client.get(url).content.decode())[0] in {"Sunny", "Pip"}


@pytest.mark.parametrize("url", ["/recommendations/", "/recommendations/?character=pip&emotion=happy",
                                 "/leaderboard/?emotion=sad"])
def test_the_pages_make_a_few_queries_however_many_episodes(reader, moods, django_assert_max_num_queries, url):
    for n in range(25):
        crafted_episode(f"More {n}", held(moods["pip"], "happy", 0, 1) + held(character(f"extra{n}"), "sad", 0, 1))
    with django_assert_max_num_queries(6):
        html = reader.get(url).content.decode()
    assert len(ranked_titles(html)) <= 20


@pytest.mark.parametrize("url", ["/recommendations/?character=pip&emotion=happy", "/leaderboard/?emotion=happy"])
def test_the_ranking_is_explained_in_plain_words_behind_a_disclosure(reader, moods, url):
    page = reader.get(url).content.decode()
    disclosure = re.search(r'<details class="formula">\s*<summary>How is this ranked\?</summary>(.*?)</details>',
                           page, re.S)
    assert disclosure, "the explanation folds away behind 'How is this ranked?'"
    words = " ".join(disclosure.group(1).split())
    assert "a character seen only for a moment is treated as if it had also spent 30 more seconds" in words
    assert "one happy frame does not make the happiest episode" in words
    assert "k/7" not in page and "k = " not in page


def test_each_ranked_episode_shows_its_best_face_and_jumps_to_that_moment(reader, moods):
    page = reader.get("/recommendations/?character=pip&emotion=happy").content.decode()
    sunny = moods["sunny"]
    best = sunny.detections.filter(character=moods["pip"], emotion="happy").order_by("-confidence", "time", "id")[0]

    assert f'<img src="/api/detections/{best.pk}/crop.jpg"' in page
    assert f'href="/episodes/{sunny.pk}/?t={best.time:.2f}">Jump to Pip\'s happy moment at 0:00</a>' in page
    assert '<img class="portrait" src="/cast/pip.png"' in page


def test_the_leaderboard_shows_portraits_and_each_characters_best_moment(reader, moods):
    page = reader.get("/leaderboard/?emotion=angry").content.decode()
    assert '<img src="/cast/marmalade.png"' in page
    assert "Jump to Marmalade's angriest moment" in page


def test_thumbnails_cost_no_query_per_ranked_row(reader, moods, django_assert_max_num_queries):
    for n in range(15):
        crafted_episode(f"More {n}", held(moods["pip"], "happy", 0, 2))
    with django_assert_max_num_queries(12):
        assert reader.get("/recommendations/?character=pip&emotion=happy").status_code == 200
