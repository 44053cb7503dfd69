"""The recommender through the API: episodes ranked by a character's emotion (on studio episodes with known
emotion screen times), the smoothing that keeps one frame from beating a long scene, alike episodes, and the
leaderboard."""
import pytest
from django.core.files import File

from emotions.services.episodes import episode_create
from emotions.services.ranges import episode_process_here
from recommender import selectors
from tests.factories import character, crafted_episode, held
from toonvision.studio.episode import write_episode

pytestmark = pytest.mark.django_db

HAPPY_SHARES = {"Glum": 0.2, "Middling": 0.5, "Sunny": 0.8}


@pytest.fixture(scope="module")
def biased_episodes(tmp_path_factory):
    """Three studio episodes in which Pip spends 20%, 50% and 80% of his screen time happy."""
    folder = tmp_path_factory.mktemp("biased")
    episodes = {}
    for seed, (title, share) in enumerate(HAPPY_SHARES.items(), start=41):
        path = folder / f"{title.lower()}.mp4"
        summary = write_episode(path, seconds=8, seed=seed, emotion_bias={"pip": {"happy": share}})
        episodes[title] = (path, summary["screen_time"]["pip"])
    return episodes


def test_recommendations_follow_the_true_order_of_happiness(api, user, cast, biased_episodes, settings):
    settings.EPISODE_RANGE_FRAMES = 96
    truth = {}
    for title, (path, screen_time) in biased_episodes.items():
        with open(path, "rb") as handle:
            episode = episode_create(owner=user, file=File(handle, name=path.name), title=title)
        episode_process_here(episode=episode)
        truth[title] = screen_time.get("happy", 0.0) / sum(screen_time.values())
    assert sorted(truth, key=truth.get) == ["Glum", "Middling", "Sunny"]

    response = api.get("/api/recommendations/?character=pip&emotion=happy")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["character"], body["emotion"], body["prior_share"]) == ("pip", "happy", pytest.approx(1 / 7))
    results = body["results"]
    assert [r["episode"]["title"] for r in results] == ["Sunny", "Middling", "Glum"]
    assert [r["rank"] for r in results] == [1, 2, 3]
    k = body["prior_seconds"]
    for r in results:
        # The figures behind each score are the score's own inputs, and they measure what the studio drew.
        assert r["score"] == pytest.approx((r["weighted_seconds"] + k / 7) / (r["character_seconds"] + k))
        assert r["share"] == pytest.approx(r["emotion_seconds"] / r["character_seconds"])
        assert r["weighted_seconds"] <= r["emotion_seconds"] <= r["character_seconds"] and r["detections"] > 0
        assert r["share"] == pytest.approx(truth[r["episode"]["title"]], abs=0.15)


def test_one_happy_frame_does_not_beat_a_long_happy_scene(user, settings):
    settings.RECOMMENDER_PRIOR_SECONDS = 30
    pip = character("pip")
    crafted_episode("One frame", held(pip, "happy", 5, 5 + 1 / 24, step=1 / 24, confidence=0.99), owner=user)
    crafted_episode("Long scene", held(pip, "happy", 0, 45, confidence=0.8) + held(pip, "sad", 45, 60), owner=user)
    crafted_episode("Moody", held(pip, "sad", 0, 50) + held(pip, "happy", 50, 52), owner=user)

    ranking = selectors.episode_ranking(character=pip, emotion="happy")

    assert [r.episode.title for r in ranking] == ["Long scene", "One frame", "Moody"]
    one, scene = ranking[1], ranking[0]
    assert one.share == 1.0 and scene.share == pytest.approx(0.75)  # raw shares say the opposite
    assert one.score == pytest.approx((0.99 / 24 + 30 / 7) / (1 / 24 + 30))
    assert scene.score == pytest.approx((36 + 30 / 7) / (60 + 30))
    assert one.score == pytest.approx(1 / 7, abs=0.002)  # a frame barely moves the even prior


def test_the_smoothing_favours_the_longer_of_two_equally_happy_episodes():
    short = selectors.smoothed_share(weighted_seconds=8, screen_seconds=10, k=30)
    long = selectors.smoothed_share(weighted_seconds=80, screen_seconds=100, k=30)
    assert 1 / 7 < short < long < 0.8


@pytest.mark.parametrize("query, status, words", [
    ("?character=pip&emotion=bored", 400, "emotion: unknown emotion bored; expected one of angry"),
    ("?character=tom&emotion=happy", 400, "character: unknown character 'tom'; known characters: pip"),
    ("?emotion=happy", 400, "character: This field is required."),
    ("?character=pip&emotion=happy&limit=0", 400, "limit: Ensure this value is greater than or equal to 1."),
    ("?character=pip&emotion=fear", 200, None),
])
def test_a_bad_recommendation_query_is_a_400_that_says_why(api, user, query, status, words):
    crafted_episode("Any", held(character("pip"), "happy", 0, 2), owner=user)
    response = api.get("/api/recommendations/" + query)
    assert response.status_code == status
    if words:
        assert words in response.json()["detail"], response.json()
    else:
        (only,) = response.json()["results"]
        assert only["emotion_seconds"] == 0 and only["score"] == pytest.approx((30 / 7) / (2 + 30))


def test_the_leaderboard_ranks_characters_by_the_same_smoothing(api, user):
    pip, cat, dog = character("pip", "Pip"), character("marmalade", "Marmalade"), character("bruno", "Bruno")
    crafted_episode("A", held(pip, "happy", 0, 30) + held(pip, "sad", 30, 50) + held(cat, "happy", 0, 0.5)
                    + held(dog, "happy", 0, 10) + held(dog, "angry", 10, 40), owner=user)
    crafted_episode("B", held(pip, "happy", 0, 10) + held(cat, "angry", 1, 2), owner=user)

    response = api.get("/api/leaderboard/?emotion=happy")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["character"]["slug"] for r in results] == ["pip", "bruno", "marmalade"]
    top = results[0]
    assert (top["emotion_seconds"], top["screen_seconds"], top["episodes"]) == (
        pytest.approx(40), pytest.approx(60), 2)
    assert top["score"] == pytest.approx((40 * 0.9 + 30 / 7) / (60 + 30))
    cat_row = results[2]
    assert cat_row["share"] == pytest.approx(0.5 / 1.5)  # a third of its little screen time, yet last
    assert api.get("/api/leaderboard/?emotion=glee").status_code == 400
    assert api.get("/api/leaderboard/").json()["detail"] == "emotion: This field is required."


def test_alike_episodes_share_characters_in_alike_moods(api, user):
    pip, cat = character("pip"), character("marmalade")
    a = crafted_episode("A", held(pip, "happy", 0, 8) + held(pip, "sad", 8, 10) + held(cat, "angry", 0, 5),
                        owner=user)
    crafted_episode("B", held(pip, "happy", 0, 7) + held(pip, "sad", 7, 10) + held(cat, "angry", 0, 3), owner=user)
    crafted_episode("C", held(pip, "sad", 0, 9) + held(pip, "happy", 9, 10), owner=user)
    crafted_episode("D", held(cat, "fear", 0, 5), owner=user)
    crafted_episode("E", [], owner=user)

    response = api.get(f"/api/recommendations/similar/{a.pk}/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["episode"] == a.pk
    assert [r["episode"]["title"] for r in body["results"]] == ["B", "C"]  # D shares a character, in no mood of A's
    b, c = body["results"]
    assert b["similarity"] > 0.95 > c["similarity"] > 0
    assert b["shared_characters"] == ["marmalade", "pip"] and c["shared_characters"] == ["pip"]
    # A: pip (0.8 happy, 0.2 sad), marmalade (1.0 angry); C: pip (0.1 happy, 0.9 sad).
    assert c["similarity"] == pytest.approx((0.8 * 0.1 + 0.2 * 0.9) / ((0.68 + 1) ** 0.5 * 0.82 ** 0.5))
    assert api.get("/api/recommendations/similar/999999/").status_code == 404
    assert api.get(f"/api/recommendations/similar/{a.pk}/?limit=1").json()["results"][0]["episode"]["title"] == "B"
