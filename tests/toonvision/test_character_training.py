"""Teaching a new character: a cascade and detection parameters from a few marked faces of a studio guest."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from toonvision.cascade_training import read_cascade, train_cascade
from toonvision.cascade_training.augmentation import augment_examples
from toonvision.cascade_training.character import (
    MIN_EXAMPLES,
    CharacterExamples,
    CharacterTrainingError,
    CharacterTrainingOptions,
    TrainingCancelled,
    blank_faces,
    read_character_json,
    train_character,
)
from toonvision.cascade_training.clutter import clutter_images
from toonvision.cascade_training.tuning import iou
from toonvision.detection import CascadeError, load_detectors
from toonvision.studio import render_face, sample_face_spec
from toonvision.studio.cascade_data import marked_crop, star_frames

QUICK = CharacterTrainingOptions(stages=8, positive_windows=200, max_seconds=20, device="cpu")


def guest_examples(guest: str, count: int, seed: int) -> CharacterExamples:
    """count marked faces, two per episode, and each episode's frames with the guest blanked as negatives."""
    positives, negatives, episode = [], [], 0
    while len(positives) < count:
        frames = star_frames(guest, seed=seed + episode, count=6)
        positives += [c for c in (marked_crop(f, faces, guest) for f, faces in frames) if c is not None][:2]
        negatives += [blank_faces(f, [x["box"] for x in faces if x["character"] == guest]) for f, faces in frames]
        episode += 1
    return CharacterExamples(positives[:count], negatives)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("bramble") / "bramble.xml"
    progress = []
    examples = guest_examples("bramble", 20, seed=300)
    result = train_character("bramble", examples, out, QUICK, on_progress=progress.append)
    return out, result, progress


@pytest.mark.slow
def test_the_cascade_and_its_json_are_written_and_agree(trained):
    out, result, _ = trained
    assert read_character_json(out) == result
    assert set(result) == {"character", "detection", "appearance", "report"} and result["character"] == "bramble"
    assert result["appearance"]["threshold"] == pytest.approx(result["report"]["appearance_threshold"], abs=1e-4)
    assert result["report"]["appearance_threshold"] > 0
    assert set(result["detection"]) == {"scale_factor", "min_neighbors", "min_size", "max_size"}
    report = result["report"]
    for key in ("holdout_hit_rate", "holdout_false_alarms_per_frame", "examples", "holdout_examples", "seconds",
                "device", "stages_trained", "stop_reason"):
        assert key in report
    assert report["examples"] == 20 and report["holdout_examples"] == 5 and report["device"] == "cpu"
    assert len(read_cascade(out).stages) == report["stages_trained"] >= 1
    assert not cv2.CascadeClassifier(str(out)).empty()
    assert sorted(p.name for p in out.parent.iterdir()) == ["bramble.json", "bramble.xml"]


@pytest.mark.slow
def test_the_trained_cascade_finds_the_guest_in_an_unseen_episode(trained):
    out, result, _ = trained
    [detector] = load_detectors([f"bramble={out}"], out.parent)
    assert detector.params.min_neighbors == result["detection"]["min_neighbors"]
    hits = faces = false_alarms = 0
    for frame, truth in star_frames("bramble", seed=9501, count=30):
        boxes = detector.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        mine = [f["box"] for f in truth if f["character"] == "bramble" and f["scored"]]
        faces += len(mine)
        hits += sum(any(iou(b, m) >= 0.5 for b in boxes) for m in mine)
        false_alarms += sum(not any(iou(b, m) >= 0.5 for m in mine) for b in boxes)
    assert faces >= 20
    assert hits / faces >= 0.6
    assert false_alarms / 30 < 1.0


@pytest.mark.slow
def test_progress_reports_each_phase_and_stage(trained):
    _, result, progress = trained
    phases = [p["phase"] for p in progress]
    assert phases[0] == "augmenting" and phases[-1] == "choosing parameters"
    stages = [p["stage"] for p in progress if p["phase"] == "training"]
    assert stages == list(range(1, result["report"]["stages_trained"] + 1))
    assert all(p["stages"] == QUICK.stages for p in progress)
    assert all(0 <= p["hit_rate"] <= 1 and 0 <= p["false_alarm"] <= 1 for p in progress if p["phase"] == "training")


@pytest.mark.slow
def test_cancelling_mid_training_writes_nothing_and_keeps_an_earlier_cascade(tmp_path):
    out = tmp_path / "juniper.xml"
    out.write_text("the earlier version")
    seen = []
    with pytest.raises(TrainingCancelled):
        train_character("juniper", guest_examples("juniper", 12, seed=400), out, QUICK, on_progress=seen.append,
                        should_stop=lambda: any(p["phase"] == "training" for p in seen))
    assert [p["stage"] for p in seen if p["phase"] == "training"] == [1]
    assert out.read_text() == "the earlier version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["juniper.xml"]


def faces_of(count: int, size: int = 40) -> list[np.ndarray]:
    """Transparent-background heads (BGRA) of a guest: quick examples for the refusals."""
    return [render_face(sample_face_spec(np.random.default_rng(i), "clover", "happy"), size) for i in range(count)]


@pytest.mark.slow
def test_cancelling_before_training_raises_and_writes_nothing(tmp_path):
    with pytest.raises(TrainingCancelled):
        train_character("clover", CharacterExamples(faces_of(10)), tmp_path / "c.xml", QUICK, should_stop=lambda: True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "examples", "out", "message"),
    [
        ("clover", CharacterExamples(faces_of(MIN_EXAMPLES - 1)), "c.xml", f"at least {MIN_EXAMPLES}"),
        ("clover", CharacterExamples(faces_of(10, size=16)), "c.xml", "smaller than the 24x24 window"),
        ("Clover!", CharacterExamples(faces_of(10)), "c.xml", "bad character name"),
        ("clover", CharacterExamples(faces_of(10)), "c.txt", "OpenCV XML"),
        ("clover", CharacterExamples([np.zeros((30, 30, 4), np.uint8)] * 10), "c.xml", "fully transparent"),
        ("clover", CharacterExamples([np.zeros((30, 30), np.float32)] * 10), "c.xml", "not an 8-bit image"),
        ("clover", CharacterExamples([np.zeros((30, 30, 2), np.uint8)] * 10), "c.xml", "not a gray, BGR or BGRA"),
        ("clover", CharacterExamples(faces_of(10), [np.zeros((20, 20, 3), np.uint8)]), "c.xml", "larger than the"),
    ],
)
def test_bad_input_is_refused_with_a_sentence_and_nothing_is_written(tmp_path, name, examples, out, message):
    with pytest.raises(CharacterTrainingError, match=message):
        train_character(name, examples, tmp_path / out, QUICK)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [({"holdout": 0.6}, "holdout"), ({"device": "tpu"}, "unknown device"), ({"stages": 0}, "stages"),
     ({"max_seconds": 0}, "max_seconds"), ({"window": 4}, "window"), ({"positive_windows": 0}, "positive_windows")],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(CharacterTrainingError, match=message):
        CharacterTrainingOptions(**options)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_asking_for_an_absent_cuda_is_a_clear_error(tmp_path):
    with pytest.raises(CharacterTrainingError, match="CUDA is not available"):
        train_character("clover", CharacterExamples(faces_of(10)), tmp_path / "c.xml",
                        CharacterTrainingOptions(device="cuda"))
    assert list(tmp_path.iterdir()) == []


def test_blank_faces_paints_over_the_enlarged_boxes_only():
    frame = np.random.default_rng(0).integers(0, 256, (100, 160, 3), dtype=np.uint8)
    out = blank_faces(frame, [(40, 30, 20, 20), (150, 90, 30, 30)])
    assert out.shape == frame.shape and not np.shares_memory(out, frame)
    changed = np.any(out != frame, axis=2)
    ys, xs = np.nonzero(changed[:80, :100])
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (37, 62, 27, 52)  # 20 px grown by 25%
    assert changed[85:, 145:].any() and not changed[:20, :].any()  # the box past the corner is clipped
    assert np.array_equal(blank_faces(frame, []), frame)


def test_read_character_json_none_malformed_and_train_cascade_reports(tmp_path):
    xml = tmp_path / "x.xml"
    assert read_character_json(xml) is None
    xml.with_suffix(".json").write_text(json.dumps({"format": "toonsite-cascade-report", "stages": []}))
    assert read_character_json(xml) is None  # train_cascade's report holds no detection parameters
    for bad in ("{not json", "[1, 2]", json.dumps({"detection": {"scale_factor": 1.1}}),
                json.dumps({"detection": {"scale_factor": 0.9, "min_neighbors": 3, "min_size": 24, "max_size": 0}}),
                json.dumps({"detection": {"scale_factor": 1.1, "min_neighbors": 2.5, "min_size": 24, "max_size": 0}})):
        xml.with_suffix(".json").write_text(bad)
        with pytest.raises(CascadeError):
            read_character_json(xml)


def test_augmentation_keeps_each_example_and_adds_its_variants():
    rng = np.random.default_rng(0)
    bgr = [np.full((50, 40, 3), 90, np.uint8)]
    bgra = faces_of(2)
    assert augment_examples(bgr, 5, 24, rng, [], mirror=True).shape == (7, 24, 24)
    assert augment_examples(bgra, 5, 24, rng, clutter_images(0, 2), mirror=False).shape == (12, 24, 24)


def test_clutter_is_deterministic_and_sized():
    a, b = clutter_images(3, 2, 200, 120), clutter_images(3, 2, 200, 120)
    assert [x.shape for x in a] == [(120, 200, 3)] * 2 and all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], a[1])


def test_train_cascade_keeps_its_folder_contract(tmp_path):
    """The folder trainer shares the stage loop: it still trains from folders and writes its own report."""
    pos, neg = tmp_path / "pos", tmp_path / "neg"
    pos.mkdir(), neg.mkdir()
    for i, face in enumerate(faces_of(20, 32)):
        cv2.imwrite(str(pos / f"{i}.png"), face[..., :3])
    for i, image in enumerate(clutter_images(1, 4, 160, 120)):
        cv2.imwrite(str(neg / f"{i}.png"), image)
    from toonvision.cascade_training import CascadeParams

    report = train_cascade(pos, neg, tmp_path / "c.xml", CascadeParams(stages=2, features_per_stage=200))
    assert report["stages_trained"] >= 1 and report["positives"]["folder"] == str(pos)
    assert report["format"] == "toonsite-cascade-report"
