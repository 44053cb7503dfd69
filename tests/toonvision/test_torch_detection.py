"""The torch detector gives OpenCV's detections: its resize, grouping and gray conversion bit for bit, and
detectMultiScale's faces on studio episodes, with the shipped cast, the dissertation's own Tom and Jerry
cascades and an LBP cascade (same frame, same character, IoU >= 0.5, for >= 99% of faces either way)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from tests.toonvision.conftest import SHIPPED_CASCADES
from tests.toonvision.test_detection import HAKO, needs_hako
from toonvision.cascade_training.cascade import Cascade, Stage, Stump, cascade_xml, subset_words
from toonvision.cascade_training.features import LbpFeatures, WindowBatch, lbp_pool
from toonvision.detection import CascadeError, CharacterDetector, DetectionParams, read_cast
from toonvision.studio.episode import write_episode
from toonvision.torch_detection import (
    TorchCharacterDetector,
    choose_detector,
    group_rectangles,
    resize_exact,
)
from toonvision.tracking import iou_pairs
from toonvision.video import decode_frames

EPISODE_SEED = 31  # never used for cascade or CNN training data
FAST = DetectionParams(scale_factor=1.2, min_neighbors=1, min_size=24)  # what `fast` runs on 512-wide frames


def test_resize_is_opencvs_inter_linear_exact_bit_for_bit():
    rng = np.random.default_rng(0)
    for trial in range(60):
        height, width = (int(v) for v in rng.integers(8, 200, 2))
        out_h, out_w = int(rng.integers(2, height + 1)), int(rng.integers(2, width + 1))
        image = rng.integers(0, 256, (height, width), np.uint8)
        if trial % 2:
            image = cv2.GaussianBlur(image, (5, 5), 2)
        ours = resize_exact(torch.from_numpy(image)[None], out_w, out_h)[0].numpy()
        assert np.array_equal(ours, cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_LINEAR_EXACT))
    image = rng.integers(0, 256, (64, 96), np.uint8)  # exactly half: OpenCV takes its INTER_AREA path
    ours = resize_exact(torch.from_numpy(image)[None], 48, 32)[0].numpy()
    assert np.array_equal(ours, cv2.resize(image, (48, 32), interpolation=cv2.INTER_LINEAR_EXACT))


def test_group_rectangles_is_opencvs():
    rng = np.random.default_rng(1)
    for trial in range(40):
        centres = rng.integers(0, 300, (int(rng.integers(1, 6)), 2))
        rects = []
        for cx, cy in centres:
            side = int(rng.integers(24, 90))
            for _ in range(int(rng.integers(1, 9))):
                s = side + int(rng.integers(-4, 5))
                rects.append([cx + int(rng.integers(-5, 6)), cy + int(rng.integers(-5, 6)), s, s])
        for threshold in (0, 1, 2, 3, 5):
            boxes, counts = group_rectangles(np.array(rects), threshold)
            theirs, weights = cv2.groupRectangles([list(r) for r in rects], threshold, 0.2)
            ours = sorted(zip(map(tuple, boxes.tolist()), counts.tolist()))
            expected = sorted(zip(map(tuple, np.reshape(theirs, (-1, 4)).tolist()), np.ravel(weights).tolist()))
            if threshold == 0:  # OpenCV returns the rectangles as they came, each its own neighbour
                expected = sorted((tuple(r), 1) for r in rects)
            assert ours == expected, (trial, threshold)


def test_colour_frames_are_grayed_like_cvtcolor():
    bgr = np.random.default_rng(2).integers(0, 256, (60, 80, 3), np.uint8)
    detector = TorchCharacterDetector.load("pip", SHIPPED_CASCADES / "pip.xml")
    assert np.array_equal(detector._gray(bgr).numpy(), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))


def test_cascades_it_cannot_run_are_refused_clearly_and_auto_picks_opencv_on_a_cpu(tmp_path):
    tilted = tmp_path / "tilted.xml"  # OpenCV runs tilted Haar features; this detector does not
    tilted.write_text((SHIPPED_CASCADES / "pip.xml").read_text().replace("<tilted>0</tilted>", "<tilted>1</tilted>", 1))
    assert CharacterDetector.load("pip", tilted).feature_type == "HAAR"
    with pytest.raises(CascadeError, match="torch detector cannot run this cascade.*use the opencv detector"):
        TorchCharacterDetector.load("pip", tilted)
    with pytest.raises(ValueError, match="unknown detector 'gpu'"):
        choose_detector("gpu")
    assert choose_detector("auto", "cpu") == "opencv" and choose_detector("torch", "cpu") == "torch"


# -- detections on studio episodes ----------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One intra-op thread: on a shared 2-core machine torch's spinning threads make these tests 3x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> list[np.ndarray]:
    """Gray full-resolution frames of an unseen studio episode, every 8th."""
    video = tmp_path_factory.mktemp("torch-detection") / "episode.mp4"
    write_episode(video, seconds=6, seed=EPISODE_SEED)
    return [f.gray() for f in decode_frames(video) if f.index % 8 == 0]


def shrunk(frames, width=512):
    return [cv2.resize(g, None, fx=width / g.shape[1], fy=width / g.shape[1], interpolation=cv2.INTER_AREA)
            for g in frames]


def agreement(opencv: CharacterDetector, ours: TorchCharacterDetector, frames, params) -> tuple[float, float, int]:
    """Share of OpenCV's faces ours found, share of ours OpenCV found (IoU >= 0.5, one to one), and the count."""
    matched = theirs_total = ours_total = 0
    for batch in range(0, len(frames), 8):
        part = frames[batch:batch + 8]
        for frame, (boxes, _) in zip(part, ours.detect_batch(part, params)):
            expected = opencv.detect(frame, params)
            theirs_total, ours_total = theirs_total + len(expected), ours_total + len(boxes)
            matched += iou_pairs(expected.tolist(), boxes.tolist())
    recall = matched / theirs_total if theirs_total else 1.0
    precision = matched / ours_total if ours_total else 1.0
    return recall, precision, theirs_total


def assert_agrees(path, name, frames, params, at_least: int):
    opencv, ours = CharacterDetector.load(name, path), TorchCharacterDetector.load(name, path)
    recall, precision, count = agreement(opencv, ours, frames, params)
    assert count >= at_least, f"{name}: only {count} faces to compare with {params}"
    assert recall >= 0.99 and precision >= 0.99, f"{name} {params}: {recall:.3f} / {precision:.3f} of {count}"


@pytest.mark.slow
def test_the_shipped_cast_finds_opencvs_faces(frames):
    small = shrunk(frames)
    for slug, entry in read_cast(SHIPPED_CASCADES).items():
        assert_agrees(entry.cascade_path, slug, small, FAST, at_least=5)  # the fast method's search
        raw = DetectionParams(1.2, 0, 24)  # every window accepted, before grouping: the scan itself
        assert_agrees(entry.cascade_path, slug, small, raw, at_least=20)
    seed = DetectionParams(1.1, read_cast(SHIPPED_CASCADES)["pip"].params.min_neighbors, 24)
    assert_agrees(SHIPPED_CASCADES / "pip.xml", "pip", frames[::4], seed, at_least=1)  # seed: full frames


@needs_hako
@pytest.mark.slow
@pytest.mark.parametrize("name, neighbours", [("tom", 40), ("jerry", 20)])
def test_the_dissertations_cascades_find_opencvs_faces(frames, name, neighbours):
    """They find few faces in the studio's cast: compared on every window they accept (minNeighbors 0), on
    grouped detections, with the dissertation's own parameters, and on noise where they fire much more."""
    path = HAKO / f"{name}.xml"
    full = frames[::6]
    assert_agrees(path, name, full, DetectionParams(1.1, 0, 24), at_least=3)
    assert_agrees(path, name, full, DetectionParams(1.1, neighbours, 24), at_least=0)
    rng = np.random.default_rng(3)
    noise = [cv2.GaussianBlur(rng.integers(0, 256, (180, 320), np.uint8), (0, 0), s) for s in (0.7, 1.0, 1.5)]
    assert_agrees(path, name, noise, DetectionParams(1.1, 0, 24), at_least=30)
    assert_agrees(path, name, noise, DetectionParams(1.1, 1, 24, 60), at_least=0)


def random_lbp_cascade(patches: np.ndarray, stages: int = 8, stumps: int = 4, seed: int = 0) -> Cascade:
    """An LBP cascade of random stumps whose stages each pass about 40% of these windows."""
    rng = np.random.default_rng(seed)
    pool = lbp_pool(24, 24)
    cascade = Cascade.empty("LBP", 24, 24)
    batch = WindowBatch.from_patches(patches, torch.device("cpu"))
    for _ in range(stages):
        features = pool[rng.choice(len(pool), stumps, replace=False)]
        codes = LbpFeatures(24, 24).values(batch, features).numpy()
        lefts = [rng.random(256) < 0.5 for _ in range(stumps)]
        leaves = rng.uniform(-1, 1, (stumps, 2)).astype(np.float32)
        score = sum(np.where(left[codes[:, k]], leaves[k, 0], leaves[k, 1]) for k, left in enumerate(lefts))
        stage = Stage([Stump(k, float(leaves[k, 0]), float(leaves[k, 1]), subset=subset_words(lefts[k]))
                       for k in range(stumps)], float(np.quantile(score, 0.6)))
        cascade.add_stage(stage, features)
    return cascade


@pytest.mark.slow
def test_an_lbp_cascade_finds_opencvs_faces(frames, tmp_path):
    small = shrunk(frames[:6], 320)
    rng = np.random.default_rng(4)
    patches = np.stack([g[y:y + 24, x:x + 24] for g in small
                        for y, x in zip(rng.integers(0, g.shape[0] - 24, 50), rng.integers(0, g.shape[1] - 24, 50))])
    path = tmp_path / "lbp.xml"
    path.write_text(cascade_xml(random_lbp_cascade(patches)))
    assert CharacterDetector.load("lbp", path).feature_type == "LBP"
    assert_agrees(path, "lbp", small, DetectionParams(1.2, 0, 24), at_least=100)
    assert_agrees(path, "lbp", small, DetectionParams(1.2, 3, 30), at_least=5)


def test_auto_leaves_a_cascade_torch_cannot_run_with_opencv(tmp_path):
    from toonvision.segmentation import _detector_name
    from toonvision.torch_detection import detectors_for, torch_detectors

    tilted = tmp_path / "tilted.xml"
    tilted.write_text((SHIPPED_CASCADES / "pip.xml").read_text().replace("<tilted>0</tilted>", "<tilted>1</tilted>", 1))
    cast = [CharacterDetector.load("pip", SHIPPED_CASCADES / "pip.xml"), CharacterDetector.load("odd", tilted)]
    assert detectors_for(cast, "opencv", "cpu") == cast == detectors_for(cast, "auto", "cpu")  # auto: no CUDA here
    with pytest.raises(CascadeError, match="use the opencv detector"):
        detectors_for(cast, "torch", "cpu")
    mixed = torch_detectors(cast, "cpu", strict=False)  # what auto does on CUDA
    assert isinstance(mixed[0], TorchCharacterDetector) and mixed[1] is cast[1]
    assert _detector_name(mixed) == "torch (cpu) and opencv"
