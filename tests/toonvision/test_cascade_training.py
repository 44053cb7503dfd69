"""The cascade trainer: OpenCV loads what it writes, its evaluator decides exactly as OpenCV does, and the
cascades it trains on studio faces find them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from toonvision.cascade_training import (
    CascadeEvaluator,
    CascadeParams,
    CascadeTrainingError,
    cascade_xml,
    read_cascade,
    train_cascade,
)
from toonvision.cascade_training.cascade import pass_all_xml
from toonvision.cascade_training.features import haar_pool, lbp_pool
from toonvision.emotions import EMOTIONS
from toonvision.studio import draw_face_image
from toonvision.studio.scenery import background

SHIPPED_FACE_CASCADE = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"


def write_faces(folder: Path, count: int, seed: int = 0, size: int = 48) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        face = draw_face_image(np.random.default_rng([seed, i]), "pip", EMOTIONS[i % len(EMOTIONS)], size=size)
        cv2.imwrite(str(folder / f"{i:03d}.png"), face)
    return folder


def write_backgrounds(folder: Path, count: int, seed: int = 1000, size: int = 320) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(folder / f"{i:03d}.png"), background(np.random.default_rng([seed, i]), size))
    return folder


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cascade-data")
    write_faces(root / "positives", 150)
    write_backgrounds(root / "negatives", 40)
    return root


@pytest.fixture(scope="module")
def haar_cascade(studio, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("haar") / "pip.xml"
    params = CascadeParams(stages=10, feature="haar", features_per_stage=1500, seed=3)
    train_cascade(studio / "positives", studio / "negatives", out, params)
    return out


@pytest.fixture(scope="module")
def lbp_cascade(studio, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lbp") / "pip.xml"
    params = CascadeParams(stages=4, feature="lbp", features_per_stage=1000, seed=3)
    train_cascade(studio / "positives", studio / "negatives", out, params)
    return out


def window_patches(studio: Path, size: int = 24, per_image: int = 40, seed: int = 7) -> np.ndarray:
    """Positives resized to the window, and windows at random places and scales of the negatives."""
    rng = np.random.default_rng(seed)
    patches = []
    for path in sorted((studio / "positives").glob("*.png")):
        gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)
        patches.append(cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA))
    for path in sorted((studio / "negatives").glob("*.png"))[:20]:
        gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)
        for _ in range(per_image):
            scale = rng.uniform(1.0, 6.0)
            small = cv2.resize(gray, (int(gray.shape[1] / scale), int(gray.shape[0] / scale)))
            x, y = rng.integers(0, small.shape[1] - size), rng.integers(0, small.shape[0] - size)
            patches.append(small[y : y + size, x : x + size])
    return np.stack(patches)


def opencv_accepts(xml: Path, patches: np.ndarray) -> np.ndarray:
    """OpenCV's verdict per patch: on a window-sized image at one scale, detectMultiScale with
    minNeighbors=0 returns the window exactly when the cascade accepts it."""
    detector = cv2.CascadeClassifier(str(xml))
    assert not detector.empty()
    return np.array([len(detector.detectMultiScale(p, scaleFactor=1.5, minNeighbors=0)) == 1 for p in patches])


def assert_agrees_with_opencv(xml: Path, patches: np.ndarray, both: bool = True) -> None:
    ours = CascadeEvaluator(read_cascade(xml)).accepts(patches)
    theirs = opencv_accepts(xml, patches)
    if both:
        assert 0 < theirs.sum() < len(patches), "the comparison needs both accepted and rejected windows"
    agreement = float(np.mean(ours == theirs))
    assert agreement >= 0.995, f"{int((ours != theirs).sum())} of {len(patches)} windows decided differently"


def test_the_haar_pool_is_opencvs_basic_set():
    pool = haar_pool(24, 24)
    assert len(pool) == 162336  # Viola and Jones' count for a 24x24 window
    x, y, w, h, weight = np.moveaxis(pool, 2, 0)
    used = weight != 0
    assert (x[used] >= 0).all() and (x + w)[used].max() <= 24 and (y + h)[used].max() <= 24
    assert np.allclose((w * h * weight).sum(axis=1), 0), "weighted areas must cancel"
    cells = lbp_pool(24, 24)
    assert len(cells) == 92 * 92 and (cells[:, 0] + 3 * cells[:, 2]).max() == 24


def test_haar_windows_with_std_up_to_ten_are_rejected_like_opencv(tmp_path):
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((200, 24, 24))
    noise = (noise - noise.mean((1, 2), keepdims=True)) / noise.std((1, 2), keepdims=True)
    stds = np.linspace(0.0, 20.0, len(noise))
    patches = np.clip(np.round(128 + noise * stds[:, None, None]), 0, 255).astype(np.uint8)
    for kind in ("HAAR", "LBP"):
        xml = tmp_path / f"{kind}.xml"
        xml.write_text(pass_all_xml(kind, 24, 24))
        ours = CascadeEvaluator(read_cascade(xml)).accepts(patches)
        assert (ours == opencv_accepts(xml, patches)).all()
        if kind == "LBP":
            assert ours.all()  # LBP never looks at the variance
        else:
            assert not ours[stds < 9.5].any() and ours[stds > 10.5].all()


@pytest.mark.skipif(not SHIPPED_FACE_CASCADE.exists(), reason="opencv-python ships no face cascade here")
def test_evaluator_decides_like_opencv_on_its_own_face_cascade(studio, tmp_path):
    shipped = read_cascade(SHIPPED_FACE_CASCADE)
    patches = window_patches(studio)
    assert_agrees_with_opencv(SHIPPED_FACE_CASCADE, patches, both=False)  # it accepts few cartoon windows
    # The first stages accept far more windows, so they test the thresholds much harder.
    shipped.stages = shipped.stages[:2]
    short = tmp_path / "two-stages.xml"
    short.write_text(cascade_xml(shipped))
    assert_agrees_with_opencv(short, patches)


def test_trained_haar_cascade_loads_and_matches_opencv(haar_cascade, studio):
    detector = cv2.CascadeClassifier(str(haar_cascade))
    assert not detector.empty()
    assert detector.getFeatureType() == 0 and detector.getOriginalWindowSize() == (24, 24)  # 0: HAAR
    assert_agrees_with_opencv(haar_cascade, window_patches(studio))


def test_trained_lbp_cascade_loads_and_matches_opencv(lbp_cascade, studio):
    detector = cv2.CascadeClassifier(str(lbp_cascade))
    assert not detector.empty()
    assert detector.getFeatureType() == 1  # LBP
    assert "<maxCatCount>256</maxCatCount>" in lbp_cascade.read_text()
    assert_agrees_with_opencv(lbp_cascade, window_patches(studio))


def test_report_describes_every_stage(haar_cascade):
    report = json.loads(haar_cascade.with_suffix(".json").read_text())
    cascade = read_cascade(haar_cascade)
    assert report["stages_trained"] == len(cascade.stages) == len(report["stages"]) >= 5
    assert report["params"]["feature"] == "haar" and report["device"] == "cpu"
    assert report["positives"]["images"] == 150 and report["positives"]["samples"] == 300
    for row, stage in zip(report["stages"], cascade.stages, strict=True):
        assert row["weak_count"] == len(stage.stumps) >= 1
        assert row["hit_rate"] >= 0.995 and row["false_alarm"] <= 0.5
        assert row["mining_disagreements"] == 0
        assert row["seconds"] > 0
    ratios = [row["negatives_acceptance_ratio"] for row in report["stages"]]
    assert ratios == sorted(ratios, reverse=True), "each stage must leave fewer negative windows accepted"
    assert report["negatives_acceptance_ratio"] < ratios[-1]
    assert report["seconds"] >= sum(row["seconds"] for row in report["stages"])


def test_trained_cascade_finds_unseen_faces_and_rarely_fires_on_backgrounds(haar_cascade):
    detector = cv2.CascadeClassifier(str(haar_cascade))
    found, false_alarms = 0, 0
    for i in range(20):
        rng = np.random.default_rng([5000, i])
        scene = background(rng, 320)
        side = int(rng.integers(60, 130))
        face = cv2.resize(draw_face_image(rng, "pip", EMOTIONS[i % len(EMOTIONS)], size=64), (side, side))
        x, y = (int(v) for v in rng.integers(0, 320 - side, 2))
        scene[y : y + side, x : x + side] = face
        boxes = detector.detectMultiScale(cv2.cvtColor(scene, cv2.COLOR_BGR2GRAY), scaleFactor=1.1, minNeighbors=3)
        found += any(abs(bx - x) < 0.3 * side and abs(by - y) < 0.3 * side and 0.6 < bw / side < 1.6
                     for bx, by, bw, _ in boxes)
        empty = cv2.cvtColor(background(np.random.default_rng([9000, i]), 320), cv2.COLOR_BGR2GRAY)
        false_alarms += len(detector.detectMultiScale(empty, scaleFactor=1.1, minNeighbors=3))
    assert found >= 16, f"found only {found} of 20 faces"
    assert false_alarms <= 10, f"{false_alarms} detections on 20 face-free backgrounds"


def test_training_stops_early_when_negatives_run_out(studio, tmp_path):
    negatives = write_backgrounds(tmp_path / "few", 2, seed=5, size=64)
    out = tmp_path / "short.xml"
    params = CascadeParams(stages=30, num_pos=100, num_neg=100, features_per_stage=300)
    report = train_cascade(studio / "positives", negatives, out, params)
    assert report["stopped_early"] and "mining found only" in report["stop_reason"]
    assert 1 <= report["stages_trained"] < 30
    assert not cv2.CascadeClassifier(str(out)).empty()
    assert len(read_cascade(out).stages) == report["stages_trained"]


def test_a_seed_makes_training_reproducible(studio, tmp_path):
    params = CascadeParams(stages=3, num_pos=120, features_per_stage=400, seed=11)
    for name in ("a.xml", "b.xml"):
        train_cascade(studio / "positives", studio / "negatives", tmp_path / name, params)
    assert (tmp_path / "a.xml").read_text() == (tmp_path / "b.xml").read_text()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"window": 6}, "window must be at least 8"),
        ({"stages": 0}, "stages must be at least 1"),
        ({"feature": "hog"}, "unknown feature type 'hog'"),
        ({"min_hit_rate": 1.5}, "min_hit_rate"),
        ({"max_false_alarm": 1.0}, "max_false_alarm"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(CascadeTrainingError, match=message):
        CascadeParams(**options)


def test_bad_folders_are_refused_and_nothing_is_written(studio, tmp_path):
    out = tmp_path / "out.xml"
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "face.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    cases = [
        (tmp_path / "missing", studio / "negatives", "does not exist"),
        (empty, studio / "negatives", "contains no images"),
        (broken, studio / "negatives", "could be read"),
        (studio / "positives", empty, "negatives folder .* contains no images"),
    ]
    for positives, negatives, message in cases:
        with pytest.raises(CascadeTrainingError, match=message):
            train_cascade(positives, negatives, out, CascadeParams(stages=1))
    with pytest.raises(CascadeTrainingError, match="name it e.g. out.xml"):
        train_cascade(studio / "positives", studio / "negatives", tmp_path / "out.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "empty"]


def test_flat_positives_are_refused_for_haar(studio, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(3):
        cv2.imwrite(str(flat / f"{i}.png"), np.full((40, 40, 3), 90 + i, np.uint8))
    with pytest.raises(CascadeTrainingError, match="flat"):
        train_cascade(flat, studio / "negatives", tmp_path / "out.xml", CascadeParams(stages=1))
    assert not (tmp_path / "out.xml").exists()


def test_read_cascade_round_trips_what_the_trainer_wrote(haar_cascade, tmp_path):
    cascade = read_cascade(haar_cascade)
    again = tmp_path / "again.xml"
    again.write_text(cascade_xml(cascade))
    assert again.read_text() == haar_cascade.read_text()
