"""Tests for the synthetic cartoon studio (no Django needed)."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from toonvision.emotions import EMOTIONS
from toonvision.studio import (
    CAST,
    CHARACTERS,
    EXTRAS,
    FaceSpec,
    draw_face_image,
    render_face,
    sample_face_spec,
    with_emotion,
    write_face_dataset,
)
from toonvision.studio.cast import EXTRA_SPECIES
from toonvision.studio.dataset import sample_rng


def rng(*seed):
    return np.random.default_rng(list(seed))


# -- the cast --------------------------------------------------------------------------------------
def test_cast_and_character_order():
    assert CHARACTERS == ("marmalade", "pip", "extras")
    assert EXTRAS == "extras"
    assert (CAST["marmalade"].name, CAST["marmalade"].species, CAST["marmalade"].slug) == (
        "Marmalade",
        "cat",
        "marmalade",
    )
    assert (CAST["pip"].name, CAST["pip"].species, CAST["pip"].slug) == ("Pip", "mouse", "pip")


def test_cast_members_keep_their_identity_across_samples():
    for i in range(20):
        cat = sample_face_spec(rng(i), "marmalade", EMOTIONS[i % 7]).identity
        assert (cat.species, cat.anatomy.ears, cat.anatomy.markings, cat.anatomy.whiskers) == (
            "cat",
            "pointed",
            "tabby",
            3,
        )
        b, g, r = cat.palette.fur
        assert r > g > b and r > 200, "Marmalade is orange"
        mouse = sample_face_spec(rng(i), "pip", EMOTIONS[i % 7]).identity
        assert (mouse.species, mouse.anatomy.ears, mouse.style.eye_style) == ("mouse", "round", "dot")
        assert mouse.anatomy.ear_size > 0.45, "Pip has big ears"


def test_extras_are_varied_and_never_the_cast_species():
    species = {sample_face_spec(rng(i), EXTRAS, "neutral").species for i in range(60)}
    assert len(species) >= 8
    assert not species & {"cat", "mouse"}
    assert species <= set(EXTRA_SPECIES)


# -- specs -----------------------------------------------------------------------------------------
def test_spec_has_the_requested_emotion_and_pose_limits():
    for i, emotion in enumerate(EMOTIONS):
        spec = sample_face_spec(rng(7, i), "pip", emotion)
        assert isinstance(spec, FaceSpec)
        assert (spec.character, spec.emotion, spec.expression.emotion) == ("pip", emotion, emotion)
        assert abs(spec.rotation) <= 20 and abs(spec.yaw) <= 0.36


def test_with_emotion_keeps_identity_and_pose_but_changes_emotion():
    spec = sample_face_spec(rng(3), EXTRAS, "happy")
    sad = with_emotion(spec, "sad", rng(4))
    assert sad.identity == spec.identity
    assert (sad.character, sad.rotation, sad.yaw) == (spec.character, spec.rotation, spec.yaw)
    assert (sad.emotion, sad.expression.emotion) == ("sad", "sad")
    assert spec.emotion == "happy", "the original spec is left alone"
    assert not np.array_equal(render_face(spec, 96), render_face(sad, 96))


@pytest.mark.parametrize(
    "call",
    [
        lambda: sample_face_spec(rng(0), "garfield", "happy"),
        lambda: sample_face_spec(rng(0), "pip", "bored"),
        lambda: with_emotion(sample_face_spec(rng(0), "pip", "happy"), "bored", rng(1)),
        lambda: draw_face_image(rng(0), "garfield", "happy"),
        lambda: draw_face_image(rng(0), "pip", "joy"),
        lambda: draw_face_image(rng(0), "pip", "happy", size=8),
    ],
)
def test_unknown_names_and_bad_sizes_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


# -- images ------------------------------------------------------------------------------------------
def test_draw_face_image_shape_and_dtype():
    for size in (64, 48, 100):
        img = draw_face_image(rng(size), "marmalade", "angry", size)
        assert img.shape == (size, size, 3) and img.dtype == np.uint8
        assert img.std() > 10, "not a blank image"


def test_same_seed_same_bytes_different_seed_different_image():
    for character in CHARACTERS:
        a = draw_face_image(rng(42, 1), character, "fear")
        b = draw_face_image(rng(42, 1), character, "fear")
        c = draw_face_image(rng(43, 1), character, "fear")
        assert a.tobytes() == b.tobytes()
        assert not np.array_equal(a, c)
    spec = sample_face_spec(rng(9), "pip", "surprise")
    assert render_face(spec, 80).tobytes() == render_face(spec, 80).tobytes()


def test_render_face_is_bgra_transparent_at_corners_and_opaque_in_the_middle():
    for i in range(24):
        character, emotion = CHARACTERS[i % 3], EMOTIONS[i % 7]
        face = render_face(sample_face_spec(rng(100 + i), character, emotion), 96)
        assert face.shape == (96, 96, 4) and face.dtype == np.uint8
        alpha = face[..., 3]
        assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0, (character, emotion)
        assert alpha[44:52, 44:52].min() == 255, (character, emotion)
        rows, cols = np.nonzero(alpha)
        assert max(np.ptp(rows), np.ptp(cols)) >= 0.9 * 96, "the character is fitted to the square"
        assert (alpha > 0).mean() > 0.3, "the head fills much of the square"


# -- datasets ------------------------------------------------------------------------------------------
def test_write_face_dataset_layout_count_and_determinism(tmp_path):
    summary = write_face_dataset(
        tmp_path / "faces",
        per_class=2,
        seed=5,
        size=32,
        characters=["pip", "extras"],
        emotions=["sad", "happy"],
        progress=True,
    )
    assert summary == {
        "out": str(tmp_path / "faces"),
        "seed": 5,
        "size": 32,
        "per_class": 2,
        "count": 8,
        "characters": ["pip", "extras"],
        "emotions": ["sad", "happy"],
        "look": "studio",
        "styles": ["studio"],
    }
    files = sorted(p.relative_to(tmp_path / "faces").as_posix() for p in (tmp_path / "faces").rglob("*.png"))
    assert files == sorted(
        f"{c}/{e}/{c}-{e}-5-{i:05d}.png" for c in ("pip", "extras") for e in ("sad", "happy") for i in range(2)
    )
    img = cv2.imread(str(tmp_path / "faces/pip/sad/pip-sad-5-00001.png"))
    assert img.shape == (32, 32, 3)
    # Each image depends only on (seed, character, emotion, index): not on which subset was written.
    assert np.array_equal(img, draw_face_image(sample_rng(5, "pip", "sad", 1), "pip", "sad", 32))


def test_write_face_dataset_defaults_cover_every_character_and_emotion(tmp_path):
    summary = write_face_dataset(str(tmp_path), per_class=1, seed=0, size=16)
    assert summary["count"] == 21 == len(list(Path(tmp_path).rglob("*.png")))
    assert summary["characters"] == list(CHARACTERS) and summary["emotions"] == list(EMOTIONS)
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == sorted(CHARACTERS)


@pytest.mark.parametrize(
    "kwargs",
    [dict(per_class=0), dict(size=8), dict(characters=["garfield"]), dict(emotions=["bored"]), dict(characters=[])],
)
def test_write_face_dataset_rejects_bad_arguments(tmp_path, kwargs):
    args = dict(out=tmp_path, per_class=1, seed=0) | kwargs
    with pytest.raises(ValueError):
        write_face_dataset(**args)
    assert not list(tmp_path.rglob("*.png"))


# -- the emotion is what the pictures show -------------------------------------------------------------
def _hog_dataset(seed, per_emotion):
    hog = cv2.HOGDescriptor((64, 64), (16, 16), (8, 8), (8, 8), 9)
    features, labels = [], []
    for e, emotion in enumerate(EMOTIONS):
        for i in range(per_emotion):
            img = draw_face_image(rng(seed, e, i), CHARACTERS[i % 3], emotion, 64)
            features.append(hog.compute(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)).ravel())
            labels.append(e)
    return np.array(features, np.float64), np.array(labels)


def test_emotions_are_separable_on_an_unseen_seed():
    """A linear classifier on HOG features, fitted on one seed, reads the emotion of faces drawn
    with another far above chance (1/7): a studio that ignored the emotion would score ~0.14."""
    x_train, y_train = _hog_dataset(1001, 40)
    x_test, y_test = _hog_dataset(2002, 20)
    mean = x_train.mean(axis=0)
    x_train, x_test = x_train - mean, x_test - mean
    targets = np.eye(len(EMOTIONS))[y_train]
    weights = x_train.T @ np.linalg.solve(x_train @ x_train.T + 10.0 * np.eye(len(x_train)), targets)
    accuracy = np.mean((x_test @ weights).argmax(axis=1) == y_test)
    assert accuracy > 0.4, f"emotion accuracy {accuracy:.2f} on an unseen seed"
