"""emotions.services.summaries called directly: per character, the emotions' shares of screen time add up to 1."""
import pytest

from emotions.services.summaries import episode_emotions_build
from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


def test_each_characters_shares_add_up_to_one_and_rebuilding_replaces_them():
    pip, cat = character("pip"), character("marmalade")
    episode = crafted_episode("Mixed", held(pip, "happy", 0, 3) + held(pip, "sad", 3, 4, confidence=0.5)
                              + held(cat, "angry", 0, 2))
    summaries = episode_emotions_build(episode=episode, run=episode.current_run)

    for who in (pip, cat):
        mine = [s for s in summaries if s.character_id == who.pk]
        assert sum(s.share for s in mine) == pytest.approx(1.0)
    by = {(s.character_id, s.emotion): s for s in summaries}
    assert by[(pip.pk, "happy")].seconds == pytest.approx(3.0) and by[(pip.pk, "happy")].share == pytest.approx(0.75)
    assert by[(pip.pk, "sad")].weighted_seconds == pytest.approx(0.5)  # seconds times confidence
    assert by[(cat.pk, "angry")].detections == 16

    again = episode_emotions_build(episode=episode, run=episode.current_run)
    assert episode.emotion_summaries.count() == len(again) == len(summaries)  # replaced, not added to
