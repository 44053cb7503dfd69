"""`manage.py segment`, run as a user runs it: the JSON contract, the shipped cast's quality on an unseen
studio episode, the dissertation's method, named cascades, and bad input."""

import json
import os
from pathlib import Path

import pytest

from tests.checks import HAKO, needs_hako
from tests.processes import assert_clean_failure, command_output, command_refusal, manage_py
from toonvision.studio.episode import write_episode
from toonvision.truth_metrics import evaluate_segmentation

# With no --weights the commands read the active model from the registry (emotions.services.classifier).
pytestmark = pytest.mark.django_db

EPISODE_SEED = 31  # never used for cascade or CNN training data (those are 1, 7 and 8)


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    video = tmp_path_factory.mktemp("segment") / "episode.mp4"
    write_episode(video, seconds=20, seed=EPISODE_SEED)
    return video


def segment(video, out, *args):
    """`manage.py segment` as a user runs it, in its own process."""
    return manage_py("segment", str(video), "--json", str(out), "--no-progress", *args)


def segment_here(video, out, *args) -> str:
    """The same command in this process; returns its output."""
    return command_output("segment", str(video), "--json", str(out), "--no-progress", *args)


def segment_refusal(video, out, *args) -> str:
    """The message of the CommandError the command raises for bad input (manage.py prints it and exits 1)."""
    return command_refusal("segment", str(video), "--json", str(out), "--no-progress", *args)


@pytest.mark.slow
def test_fast_finds_the_cast_and_their_emotions_on_an_unseen_episode(episode, tmp_path):
    out = tmp_path / "fast.json"
    result = segment(episode, out, "--truth")
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert {"video", "fps", "frame_count", "analyzed", "seconds", "detections"} <= data.keys()
    assert data["fps"] == 24 and data["frame_count"] == 480 and data["characters"] == ["marmalade", "pip"]
    assert data["analyzed"] == sorted(set(data["analyzed"])) and len(data["analyzed"]) < data["frame_count"]
    detection = data["detections"][0]
    assert {"frame", "time", "character", "box", "emotion", "confidence", "track"} <= detection.keys()
    assert all(d["frame"] in set(data["analyzed"]) for d in data["detections"])
    truth = json.loads(episode.with_name("episode.truth.json").read_text())
    metrics = evaluate_segmentation(data, truth)
    assert metrics.precision >= 0.9 and metrics.recall >= 0.9, metrics.as_json()
    assert metrics.event_recall >= 0.95 and metrics.emotion_accuracy >= 0.9, metrics.as_json()
    assert f"event recall {metrics.event_recall:.3f}" in result.stdout


@pytest.mark.slow
def test_seed_method_analyses_every_frame_without_tracking(episode, tmp_path):
    out = tmp_path / "seed.json"
    segment_here(episode, out, "--method", "seed", "--start", "24", "--stop", "48")
    data = json.loads(out.read_text())
    assert data["analyzed"] == list(range(24, 48))
    assert data["detections"] and all(d["track"] is None for d in data["detections"])


@needs_hako
def test_named_cascades_are_exactly_the_characters_looked_for(episode, tmp_path):
    out = tmp_path / "hako.json"
    segment_here(episode, out, "--cascade", f"tom={HAKO / 'tom.xml'}", "--cascade", f"jerry={HAKO / 'jerry.xml'}",
                 "--stop", "48")
    data = json.loads(out.read_text())
    assert data["characters"] == ["tom", "jerry"]
    assert {d["character"] for d in data["detections"]} <= {"tom", "jerry"}


def test_bad_videos_are_refused_cleanly_and_nothing_is_written(episode, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.mp4"
    data = episode.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    for video, message in [(text, "not a video"), (empty, "empty"), (truncated, "truncated"),
                           (tmp_path / "missing.mp4", "no such file")]:
        out = tmp_path / f"{video.stem}.json"
        assert message in segment_refusal(video, out)
        assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_bad_cascades_and_arguments_are_refused_cleanly(episode, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<opencv_storage><cascade><stages>")
    out = tmp_path / "out.json"
    assert "not a cascade XML file" in segment_refusal(episode, out, "--cascade", f"pip={broken}")
    assert "NAME=FILE.xml" in segment_refusal(episode, out, "--cascade", "pip")
    assert "frame range" in segment_refusal(episode, out, "--start", "900")
    assert not out.exists()
    assert Path(episode).exists()


@pytest.mark.slow
def test_the_torch_detector_finds_what_opencv_finds(episode, tmp_path):
    """--detector torch runs the cascades in torch (here on the CPU) and gives the same faces, tracks and
    emotions as --detector opencv; auto picks OpenCV where there is no CUDA."""
    runs = {}
    for choice in ("opencv", "torch", "auto"):
        out = tmp_path / f"{choice}.json"
        result = segment(episode, out, "--detector", choice, "--stop", "96", "--device", "cpu")
        assert result.returncode == 0, result.stderr
        runs[choice] = json.loads(out.read_text())
        assert f"detector {runs[choice]['detector']}" in result.stdout
    assert runs["opencv"]["detector"] == runs["auto"]["detector"] == "opencv"
    assert runs["torch"]["detector"] == "torch (cpu)"
    assert runs["torch"]["detections"] and runs["torch"]["detections"] == runs["opencv"]["detections"]
    assert runs["torch"]["analyzed"] == runs["opencv"]["analyzed"]


def test_an_unknown_detector_is_refused_with_the_choices(episode, tmp_path):
    out = tmp_path / "out.json"
    result = segment(episode, out, "--detector", "gpu")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "invalid choice: 'gpu' (choose from 'opencv', 'torch', 'auto')" in result.stderr
    assert not out.exists()


def test_workers_refuse_an_unknown_detector_setting():
    result = manage_py("check", env={"DETECTOR": "gpu"})
    assert_clean_failure(result, "DETECTOR must be opencv, torch or auto, not 'gpu'")


def test_an_unknown_emotion_precision_setting_is_refused_with_the_choices():
    result = manage_py("check", env={"EMOTION_PRECISION": "fp16"})
    assert_clean_failure(result, "EMOTION_PRECISION must be auto, fp32 or bf16, not 'fp16'")
