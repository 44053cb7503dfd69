"""Tracking, emotion smoothing and the segmentation's truth metrics, on hand-made detections and truth."""

import numpy as np
import pytest

from toonvision.tracking import (
    ClassifiedFace,
    fill_gaps,
    iou,
    iou_pairs,
    link_tracks,
    match_nearest,
    smooth_emotions,
)
from toonvision.truth_metrics import evaluate_segmentation, truth_spans

CLASSES = ("angry", "happy", "sad")


def onehot(index, strength=0.8):
    p = np.full(len(CLASSES), (1 - strength) / (len(CLASSES) - 1), np.float32)
    p[index] = strength
    return p


def test_iou_of_identical_disjoint_and_half_overlapping_boxes():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 10, 10)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)


def test_iou_pairs_counts_faces_two_detectors_agree_on_one_to_one():
    a = [(0, 0, 40, 40), (0, 0, 40, 40), (100, 0, 40, 40), (300, 0, 40, 40)]
    b = [(0, 0, 40, 40), (104, 2, 40, 40), (102, 0, 40, 40), (500, 0, 40, 40)]
    # One of a's two equal boxes pairs with b's equal one; the box at 100 takes one of b's two near it (once);
    # the far boxes pair with nothing.
    assert iou_pairs(a, b) == 2 and iou_pairs(b, a) == 2
    assert iou_pairs(a, [(10, 10, 40, 40)]) == 0  # IoU 0.39: not the same face at 0.5
    assert iou_pairs(a, [(10, 10, 40, 40)], at_least=0.3) == 1
    assert iou_pairs([], b) == 0


def test_match_nearest_pairs_the_same_character_nearest_first_each_once():
    before = [("pip", (0, 0, 40, 40)), ("pip", (100, 0, 40, 40)), ("marmalade", (200, 0, 40, 40))]
    now = [("pip", (104, 0, 40, 40)), ("pip", (10, 0, 40, 40)), ("marmalade", (205, 0, 40, 40)),
           ("marmalade", (0, 0, 40, 40)), ("pip", (400, 0, 40, 40))]
    # Each pip pairs with the pip nearest it; the marmalade at the pip's place is not a pip; the far pip is new.
    assert sorted(match_nearest(before, now, max_shift=0.8)) == [(0, 1), (1, 0), (2, 2)]
    # One sighting, two candidates: the nearer wins, the other stays unmatched.
    candidates = [("pip", (20, 0, 40, 40)), ("pip", (4, 0, 40, 40))]
    assert match_nearest([("pip", (0, 0, 40, 40))], candidates, 0.8) == [(0, 1)]
    assert match_nearest(before, [("pip", (0, 0, 100, 100))], max_shift=0.8) == []  # a size change is another face


def test_faces_moving_slowly_form_one_track_per_character_and_a_cut_ends_them():
    analysed = [0, 3, 6, 9, 12]
    points = {
        f: [ClassifiedFace(f, "pip", (100 + 2 * f, 50, 40, 40), onehot(1)),
            ClassifiedFace(f, "marmalade", (300 - f, 80, 60, 60), onehot(0))]
        for f in analysed
    }
    tracks = link_tracks(points, analysed, cuts={9})
    by_character = sorted((t.character, [p.frame for p in t.points]) for t in tracks)
    assert by_character == [
        ("marmalade", [0, 3, 6]), ("marmalade", [9, 12]), ("pip", [0, 3, 6]), ("pip", [9, 12]),
    ]


def test_a_track_survives_a_short_gap_and_the_gap_is_filled_by_interpolation():
    analysed = [0, 3, 6, 9]
    points = {0: [ClassifiedFace(0, "pip", (100, 50, 40, 40), onehot(1))],
              9: [ClassifiedFace(9, "pip", (130, 50, 40, 40), onehot(1))]}
    (track,) = link_tracks(points, analysed, cuts=set(), max_gap=2)
    fill_gaps(track, analysed)
    assert [(p.frame, p.box[0], p.interpolated) for p in track.points] == [
        (0, 100, False), (3, 110, True), (6, 120, True), (9, 130, False)
    ]
    assert link_tracks(points, analysed, cuts=set(), max_gap=1).__len__() == 2


def test_smoothing_removes_a_single_misread_but_keeps_a_real_change():
    sequence = [1, 1, 1, 0, 1, 1, 1, 2, 2, 2, 2, 2]  # one stray 'angry', then a lasting change to 'sad'
    probabilities = np.stack([onehot(i, 0.7) for i in sequence])
    path = smooth_emotions(probabilities, switch_cost=3.0)
    assert path.tolist() == [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    assert smooth_emotions(probabilities, switch_cost=0.0).tolist() == sequence


def truth_of(frames, fps=24):
    return {"fps": fps, "width": 854, "height": 480, "frame_count": len(frames),
            "frames": [{"index": i, "faces": faces} for i, faces in enumerate(frames)]}


def face(character, emotion, box, scored=True):
    return {"character": character, "emotion": emotion, "box": list(box), "scored": scored}


def detection(frame, character, box, emotion):
    return {"frame": frame, "character": character, "box": list(box), "emotion": emotion}


def test_truth_metrics_counts_hits_misses_false_alarms_and_ignores_unscored_faces():
    truth = truth_of([
        [face("pip", "happy", (100, 100, 40, 40)), face("marmalade", "angry", (300, 100, 60, 60))],
        [face("pip", "happy", (102, 100, 40, 40)), face("marmalade", "angry", (0, 0, 20, 20), scored=False)],
    ])
    result = {"characters": ["pip", "marmalade"], "analyzed": [0, 1], "detections": [
        detection(0, "pip", (101, 101, 40, 40), "happy"),        # hit, right emotion
        detection(0, "marmalade", (500, 300, 60, 60), "angry"),  # false alarm; the real cat is missed
        detection(1, "pip", (102, 100, 40, 40), "sad"),          # hit, wrong emotion
        detection(1, "marmalade", (0, 0, 20, 20), "angry"),      # an unscored face: neither way
        detection(1, "pip", (600, 300, 40, 40), "happy"),         # false alarm
    ]}
    metrics = evaluate_segmentation(result, truth)
    assert (metrics.true_positives, metrics.false_positives, metrics.misses) == (2, 2, 1)
    assert metrics.precision == 0.5 and metrics.recall == pytest.approx(2 / 3)
    assert metrics.emotion_accuracy == 0.5


def test_truth_metrics_only_judges_analysed_frames_and_same_character_matches():
    truth = truth_of([[face("pip", "happy", (100, 100, 40, 40))]] * 4)
    result = {"characters": ["pip"], "analyzed": [0, 2], "detections": [
        detection(0, "pip", (100, 100, 40, 40), "happy"),
        detection(1, "pip", (900, 900, 40, 40), "happy"),  # not an analysed frame: not judged
        detection(2, "marmalade", (100, 100, 40, 40), "happy"),  # wrong character: a false alarm and a miss
    ]}
    metrics = evaluate_segmentation(result, truth)
    assert (metrics.true_positives, metrics.false_positives, metrics.misses, metrics.frames_scored) == (1, 1, 1, 2)


def test_events_are_runs_of_half_a_second_and_need_the_right_emotion():
    fps = 10  # an event needs 5 frames
    frames = ([[face("pip", "happy", (100, 100, 40, 40))]] * 6 + [[face("pip", "sad", (100, 100, 40, 40))]] * 3
              + [[face("pip", "angry", (100, 100, 40, 40))]] * 5)
    truth = truth_of(frames, fps=fps)
    spans = truth_spans(truth, {"pip"})
    assert [(s.emotion, len(s.faces)) for s in spans] == [("happy", 6), ("angry", 5)]
    result = {"characters": ["pip"], "analyzed": [2, 11], "detections": [
        detection(2, "pip", (100, 100, 40, 40), "happy"),
        detection(11, "pip", (100, 100, 40, 40), "sad"),  # found the face but misread the emotion
    ]}
    metrics = evaluate_segmentation(result, truth)
    assert (metrics.events, metrics.events_recalled) == (2, 1)


def test_track_pieces_join_across_a_boundary_by_the_linking_rule():
    from toonvision.tracking import TrackEnd, join_tracks

    tails = [TrackEnd(1, "pip", 236, (100, 100, 40, 40)), TrackEnd(2, "pip", 236, (300, 100, 40, 40)),
             TrackEnd(3, "marmalade", 232, (500, 100, 40, 40))]
    heads = [TrackEnd(10, "pip", 240, (305, 102, 40, 40)), TrackEnd(11, "pip", 240, (104, 98, 40, 40)),
             TrackEnd(12, "marmalade", 244, (500, 100, 40, 40)), TrackEnd(13, "pip", 244, (700, 100, 40, 40))]
    assert join_tracks(tails, heads, set(), reach=12) == {10: 2, 11: 1, 12: 3}  # 13 moved too far: a new face
    assert join_tracks(tails, heads, {240}, reach=12) == {}  # a shot cut ends every track
    assert join_tracks(tails, heads, set(), reach=8) == {10: 2, 11: 1}  # marmalade was unseen for too long
