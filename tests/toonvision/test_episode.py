"""Studio episodes and cascade samples: real videos and truth files, checked against each other (no Django)."""

import itertools
import json
import math
from collections import Counter, defaultdict
from dataclasses import replace

import cv2
import numpy as np
import pytest

from toonvision.emotions import EMOTIONS
from toonvision.studio import CAST
from toonvision.studio.cascade_data import face_crops, negative_scene, write_cascade_samples
from toonvision.studio.episode import (
    Actor,
    EmotionSchedule,
    Pose,
    backdrop,
    bias_shares,
    composite,
    parse_emotion_bias,
    plan_episode,
    render_frame,
    sprite_box,
    visible_share,
    write_episode,
)
from toonvision.studio.faces import paint_face
from toonvision.truth_metrics import truth_path
from toonvision.video import decode_frames, probe_video

SECONDS, SEED, FPS = 4, 5, 24


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    video = tmp_path_factory.mktemp("episode") / "episode.mp4"
    summary = write_episode(video, seconds=SECONDS, seed=SEED)
    return video, json.loads(truth_path(video).read_text()), summary


def faces(truth):
    return [(frame["index"], face) for frame in truth["frames"] for face in frame["faces"]]


def screen_shares(truth, character):
    counts = Counter(face["emotion"] for _, face in faces(truth) if face["character"] == character)
    total = sum(counts.values())
    return {emotion: counts[emotion] / total for emotion in EMOTIONS}


# -- the episode and its truth ------------------------------------------------------------------------
def test_the_truth_matches_the_video(episode):
    video, truth, summary = episode
    info = probe_video(video)
    assert info.codec == "h264"
    assert (info.width, info.height) == (truth["width"], truth["height"]) == (854, 480)
    assert info.fps == pytest.approx(truth["fps"]) and truth["fps"] == FPS
    assert info.frame_count == truth["frame_count"] == len(truth["frames"]) == SECONDS * FPS
    assert [f["index"] for f in truth["frames"]] == list(range(SECONDS * FPS))
    assert sum(1 for _ in decode_frames(video)) == truth["frame_count"]
    assert truth["seed"] == SEED
    assert summary["video"] == str(video) and summary["truth"] == str(video.with_name("episode.truth.json"))
    shots = truth["shots"]
    assert shots[0][0] == 0 and shots[-1][1] == truth["frame_count"]
    assert all(a[1] == b[0] for a, b in zip(shots, shots[1:]))


def test_every_face_is_described_in_full(episode):
    _, truth, _ = episode
    for _, face in faces(truth):
        assert set(face) >= {"character", "emotion", "box", "scored"}
        assert face["character"] in ("marmalade", "pip", "extras")
        assert face["emotion"] in EMOTIONS
        assert len(face["box"]) == 4 and all(isinstance(v, int) for v in face["box"])
        assert face["box"][2] == face["box"][3]  # the head's square box
        x, y, w, h = face["box"]
        assert x + w > 0 and y + h > 0 and x < truth["width"] and y < truth["height"]


def test_scored_faces_are_big_enough_and_inside_the_frame(episode):
    _, truth, _ = episode
    scored = [face for _, face in faces(truth) if face["scored"]]
    assert len(scored) > 0.8 * len(faces(truth))
    assert len(scored) < len(faces(truth))  # someone walks in or out: the rule is exercised
    for face in scored:
        x, y, w, h = face["box"]
        inside = max(0, min(x + w, truth["width"]) - max(x, 0)) * max(0, min(y + h, truth["height"]) - max(y, 0))
        assert w >= 24 and inside >= 0.8 * w * h and face["visible"] >= 0.8


def test_both_cast_members_appear_with_their_faces_scored(episode):
    _, truth, _ = episode
    scored = Counter(face["character"] for _, face in faces(truth) if face["scored"])
    for name in CAST:
        assert scored[name] >= truth["fps"]  # at least a second each


def test_emotions_hold_at_least_half_a_second(episode):
    _, truth, _ = episode
    min_hold = math.ceil(0.5 * truth["fps"])
    runs = defaultdict(list)  # (character, track) -> [[emotion, length, last frame]]
    for index, face in faces(truth):
        run = runs[(face["character"], face["track"])]
        if run and run[-1][0] == face["emotion"] and run[-1][2] == index - 1:
            run[-1][1] += 1
            run[-1][2] = index
        else:
            run.append([face["emotion"], 1, index])
    assert any(len(run) > 1 for run in runs.values())  # emotions do change
    for run in runs.values():
        for emotion, length, _ in run:
            assert length >= min_hold or len(run) == 1, (emotion, length)


def test_faces_rarely_overlap_and_vary_in_size(episode):
    _, truth, _ = episode
    sides = [face["box"][2] for _, face in faces(truth)]
    assert 40 <= np.median(sides) <= 160
    overlapping = pairs = 0
    for frame in truth["frames"]:
        boxes = [f["box"] for f in frame["faces"]]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                pairs += 1
                ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
                iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
                overlapping += ix * iy > 0.1 * min(a[2] * a[3], b[2] * b[3])
    assert pairs and overlapping <= 0.05 * pairs


def test_the_boxes_sit_on_the_drawn_faces(episode):
    """Where the truth puts a scored face, the frame differs from the set behind it; far from faces it does not."""
    video, truth, _ = episode
    shots = plan_episode(frames=truth["frame_count"], seed=SEED, width=854, height=480, fps=FPS)
    shot = shots[0]
    k = shot.length // 2
    frame = next(iter(decode_frames(video, start=k, stop=k + 1))).bgr().astype(int)
    empty = shot.set[:, int(shot.pan[k]) : int(shot.pan[k]) + 854].astype(int)
    inside = [f for f in truth["frames"][k]["faces"] if f["scored"] and min(f["box"][:2]) >= 0]
    assert inside
    for face in inside:
        x, y, w, h = face["box"]
        centre = np.abs(
            frame[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
            - empty[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
        )
        assert (centre.max(axis=2) > 30).mean() > 0.5  # a face is drawn there
    assert np.abs(frame[:10] - empty[:10]).mean() < 6  # the sky strip at the top is just the set


def test_the_same_seed_draws_the_same_episode(episode, tmp_path):
    _, truth, _ = episode
    again = tmp_path / "again.mp4"
    write_episode(again, seconds=SECONDS, seed=SEED)
    assert json.loads(truth_path(again).read_text()) == truth
    other = tmp_path / "other.mp4"
    write_episode(other, seconds=SECONDS, seed=SEED + 1)
    assert json.loads(truth_path(other).read_text())["frames"] != truth["frames"]


def test_characters_move_turn_zoom_enter_and_leave():
    shots = [s for seed in range(4) for s in plan_episode(frames=20 * FPS, seed=seed, width=854, height=480, fps=FPS)]
    tracks = [t for s in shots for t in s.tracks]
    assert len({len(s.tracks) for s in shots}) > 1  # shots differ in who is on set
    assert np.mean([np.ptp(t.yaw) > 0.1 for t in tracks]) > 0.5  # heads turn
    assert np.mean([np.ptp(t.side) / t.side.mean() > 0.05 for t in tracks]) > 0.5  # and zoom
    assert any(not t.seen[0] and t.seen.any() for t in tracks)  # someone walks in
    assert any(t.seen.any() and not t.seen[-1] for t in tracks)  # and someone walks out
    assert any(t.actor.character == "extras" for t in tracks)
    cast = [t.actor for t in tracks if t.actor.character == "pip" and t in shots[0].tracks + shots[1].tracks]
    assert all(actor is cast[0] for actor in cast)  # one identity per episode


# -- emotion bias -----------------------------------------------------------------------------------------
def test_emotion_bias_sets_the_screen_time_order(tmp_path):
    bias = {"pip": {"happy": 0.6, "sad": 0.25}, "marmalade": {"angry": 0.7}}
    plain = write_episode(tmp_path / "plain.mp4", seconds=SECONDS, seed=11)
    biased = write_episode(tmp_path / "biased.mp4", seconds=SECONDS, seed=11, emotion_bias=bias)
    truth = json.loads(truth_path(tmp_path / "biased.mp4").read_text())
    pip, marmalade = screen_shares(truth, "pip"), screen_shares(truth, "marmalade")
    assert pip["happy"] == pytest.approx(0.6, abs=0.1) and marmalade["angry"] == pytest.approx(0.7, abs=0.1)
    assert pip["happy"] > pip["sad"] > max(v for e, v in pip.items() if e not in ("happy", "sad"))
    assert marmalade["angry"] == max(marmalade.values())
    plain_truth = json.loads(truth_path(tmp_path / "plain.mp4").read_text())
    assert screen_shares(plain_truth, "pip")["happy"] < pip["happy"]
    assert biased["screen_time"]["pip"]["happy"] > plain["screen_time"]["pip"].get("happy", 0.0)


def test_the_schedule_follows_shares_and_holds():
    shares = bias_shares({"pip": {"sad": 0.5}})["pip"]
    schedule = EmotionSchedule(np.random.default_rng(0), shares, total_frames=600)
    emotions = schedule.fill(250, 24) + schedule.fill(350, 24)
    assert Counter(emotions)["sad"] == pytest.approx(300, abs=12)
    runs = [len(list(g)) for _, g in itertools.groupby(emotions[:250])]
    assert min(runs) >= 12


@pytest.mark.parametrize(
    "bias,message",
    [
        ({"bob": {"happy": 0.5}}, "unknown cast member"),
        ({"pip": {"glee": 0.5}}, "unknown emotion"),
        ({"pip": {"happy": 0.8, "sad": 0.4}}, "add up to at most 1"),
        ({"pip": {"happy": -0.1}}, "0..1"),
    ],
)
def test_impossible_biases_are_refused(bias, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        write_episode(tmp_path / "x.mp4", seconds=1, seed=0, emotion_bias=bias)
    assert list(tmp_path.iterdir()) == []


def test_bias_items_parse():
    assert parse_emotion_bias(["pip:happy=0.6,sad=0.2", "marmalade:angry=0.5"]) == {
        "pip": {"happy": 0.6, "sad": 0.2},
        "marmalade": {"angry": 0.5},
    }
    assert parse_emotion_bias(None) == {}
    for bad in ("pip", "pip:happy", "pip:happy=lots", "pip:happy=nan"):
        with pytest.raises(ValueError, match="CHARACTER:EMOTION=SHARE"):
            parse_emotion_bias([bad])


def test_bad_episode_requests_are_refused(tmp_path):
    with pytest.raises(ValueError, match="seconds"):
        write_episode(tmp_path / "a.mp4", seconds=0, seed=0)
    with pytest.raises(ValueError, match=".mp4"):
        write_episode(tmp_path / "a.avi", seconds=1, seed=0)
    with pytest.raises(ValueError, match="even"):
        write_episode(tmp_path / "a.mp4", seconds=1, seed=0, width=855)


# -- sprites, visibility, sets ------------------------------------------------------------------------------
def test_a_placed_sprite_matches_the_face_drawn_directly():
    actor = Actor("marmalade", [3], sprite_box(480))
    pose = Pose(x=200.3, y=150.7, side=96.0, rotation=12.0, yaw=0.0)
    frame = np.zeros((300, 400, 3), np.uint8)
    ids = np.zeros((300, 400), np.int16)
    placed = composite(frame, ids, actor.sprite("happy", pose.yaw), pose, actor.half, 1)
    direct = np.zeros_like(frame)
    alpha = np.zeros(frame.shape[:2], np.uint8)
    spec = replace(actor.spec("happy"), rotation=pose.rotation)
    paint_face(direct, spec, (pose.x, pose.y), pose.side / (2 * actor.half), alpha)
    head = alpha > 127
    drawn = ids == 1
    overlap = (head & drawn).sum() / head.sum()
    assert overlap > 0.97  # the whole face is there (the body adds more below)
    ys, xs = np.nonzero(placed.head > 0.5)
    ys, xs = ys + placed.y0, xs + placed.x0
    assert abs(xs.mean() - pose.x) < 3 and abs(ys.mean() - pose.y) < 5  # the head is centred on the pose
    assert max(np.ptp(xs), np.ptp(ys)) == pytest.approx(pose.side, rel=0.06)  # and fills its box
    colours = np.abs(frame.astype(int) - direct.astype(int)).max(axis=2)[head & (alpha == 255)]
    assert np.median(colours) < 12


def test_visibility_counts_the_frame_edge_and_what_is_in_front():
    actor = Actor("pip", [4], sprite_box(480))
    sprite = actor.sprite("neutral", 0.0)
    frame = np.zeros((240, 320, 3), np.uint8)
    ids = np.zeros((240, 320), np.int16)
    whole = composite(frame, ids, sprite, Pose(160, 120, 80, 0, 0), actor.half, 1)
    assert visible_share(whole, ids) > 0.95
    frame[:], ids[:] = 0, 0
    half = composite(frame, ids, sprite, Pose(0, 120, 80, 0, 0), actor.half, 1)
    assert visible_share(half, ids) == pytest.approx(0.5, abs=0.06)
    frame[:], ids[:] = 0, 0
    behind = composite(frame, ids, sprite, Pose(160, 120, 80, 0, 0), actor.half, 1)
    composite(frame, ids, sprite, Pose(160, 120, 84, 0, 0), actor.half, 2)  # the same face again, in front
    assert visible_share(behind, ids) < 0.05


def test_backdrops_are_wide_sets():
    a = backdrop(np.random.default_rng(1), 854, 480)
    assert a.shape == (480, 854, 3) and a.dtype == np.uint8
    assert np.array_equal(a, backdrop(np.random.default_rng(1), 854, 480))
    assert not np.array_equal(a, backdrop(np.random.default_rng(2), 854, 480))


# -- cascade samples ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    out = tmp_path_factory.mktemp("cascade")
    return out, write_cascade_samples(out, "pip", positives=14, negatives=3, seed=2)


def test_cascade_samples_have_the_asked_counts_and_sizes(samples):
    out, summary = samples
    assert summary["positives"] == 14 and summary["negatives"] == 3
    positives = sorted((out / "positives").glob("*.png"))
    negatives = sorted((out / "negatives").glob("*.png"))
    assert len(positives) == 14 and len(negatives) == 3
    assert all(cv2.imread(str(p)).shape == (48, 48, 3) for p in positives)
    assert all(cv2.imread(str(p)).shape == (480, 854, 3) for p in negatives)
    listed = (out / "positives.txt").read_text().splitlines()
    assert len(listed) == 14 and listed[0] == f"positives/{positives[0].name} 1 0 0 48 48"
    assert (out / "negatives.txt").read_text().splitlines() == [f"negatives/{p.name}" for p in negatives]


def test_negatives_never_show_the_character(samples):
    out, _ = samples
    index = list(CAST).index("pip")
    for i, path in enumerate(sorted((out / "negatives").glob("*.png"))):
        shot, k = negative_scene(np.random.default_rng([2, 12, index, i]), "pip")
        assert all(t.actor.character != "pip" for t in shot.tracks)
        assert np.array_equal(render_frame(shot, k, 854, 480)[0], cv2.imread(str(path)))  # this scene is the file
    others = Counter(
        t.actor.character for i in range(30) for t in negative_scene(np.random.default_rng([9, i]), "pip")[0].tracks
    )
    assert others["marmalade"] > 10 and others["extras"] > 10 and others["pip"] == 0


def test_positives_are_tight_crops_of_the_face():
    crops = face_crops(np.random.default_rng(5), "marmalade", 6, 48)
    assert len(crops) == 6 and all(c.shape == (48, 48, 3) for c in crops)
    assert len({c.tobytes() for c in crops}) == 6
    # Marmalade is orange: a tight crop of his head is mostly his fur.
    hsv = [cv2.cvtColor(c, cv2.COLOR_BGR2HSV) for c in crops]
    orange = [((h[..., 0] >= 5) & (h[..., 0] <= 25) & (h[..., 1] > 90)).mean() for h in hsv]
    assert np.median(orange) > 0.3


def test_cascade_samples_refuse_bad_requests(tmp_path):
    with pytest.raises(ValueError, match="unknown cast member"):
        write_cascade_samples(tmp_path, "extras", positives=1, negatives=1, seed=0)
    with pytest.raises(ValueError, match="at least one positive"):
        write_cascade_samples(tmp_path, "pip", positives=0, negatives=1, seed=0)


def test_a_shot_lets_go_of_its_set_and_extras_and_draws_them_again_the_same():
    from toonvision.studio.cast import EXTRAS
    from toonvision.studio.episode import plan_episode, render_frame

    shots = plan_episode(frames=240, seed=11, width=320, height=240, fps=24)
    shot = next(s for s in shots if any(t.actor.character == EXTRAS for t in s.tracks))
    k = shot.length // 2
    before, faces = render_frame(shot, k, 320, 240)
    shot.release()
    assert shot.scenery._image is None  # an episode holds one set at a time
    assert all(t.actor._sprites == {} for t in shot.tracks if t.actor.character == EXTRAS)
    again, faces_again = render_frame(shot, k, 320, 240)
    assert np.array_equal(before, again) and faces == faces_again
