"""What the tests check again and again: a processed episode holds together, nothing is left in storage."""
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.files.storage import default_storage

from emotions.models import Character, Detection, Episode, EpisodeEmotion, Status
from emotions.services.ranges import TRACK_STRIDE
from toonvision.crops import STORED_CROP_MARGIN, stored_crop_side
from toonvision.segmentation import crop_margins
from toonvision.tracking import iou

# The dissertation's cascades stay outside the repository (their README asks that): beside the checkout,
# or where HAKO_CASCADES points (a clone elsewhere, such as CI's, falls back to the workplace's copy).
_HAKO_CANDIDATES = [
    os.environ.get("HAKO_CASCADES", ""),
    Path(__file__).resolve().parents[1].parent / "shared" / "third_party" / "hako-cascades",
    "/work/shared/third_party/hako-cascades",
]
HAKO = next((Path(c) for c in _HAKO_CANDIDATES if c and (Path(c) / "tom.xml").exists()),
            Path(str(_HAKO_CANDIDATES[1])))
needs_hako = pytest.mark.skipif(
    not (HAKO / "tom.xml").exists(), reason=f"the dissertation's cascades are not at {HAKO} on this machine"
)


def media_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def nothing_left(media_root) -> bool:
    return not Episode.objects.exists() and media_files(media_root) == []


def detection_rows(queryset) -> list[tuple]:
    return sorted(
        (d.frame, d.character.slug, d.x, d.y, d.w, d.h, d.emotion, round(d.confidence, 4), d.track, d.interpolated)
        for d in queryset.select_related("character")
    )


def check_processed(episode: Episode) -> list[Detection]:
    """Everything a finished episode must hold together; returns its detections."""
    episode.refresh_from_db()
    run = episode.current_run
    assert (episode.status, episode.progress, episode.error) == (Status.DONE, 1.0, "")
    assert run.status == Status.DONE and run.finished and run.weights_sha256 and run.cascades
    ranges = list(run.ranges.order_by("start"))
    assert [r.start for r in ranges] == list(range(0, episode.frame_count, run.range_frames))
    assert ranges[-1].stop == episode.frame_count and all(r.status == Status.DONE for r in ranges)
    detections = list(Detection.objects.filter(episode=episode).select_related("character"))
    assert detections, "the stand-in cascades find faces on every studio episode tried; none were kept"
    assert run.detection_count == len(detections) == sum(r.detection_count for r in ranges)
    assert {d.run_id for d in detections} == {run.pk}
    assert run.options["stored_crop_margin"] == STORED_CROP_MARGIN
    for d in detections:
        assert 0 <= d.frame < episode.frame_count
        assert d.time == pytest.approx(d.frame / episode.fps) and 0 < d.duration <= 1.0
        assert d.x < episode.width and d.y < episode.height
        assert sum(d.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert d.probabilities[d.emotion] > 0 and 0 <= d.confidence <= 1
        crop = cv2.imdecode(np.frombuffer(default_storage.open(d.crop.name).read(), np.uint8), cv2.IMREAD_COLOR)
        frame = cv2.imdecode(np.frombuffer(default_storage.open(d.frame_image.name).read(), np.uint8), cv2.IMREAD_COLOR)
        side = stored_crop_side(d.box, cnn_margin=crop_margins(run.method, run.options)[1])  # native, never resized
        assert crop.shape == (side, side, 3)
        assert frame.shape == (episode.height, episode.width, 3)
    # Each range's tracks are numbered in its own block, so the run's track ids never collide; a track that
    # crosses into later ranges keeps the id of the range it started in.
    for d in detections:
        assert d.track is None or d.track // TRACK_STRIDE <= d.frame // run.range_frames
    summaries = list(EpisodeEmotion.objects.filter(episode=episode))
    for character in {d.character_id for d in detections}:
        rows = [s for s in summaries if s.character_id == character]
        mine = [d for d in detections if d.character_id == character]
        assert sum(s.share for s in rows) == pytest.approx(1.0)
        assert sum(s.seconds for s in rows) == pytest.approx(sum(d.duration for d in mine))
        assert sum(s.detections for s in rows) == len(mine)
        for s in rows:
            assert s.run_id == run.pk and s.weighted_seconds <= s.seconds
            assert s.seconds == pytest.approx(sum(d.duration for d in mine if d.emotion == s.emotion))
    return detections


def check_against_truth(episode: Episode, truth_file: Path, detections: list[Detection]) -> None:
    """With the shipped cast, most cast faces found lie on a truth face of that character on that frame."""
    cast = {c.slug for c in Character.objects.filter(shipped=True)}
    if not cast:
        return  # stand-in cascades find the wrong things by design
    truth = {f["index"]: f["faces"] for f in json.loads(truth_file.read_text())["frames"]}
    seen = [d for d in detections if d.character.slug in cast and not d.interpolated]
    hits = sum(
        any(t["character"] == d.character.slug and iou(d.box, t["box"]) >= 0.3 for t in truth[d.frame]) for d in seen
    )
    assert seen and hits / len(seen) >= 0.6, f"{hits} of {len(seen)} cast faces lie on the truth"


def rows_without_confidence(queryset) -> list[tuple]:
    """Detections as comparable rows, all but the confidence (compared with a tolerance by `confidences`)."""
    return sorted(
        (d.frame, d.character.slug, d.x, d.y, d.w, d.h, d.emotion, d.track, d.interpolated)
        for d in queryset.select_related("character")
    )


def confidences(queryset) -> list[float]:
    return [d.confidence for d in queryset.order_by("frame", "character__slug", "x", "y", "track")]


def wait_episode(episode: Episode, timeout: float, worker) -> None:
    """Wait for a worker to finish processing the episode; fail at once if it failed, or with the worker's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        episode.refresh_from_db()
        assert episode.status != Status.FAILED, episode.error
        if episode.status == Status.DONE:
            return
        time.sleep(0.1)
    raise AssertionError(f"episode not done within {timeout} s\n{worker.log_path.read_text()[-3000:]}")
