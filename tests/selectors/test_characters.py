"""Character selectors called directly: the emotion breakdown across episodes, and keyset pages of moments that,
with ties in confidence, neither repeat nor skip one."""
import pytest

from emotions.selectors.characters import character_emotion_breakdown
from emotions.selectors.moments import character_moment_page
from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


def test_breakdown_sums_screen_time_over_episodes_per_emotion():
    pip = character("pip", "Pip")
    crafted_episode("One", held(pip, "happy", 0, 3) + held(pip, "sad", 3, 4))
    crafted_episode("Two", held(pip, "happy", 0, 2) + held(character("rex"), "angry", 0, 5))

    breakdown = character_emotion_breakdown(character=pip)

    assert breakdown["seconds"] == pytest.approx(6.0) and breakdown["episodes"] == 2
    by = {row["emotion"]: row for row in breakdown["emotions"]}
    assert list(by) == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    assert by["happy"]["seconds"] == pytest.approx(5.0) and by["happy"]["share"] == pytest.approx(5 / 6)
    assert by["sad"]["detections"] == 8 and by["angry"]["seconds"] == 0.0
    assert sum(row["share"] for row in breakdown["emotions"]) == pytest.approx(1.0)


def test_keyset_pages_with_tied_confidences_have_no_repeats_and_no_gaps(media):
    pip = character("pip", "Pip")
    faces = [(pip, "happy", i * 0.5, 0.5, [0.9, 0.8, 0.8, 0.8, 0.7][i % 5]) for i in range(23)]
    crafted_episode("Ties", faces, pictures=True)

    seen, after = [], None
    while True:
        page, after = character_moment_page(character=pip, emotion="happy", after=after, limit=4)
        seen += page
        if after is None:
            break
    assert len(seen) == len({m.pk for m in seen}) == 23  # lone faces: a moment each
    assert [(m.best_confidence, m.pk) for m in seen] == sorted(((m.best_confidence, m.pk) for m in seen), reverse=True)
