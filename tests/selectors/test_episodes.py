"""Episode selectors called directly: the timeline's buckets add up to the episode's summaries, and the subtitle
cues merge each character's runs of one emotion and cut where any run starts or ends."""
import pytest

from emotions.selectors.episodes import episode_character_emotions, episode_emotion_cues, episode_timeline
from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


def test_timeline_buckets_add_up_to_the_summaries():
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    episode = crafted_episode("Sunny", held(pip, "happy", 0, 7) + held(pip, "sad", 7, 9.5)
                              + held(cat, "angry", 4.5, 6), duration=10)

    buckets = episode_timeline(episode=episode, bucket=3)

    assert [(b["start"], b["end"]) for b in buckets] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    totals: dict[tuple[str, str], float] = {}
    for b in buckets:
        for slug, emotions in b["characters"].items():
            for emotion, seconds in emotions.items():
                totals[(slug, emotion)] = totals.get((slug, emotion), 0.0) + seconds
    summaries = {(c["slug"], emotion): figures["seconds"]
                 for c in episode_character_emotions(episode=episode)
                 for emotion, figures in c["emotions"].items()}
    assert totals.keys() == summaries.keys()
    for key, seconds in summaries.items():
        assert totals[key] == pytest.approx(seconds)
    assert buckets[0]["characters"] == {"pip": {"happy": pytest.approx(3.0)}}


def test_a_timeline_of_too_many_buckets_is_refused_saying_the_smallest_bucket():
    episode = crafted_episode("Long", [], duration=3600)
    with pytest.raises(ValueError, match="choose a bucket of at least"):
        episode_timeline(episode=episode, bucket=0.01)


def test_cues_merge_runs_and_share_a_cue_when_characters_are_on_screen_together():
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    episode = crafted_episode("Together", held(pip, "happy", 0, 4) + held(cat, "angry", 2, 6), duration=8)

    cues = episode_emotion_cues(episode=episode)

    assert [(c.start, c.end, c.labels) for c in cues] == [
        (0, 2, {"Pip": "happy"}),
        (2, 4, {"Marmalade": "angry", "Pip": "happy"}),
        (4, 6, {"Marmalade": "angry"}),
    ]
