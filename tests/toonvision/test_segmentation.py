"""The segmentation pipeline in the core: frame ranges, sampling at shot cuts, thread-safe repeatability,
crops at the frame's edge."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.toonvision.conftest import SHIPPED_CASCADES, SHIPPED_WEIGHTS
from toonvision.crops import crop_face
from toonvision.detection import CharacterDetector, DetectionParams
from toonvision.inference import EmotionClassifier
from toonvision.segmentation import FastOptions, segment_video
from toonvision.studio.episode import write_episode
from toonvision.truth_metrics import evaluate_segmentation, truth_path
from toonvision.video import decode_frames


@pytest.fixture(scope="module")
def episode(tmp_path_factory) -> Path:
    video = tmp_path_factory.mktemp("seg") / "episode.mp4"
    write_episode(video, seconds=8, seed=41)
    return video


@pytest.fixture(scope="module")
def pip() -> list[CharacterDetector]:
    return [CharacterDetector.load("pip", SHIPPED_CASCADES / "pip.xml", DetectionParams(min_neighbors=3))]


@pytest.fixture(scope="module")
def classifier() -> EmotionClassifier:
    return EmotionClassifier.load(SHIPPED_WEIGHTS, device="cpu")


def faces_of(result):
    return [(d.frame, d.character, d.box, d.emotion, d.track) for d in result.detections]


def test_fast_analyses_every_stride_and_every_shot_start(episode, pip, classifier):
    result = segment_video(episode, pip, classifier, options=FastOptions(stride=4))
    shots = json.loads(truth_path(episode).read_text())["shots"]
    analysed = set(result.analyzed)
    assert {start for start, _ in shots} <= analysed
    gaps = np.diff(result.analyzed)
    assert gaps.max() <= 4 and len(result.analyzed) < result.frame_count / 2
    assert result.detections and {d.character for d in result.detections} == {"pip"}


def test_a_frame_range_yields_only_its_frames(episode, pip, classifier):
    result = segment_video(episode, pip, classifier, start=50, stop=110)
    assert result.analyzed[0] == 50 and max(result.analyzed) < 110
    assert all(50 <= d.frame < 110 for d in result.detections)
    with pytest.raises(ValueError, match="frame range"):
        segment_video(episode, pip, classifier, start=500)


def test_threaded_detection_repeats_exactly(episode, pip, classifier):
    runs = [faces_of(segment_video(episode, pip, classifier, options=FastOptions(threads=threads)))
            for threads in (2, 2, 1)]
    assert runs[0] == runs[1] == runs[2]


def test_seed_method_sees_every_frame_and_never_tracks(episode, pip, classifier):
    result = segment_video(episode, pip, classifier, method="seed", start=0, stop=12)
    assert result.analyzed == list(range(12))
    assert all(d.track is None for d in result.detections)


def test_a_crop_at_the_frame_edge_is_padded_to_a_square():
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, :10] = 255  # a white strip on the left edge
    crop = crop_face(frame, (0, 20, 40, 40), margin=1.5, size=32)
    assert crop.shape == (32, 32, 3)
    assert crop[:, 0].min() == 255  # the edge column is repeated outward, not left black


def test_searching_near_faces_between_full_scans_finds_what_full_scans_find(episode, pip, classifier):
    truth = json.loads(truth_path(episode).read_text())
    every = segment_video(episode, pip, classifier, options=FastOptions(scan_every=1))  # a full scan every time
    near = segment_video(episode, pip, classifier)
    assert near.analyzed == every.analyzed
    scores = [evaluate_segmentation(r.as_json(), truth) for r in (every, near)]
    assert scores[0].true_positives > 20
    assert scores[1].recall >= scores[0].recall - 0.02 and scores[1].precision >= scores[0].precision - 0.02
    assert scores[1].event_recall >= scores[0].event_recall


def test_kept_colour_frames_cover_every_face_and_progress_every_frame(episode, pip, classifier):
    ticks = []
    result = segment_video(episode, pip, classifier, start=30, stop=150, keep_colour=True, progress=ticks.append)
    assert sum(ticks) == 120  # frames left undecoded are counted too
    frames = {d.frame for d in result.detections}
    assert frames and frames <= result.colour_frames.keys()  # faces filled in along a track too: no second decoding
    decoded = {f.index: f.bgr() for f in decode_frames(episode, start=30, stop=150)}
    assert all(np.array_equal(bgr, decoded[i]) for i, bgr in result.colour_frames.items())
