"""Stored face crops: native resolution with a head-keeping margin, and the CNN reading one back as it read the
face during segmentation."""

import cv2
import numpy as np
import pytest

from tests.toonvision.conftest import SHIPPED_CASCADES, SHIPPED_WEIGHTS
from toonvision.crops import (
    LEGACY_CROP_MARGIN,
    SEED_CNN_MARGIN,
    STORED_CROP_MARGIN,
    STORED_MARGIN_KEY,
    cnn_input,
    crop_decode,
    crop_encode,
    crop_face,
    crop_square,
    stored_crop,
    stored_crop_side,
)
from toonvision.detection import load_cast
from toonvision.inference import EmotionClassifier
from toonvision.segmentation import FastOptions, crop_margins, segment_video
from toonvision.studio.episode import write_episode
from toonvision.video import decode_frames


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    """A 6 s studio episode segmented by `fast` with the shipped cast and weights, and each face's stored crop."""
    video = tmp_path_factory.mktemp("crops") / "episode.mp4"
    write_episode(video, seconds=6, seed=23)
    classifier = EmotionClassifier.load(SHIPPED_WEIGHTS, device="cpu")
    result = segment_video(video, load_cast(SHIPPED_CASCADES), classifier)
    faces = [d for d in result.detections if not d.interpolated]
    by_frame = {}
    for face in faces:
        by_frame.setdefault(face.frame, []).append(face)
    crops = {}
    for frame in decode_frames(video, start=min(by_frame), stop=max(by_frame) + 1):
        for face in by_frame.get(frame.index, []):
            crops[id(face)] = crop_encode(stored_crop(
                frame.bgr(), face.box, stored_margin=STORED_CROP_MARGIN, cnn_margin=FastOptions().crop_margin
            ))
    return classifier, result, faces, crops


def test_a_stored_crop_is_native_size_never_resized(segmented):
    _, _, faces, crops = segmented
    for face in faces:
        crop = crop_decode(crops[id(face)])
        side = stored_crop_side(face.box, cnn_margin=FastOptions().crop_margin)
        assert crop.shape == (side, side, 3)
        assert abs(side - max(face.box[2:]) * STORED_CROP_MARGIN) <= 1.5


def test_the_cnn_reads_a_stored_crop_as_it_read_the_face_during_segmentation(segmented):
    classifier, result, faces, crops = segmented
    stored, cnn = crop_margins("fast", {STORED_MARGIN_KEY: STORED_CROP_MARGIN})
    assert (stored, cnn) == (STORED_CROP_MARGIN, FastOptions().crop_margin)
    inputs = [cnn_input(crop_decode(crops[id(f)]), stored_margin=stored, cnn_margin=cnn,
                        size=classifier.input_size) for f in faces]
    again = classifier.predict_proba(inputs)
    before = np.array([[f.probabilities[c] for c in classifier.classes] for f in faces])
    assert len(faces) >= 50
    same = (again.argmax(1) == before.argmax(1)).mean()
    assert same >= 0.99, f"only {same:.1%} of {len(faces)} faces read the same from their stored crops"
    difference = np.abs(again - before).max(axis=1)
    assert np.median(difference) < 0.005 and np.quantile(difference, 0.95) < 0.02  # JPEG noise only


def test_cnn_input_is_the_centre_crop_face_would_have_cut():
    rng = np.random.default_rng(3)
    frame = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), (0, 0), 4)  # drawing-like
    for margin in (SEED_CNN_MARGIN, FastOptions().crop_margin):
        for w in range(30, 90):
            box = (100, 60, w, w - 3)
            stored = stored_crop(frame, box, stored_margin=STORED_CROP_MARGIN, cnn_margin=margin)
            assert abs(stored.shape[0] - w * STORED_CROP_MARGIN) <= 1.5 and stored.shape[0] == stored.shape[1]
            direct = crop_face(frame, box, margin=margin, size=64)
            from_crop = cnn_input(stored, stored_margin=STORED_CROP_MARGIN, cnn_margin=margin, size=64)
            assert np.array_equal(direct, from_crop)  # the very pixels, to the pixel
    stored = crop_square(frame, box, 1.0)
    with pytest.raises(ValueError, match="does not hold"):
        cnn_input(stored, stored_margin=1.0, cnn_margin=1.15, size=64)


def test_a_run_without_a_recorded_margin_has_the_old_crops():
    assert crop_margins("fast", {}) == (LEGACY_CROP_MARGIN, FastOptions().crop_margin)
    assert crop_margins("seed", {STORED_MARGIN_KEY: 1.6}) == (1.6, SEED_CNN_MARGIN)
    assert crop_margins("fast", {"crop_margin": 1.3, "stride": 2}) == (LEGACY_CROP_MARGIN, 1.3)
