"""emotions.selectors.teaching and the episode's "who was looked for": the frames worth marking on a real studio
episode (its cuts from the truth, frames where nothing was found), example counts per character."""
import json

import pytest
from django.core.cache import cache

from emotions.models import Character, CharacterExample, Detection, Status
from emotions.selectors.episodes import episode_looked_for
from emotions.selectors.teaching import REASON_NOTHING, REASON_SHOT, example_counts, frames_worth_marking
from tests.factories import run_row, upload
from toonvision.truth_metrics import truth_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(media, guest_episode):
    cache.clear()
    return upload(guest_episode)


def test_the_first_frame_of_every_shot_is_worth_marking(episode, guest_episode):
    shots = [start for start, _ in json.loads(truth_path(guest_episode).read_text())["shots"]]
    suggested = frames_worth_marking(episode)
    assert [s["frame"] for s in suggested if s["reason"] == REASON_SHOT] == shots
    assert suggested[0] == {"frame": 0, "time": 0.0, "reason": REASON_SHOT}
    assert all(s["reason"] == REASON_SHOT for s in suggested)  # not processed: nothing to say about faces yet


def test_frames_where_nothing_was_found_are_suggested_once_processed(episode, guest_episode):
    pip = Character.objects.create(name="Pip", slug="pip", cascade="cascades/pip.xml")
    run = run_row(episode, status=Status.DONE, cascades=[{"slug": "pip", "name": "Pip", "cascade": "c",
                                                          "sha256": "s", "params": {}}])
    episode.current_run = run
    episode.save()
    # Faces found only in the first 3 seconds.
    Detection.objects.bulk_create(
        Detection(episode=episode, run=run, frame=f, time=f / 24, duration=1 / 24, character=pip, x=0, y=0, w=30,
                  h=30, emotion="happy", confidence=0.9) for f in range(0, 72, 4))
    nothing = [s for s in frames_worth_marking(episode) if s["reason"] == REASON_NOTHING]
    assert nothing and all(s["frame"] >= 72 for s in nothing)
    assert episode_looked_for(episode=episode) == [{"slug": "pip", "name": "Pip", "faces": 18}]


def test_example_counts_per_character_and_per_episode(episode):
    one = Character.objects.create(name="One", slug="one", active=False)
    two = Character.objects.create(name="Two", slug="two", active=False)
    for n in range(3):
        CharacterExample.objects.create(character=one, episode=episode, frame=n, x=0, y=0, w=20, h=20, image="a.png")
    CharacterExample.objects.create(character=two, image="b.png", source="upload")
    CharacterExample.objects.create(character=two, image="c.png", source="upload", kind="negative")
    assert example_counts() == {"one": 3, "two": 1}
    assert example_counts(episode) == {"one": 3, "two": 0}
