"""Guest stars: fixed characters no shipped model has seen, drawn like the cast (no Django needed)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from toonvision.emotions import EMOTIONS
from toonvision.studio import CAST, CHARACTERS, GUESTS, STARS, sample_face_spec, write_face_dataset
from toonvision.studio.cascade_data import marked_faces
from toonvision.studio.episode import episode_cast, plan_episode, write_episode

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_there_are_three_guests_each_of_one_species_and_none_is_in_the_emotion_datasets():
    assert set(GUESTS) >= {"bramble", "juniper", "clover"}
    assert STARS == (*CAST, *GUESTS)
    assert {GUESTS[g].species for g in ("bramble", "juniper", "clover")} == {"fox", "rabbit", "duck"}
    assert not set(GUESTS) & set(CHARACTERS)
    with pytest.raises(ValueError, match="bramble"):
        write_face_dataset("unused", per_class=1, seed=0, characters=["bramble"])


@pytest.mark.parametrize("guest", ["bramble", "juniper", "clover"])
def test_a_guest_keeps_its_identity_with_only_mild_jitter(guest):
    idents = [sample_face_spec(np.random.default_rng(i), guest, EMOTIONS[i % 7]).identity for i in range(12)]
    assert {i.species for i in idents} == {GUESTS[guest].species}
    assert len({(i.anatomy.ears, i.anatomy.muzzle, i.anatomy.markings, i.style.eye_style) for i in idents}) == 1
    fur = np.array([i.palette.fur for i in idents], float)
    assert np.ptp(fur, axis=0).max() < 30, "one colour, jittered a little"
    extras = [sample_face_spec(np.random.default_rng(i), "extras", "neutral", GUESTS[guest].species) for i in range(12)]
    assert np.ptp([e.identity.palette.fur for e in extras], axis=0).max() > 30, "extras of its species vary"


def test_the_default_cast_and_bad_casts():
    assert episode_cast(None) == ("marmalade", "pip")
    assert episode_cast(["pip", "clover"]) == ("pip", "clover")
    for bad in ([], ["bob"], ["pip", "pip"], ["extras"]):
        with pytest.raises(ValueError):
            episode_cast(bad)


def test_the_default_cast_draws_what_it_always_drew():
    a = plan_episode(frames=48, seed=3, width=320, height=240, fps=24)
    b = plan_episode(frames=48, seed=3, width=320, height=240, fps=24, cast=("marmalade", "pip"))
    assert [t.actor.seed for s in a for t in s.tracks] == [t.actor.seed for s in b for t in s.tracks]
    assert [t.emotions for s in a for t in s.tracks] == [t.emotions for s in b for t in s.tracks]


def test_an_episode_starring_a_guest_names_it_in_the_truth(tmp_path):
    summary = write_episode(tmp_path / "g.mp4", seconds=3, seed=5, width=320, height=240, cast=("bramble",))
    truth = json.loads(Path(summary["truth"]).read_text())
    names = {f["character"] for fr in truth["frames"] for f in fr["faces"]}
    assert "bramble" in names and names <= {"bramble", "extras"}
    assert truth["cast"] == summary["cast"] == ["bramble"]


def test_a_bad_cast_leaves_no_file(tmp_path):
    with pytest.raises(ValueError, match="unknown or no cast"):
        write_episode(tmp_path / "g.mp4", seconds=1, seed=5, cast=("bob",))
    assert list(tmp_path.iterdir()) == []


def test_marked_faces_are_native_size_crops_of_the_guest_and_deterministic():
    crops = marked_faces("juniper", 6, seed=100, per_episode=3)
    assert len(crops) == 6
    assert all(c.ndim == 3 and c.shape[2] == 3 and c.shape[0] == c.shape[1] >= 24 for c in crops)
    again = marked_faces("juniper", 6, seed=100, per_episode=3)
    assert all(np.array_equal(a, b) for a, b in zip(crops, again))
    resized = marked_faces("juniper", 2, seed=100, size=32)
    assert {c.shape for c in resized} == {(32, 32, 3)}
    with pytest.raises(ValueError):
        marked_faces("bob", 2, seed=1)


def test_no_training_script_draws_a_guest():
    """The shipped weights come from synth_faces (CHARACTERS only) and the cascades from synth_cascade_data
    (the cast only): neither script names a guest."""
    for script in ("train_weights.sh", "train_cascades.sh"):
        text = (REPO_ROOT / "scripts" / script).read_text()
        assert not any(re.search(rf"\b{g}\b", text) for g in GUESTS), script
