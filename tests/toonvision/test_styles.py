"""The studio's drawing styles (toonvision/studio/styles.py) and the leave-one-style-out benchmark's split."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.styles import HELD_OUT, TEST, TRAIN, accuracies, style_split
from toonvision.emotions import DISSERTATION_EMOTIONS, EMOTIONS
from toonvision.studio import GUESTS, render_face, sample_face_spec, write_face_dataset
from toonvision.studio.cast import sample_identity
from toonvision.studio.dataset import draw_face_image, sample_rng
from toonvision.studio.styles import DEFAULT_STYLE, PAPER, STYLES, styled_identity

OTHER_STYLES = [style for style in STYLES if style != DEFAULT_STYLE]
CHARACTERS = ("marmalade", "pip", "extras", *GUESTS)


def _identity(style: str, character: str = "extras", seed: int = 0):
    return styled_identity(np.random.default_rng(seed), character, style=style)


# -- the default style is what the studio always drew ---------------------------------------------------------
def test_the_default_style_draws_what_the_studio_drew_before_styles():
    for character in ("marmalade", "extras"):
        plain, styled = np.random.default_rng(7), np.random.default_rng(7)
        assert sample_identity(plain, character) == styled_identity(styled, character)
        assert plain.random() == styled.random()  # and draws nothing more from the generator
    # Dataset images keep their four-number generator key, so seed-1 training faces are unchanged.
    assert sample_rng(1, "pip", "sad", 3).random() == np.random.default_rng([1, 1, 5, 3]).random()
    image = draw_face_image(sample_rng(1, "pip", "sad", 3), "pip", "sad")
    assert np.array_equal(
        image, draw_face_image(sample_rng(1, "pip", "sad", 3, "studio"), "pip", "sad", style="studio")
    )


# -- every style: deterministic, different from the default, all emotions -----------------------------------
@pytest.mark.parametrize("style", OTHER_STYLES)
def test_a_style_is_deterministic_and_differs_from_the_default(style):
    first = draw_face_image(sample_rng(3, "marmalade", "happy", 0, style), "marmalade", "happy", style=style)
    again = draw_face_image(sample_rng(3, "marmalade", "happy", 0, style), "marmalade", "happy", style=style)
    assert np.array_equal(first, again)
    default = draw_face_image(sample_rng(3, "marmalade", "happy", 0), "marmalade", "happy")
    assert np.abs(first.astype(int) - default.astype(int)).mean() > 10
    # Same generator state, other style: the style, not the seed, makes the difference.
    spec = sample_face_spec(np.random.default_rng(5), "extras", "sad", style=style)
    plain = sample_face_spec(np.random.default_rng(5), "extras", "sad")
    assert spec.style == style and plain.style == DEFAULT_STYLE
    assert not np.array_equal(render_face(spec, 64), render_face(plain, 64))


@pytest.mark.parametrize("style", list(STYLES))
def test_every_style_draws_every_emotion_of_every_character(style):
    for character in CHARACTERS:
        spec = sample_face_spec(np.random.default_rng(11), character, "neutral", style=style)
        faces = {}
        for emotion in EMOTIONS:
            spec = sample_face_spec(np.random.default_rng(11), character, emotion, style=style)
            assert spec.emotion == emotion
            face = render_face(spec, 64)
            assert face.shape == (64, 64, 4) and (face[..., 3] > 0).mean() > 0.3  # a head was drawn
            faces[emotion] = face
        for emotion in EMOTIONS[1:]:  # the expression, not only the identity, shows on the face
            assert not np.array_equal(faces[emotion], faces[EMOTIONS[0]])


def test_each_style_has_its_own_recognisable_traits():
    studio = [_identity("studio", seed=s) for s in range(30)]
    people = [_identity("people", character, s) for s in range(10) for character in ("marmalade", "pip", "extras")]
    assert {i.species for i in people} == {"kid"} and {i.character for i in people} == {"marmalade", "pip", "extras"}
    # A style redraws the identity the default style draws from the same generator: compare them seed by seed.
    chibi = [_identity("chibi", seed=s) for s in range(30)]
    assert all(c.layout.eye_ry >= 1.45 * s.layout.eye_ry for c, s in zip(chibi, studio))  # huge eyes
    assert all(i.layout.eye_y >= 0.0 for i in chibi)  # set low in the big head
    long_face = [_identity("long-face", seed=s) for s in range(30)]
    assert all(f.head.ry / f.head.rx > 1.4 * s.head.ry / s.head.rx for f, s in zip(long_face, studio))
    heavy = [_identity("heavy-ink", seed=s) for s in range(30)]
    assert min(i.style.outline_width for i in heavy) >= 0.09 > max(i.style.outline_width for i in studio)
    assert "pie" in {i.style.eye_style for i in heavy}
    icons = [_identity("flat-icon", seed=s) for s in range(30)]
    assert all(i.style.outline_width == 0 and i.style.shading == "flat" and i.head.rx == i.head.ry for i in icons)
    assert {"bean", "ring"} <= {i.style.eye_style for i in icons}
    lines = [_identity("line-art", seed=s) for s in range(10)]
    assert all(i.palette.fur == PAPER and i.palette.outline != PAPER for i in lines)


def test_the_cast_drawn_as_people_keeps_its_colours_and_haircut():
    marmalade = [_identity("people", "marmalade", s) for s in range(5)]
    cat = _identity("studio", "marmalade")
    assert {i.anatomy.hair for i in marmalade} == {"spiky"}
    hue = [i.palette.hair for i in marmalade]
    assert all(abs(int(h[2]) - int(cat.palette.fur[2])) < 40 for h in hue)  # ginger: red channel like the cat's fur


def test_datasets_mix_styles_in_one_folder_and_refuse_unknown_ones(tmp_path):
    summary = write_face_dataset(
        tmp_path, per_class=2, seed=4, size=32, characters=["pip"], emotions=["happy"], styles=["studio", "chibi"]
    )
    assert summary["styles"] == ["studio", "chibi"] and summary["count"] == 4
    names = sorted(p.name for p in (tmp_path / "pip" / "happy").glob("*.png"))
    assert names == [
        "pip-happy-4-00000.png",
        "pip-happy-4-00001.png",
        "pip-happy-chibi-4-00000.png",
        "pip-happy-chibi-4-00001.png",
    ]
    with pytest.raises(ValueError, match="unknown style 'cubist'"):
        write_face_dataset(tmp_path, per_class=1, seed=4, styles=["cubist"])
    with pytest.raises(ValueError, match="unknown style"):
        sample_face_spec(np.random.default_rng(0), "pip", "sad", style="cubist")


# -- the benchmark's split --------------------------------------------------------------------------------------
def test_the_held_out_style_never_trains():
    styles = np.array([s for s in STYLES for _ in range(6)])
    parts = np.array(([TRAIN] * 4 + [TEST] * 2) * len(STYLES))
    for held_out in STYLES:
        split = style_split(styles, parts, held_out)
        assert held_out not in set(styles[split["train"]]) and held_out not in set(styles[split["in_style"]])
        assert set(styles[split["held_out"]]) == {held_out} and set(parts[split["held_out"]]) == {TEST}
        assert set(parts[split["train"]]) == {TRAIN} and set(parts[split["in_style"]]) == {TEST}
        assert len(split["train"]) == 4 * (len(STYLES) - 1)  # every other style's training faces, and only those
        assert not set(split["train"]) & (set(split["in_style"]) | set(split["held_out"]))
    with pytest.raises(ValueError, match="no faces of the held-out style"):
        style_split(styles[styles != "chibi"], parts[styles != "chibi"], "chibi")
    assert set(HELD_OUT) <= set(STYLES)


def test_three_emotion_accuracy_restricts_predictions_to_the_three():
    angry, happy, sad = (EMOTIONS.index(e) for e in ("angry", "happy", "sad"))
    scores = np.zeros((3, len(EMOTIONS)))
    scores[0, [sad, angry]] = [2.0, 1.0]  # an angry face read as sad: wrong of seven, right of the three
    scores[1, happy] = 1.0
    scores[2, sad] = 1.0  # a sad face: not one of the three, so not scored there
    result = accuracies(scores, np.array([angry, happy, sad]))
    assert result == {"seven": pytest.approx(2 / 3), "three": 1.0}
    assert set(DISSERTATION_EMOTIONS) == {"angry", "happy", "surprise"}


@pytest.mark.slow
def test_the_benchmark_trains_on_the_other_styles_and_scores_the_held_out_one():
    import argparse

    from benchmarks import styles as section

    parser = argparse.ArgumentParser()
    section.add_arguments(parser)
    args = parser.parse_args(
        [
            "--styles-held-out",
            "chibi",
            "--styles-per-class",
            "1",
            "--styles-test-per-class",
            "1",
            "--styles-epochs",
            "1",
        ]
    )
    figures = section.measure(args)
    (row,) = figures["rows"]
    faces_per_style = 3 * len(EMOTIONS)  # every character and emotion, one face each
    assert row["style"] == "chibi"
    assert row["n_train"] == row["n_in_style"] == faces_per_style * (len(STYLES) - 1)
    assert row["n_held_out"] == faces_per_style
    assert set(row["held_out"]) == set(row["in_style"]) == set(row["shipped"]) == {"seven", "three"}
    assert "| chibi |" in "\n".join(section.render(figures))
