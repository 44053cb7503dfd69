"""Helpers for the teaching tests: faces of a studio guest marked as a person marks them, from an episode's truth."""
import hashlib
import json
from pathlib import Path

from toonvision.truth_metrics import truth_path

GUEST = "bramble"  # a studio guest: a fixed identity no shipped cascade or model has seen


def marked_boxes(video, count: int, character: str = GUEST) -> list[tuple[int, list[int]]]:
    """`count` (frame, [x, y, w, h]) of the character's scored faces, spread over the episode, each box clipped to
    the frame: what someone marking faces on the episode page would draw. `video` is the studio's file (its truth
    beside it), or a stored copy of it whose truth is found by the bytes' SHA-256 among the written episodes."""
    truth = json.loads(_truth_file(Path(video)).read_text())
    width, height = truth["width"], truth["height"]
    faces = []
    for entry in truth["frames"]:
        for face in entry["faces"]:
            if face["character"] == character and face["scored"]:
                x, y, w, h = face["box"]
                x0, y0 = max(0, int(x)), max(0, int(y))
                x1, y1 = min(width, int(x + w)), min(height, int(y + h))
                faces.append((entry["index"], [x0, y0, x1 - x0, y1 - y0]))
    assert len(faces) >= count, f"only {len(faces)} {character} faces in {video}"
    return [faces[int((i + 0.5) * len(faces) / count)] for i in range(count)]


_WRITTEN: dict[str, Path] = {}


def remember_truth(video) -> Path:
    """Note a studio video's truth by its bytes, so a stored copy of the video (an uploaded episode) finds it."""
    video = Path(video)
    _WRITTEN[hashlib.sha256(video.read_bytes()).hexdigest()] = truth_path(video)
    return video


def _truth_file(video: Path) -> Path:
    beside = truth_path(video)
    if beside.is_file():
        return beside
    return _WRITTEN[hashlib.sha256(video.read_bytes()).hexdigest()]
