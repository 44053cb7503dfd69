"""How well a segmentation matches a studio episode's truth file: precision and recall of faces, emotion
accuracy, event recall; and where a video's truth file lives.

- Faces: on the analysed frames, detections are matched one-to-one to truth faces of the same character
  at IoU >= 0.5 (best overlaps first). A match to a scored face is a true positive; a match to an
  unscored face (tiny or mostly hidden) counts neither way; an unmatched detection is a false positive;
  an unmatched scored face of a character that was looked for is a miss.
- Emotion accuracy: the share of true positives whose emotion is the truth's.
- Events: a truth span is one character showing one emotion on consecutive frames (scored faces only)
  for at least `min_event_seconds`; it is recalled when some detection inside it matches its face with
  the right emotion.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .tracking import match_by_iou

MATCH_IOU = 0.5
MIN_EVENT_SECONDS = 0.5


@dataclass
class SegmentationMetrics:
    """Counts of a segmentation against the truth, and the rates made from them."""

    true_positives: int = 0
    false_positives: int = 0
    misses: int = 0
    emotion_correct: int = 0
    events: int = 0
    events_recalled: int = 0
    frames_scored: int = 0
    per_character: dict = field(default_factory=dict)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        present = self.true_positives + self.misses
        return self.true_positives / present if present else 1.0

    @property
    def emotion_accuracy(self) -> float:
        return self.emotion_correct / self.true_positives if self.true_positives else 0.0

    @property
    def event_recall(self) -> float:
        return self.events_recalled / self.events if self.events else 1.0

    def as_json(self) -> dict:
        data = asdict(self)
        for name in ("precision", "recall", "emotion_accuracy", "event_recall"):
            data[name] = round(getattr(self, name), 4)
        return data


def truth_path(video) -> Path:
    """episode.mp4 -> episode.truth.json: the truth file beside its video."""
    video = Path(video)
    return video.with_name(video.stem + ".truth.json")


def load_truth(path: Path | str) -> dict:
    return json.loads(Path(path).read_text())


def evaluate_segmentation(result: dict, truth: dict, characters: list[str] | None = None) -> SegmentationMetrics:
    """Measure a segmentation (the `segment` command's JSON) against a truth file's dict."""
    characters = set(characters or result.get("characters") or _cast_in(truth))
    truth_frames = {f["index"]: f["faces"] for f in truth["frames"]}
    by_frame = defaultdict(list)
    for d in result["detections"]:
        by_frame[d["frame"]].append(d)
    metrics = SegmentationMetrics()
    per = defaultdict(lambda: {"true_positives": 0, "false_positives": 0, "misses": 0, "emotion_correct": 0})
    matched: dict[tuple[int, int], dict] = {}  # (frame, truth face index) -> the detection that matched it
    for frame in result["analyzed"]:
        faces = truth_frames.get(frame, [])
        metrics.frames_scored += 1
        pairs = _matches(by_frame.get(frame, []), faces)
        for det, face_index in pairs.items():
            detection, face = by_frame[frame][det], faces[face_index]
            if not face["scored"]:
                continue
            matched[(frame, face_index)] = detection
            per[face["character"]]["true_positives"] += 1
            if detection["emotion"] == face["emotion"]:
                per[face["character"]]["emotion_correct"] += 1
        for det, detection in enumerate(by_frame.get(frame, [])):
            if det not in pairs:
                per[detection["character"]]["false_positives"] += 1
        for i, face in enumerate(faces):
            if face["scored"] and face["character"] in characters and (frame, i) not in matched:
                per[face["character"]]["misses"] += 1
    for stats in per.values():
        for key, value in stats.items():
            setattr(metrics, key, getattr(metrics, key) + value)
    metrics.per_character = {name: dict(stats) for name, stats in sorted(per.items())}
    spans = truth_spans(truth, characters)
    metrics.events = len(spans)
    metrics.events_recalled = sum(_span_recalled(span, matched) for span in spans)
    return metrics


def _matches(detections: list[dict], faces: list[dict]) -> dict[int, int]:
    """Detection index -> truth face index, greedily by IoU, same character, IoU >= MATCH_IOU."""
    return dict(match_by_iou([(d["character"], d["box"]) for d in detections],
                             [(f["character"], f["box"]) for f in faces], MATCH_IOU))


@dataclass
class Span:
    character: str
    emotion: str
    faces: list[tuple[int, int]]  # (frame, truth face index)


def truth_spans(truth: dict, characters, min_seconds: float = MIN_EVENT_SECONDS) -> list[Span]:
    """Every run of consecutive frames in which a character's scored face shows one emotion, lasting
    at least min_seconds."""
    min_frames = int(round(min_seconds * truth["fps"]))
    open_spans: dict[str, Span] = {}
    spans: list[Span] = []
    previous_frame = None
    for frame in sorted(truth["frames"], key=lambda f: f["index"]):
        seen = {}
        for i, face in enumerate(frame["faces"]):
            if face["scored"] and face["character"] in characters:
                seen.setdefault(face["character"], (i, face["emotion"]))
        for character in list(open_spans):
            span = open_spans[character]
            now = seen.get(character)
            contiguous = previous_frame is not None and frame["index"] == previous_frame + 1
            if now is None or now[1] != span.emotion or not contiguous:
                spans.append(open_spans.pop(character))
        for character, (i, emotion) in seen.items():
            open_spans.setdefault(character, Span(character, emotion, [])).faces.append((frame["index"], i))
        previous_frame = frame["index"]
    spans.extend(open_spans.values())
    return [s for s in spans if len(s.faces) >= min_frames]


def _span_recalled(span: Span, matched: dict) -> bool:
    for key in span.faces:
        detection = matched.get(key)
        if detection is not None and detection["emotion"] == span.emotion:
            return True
    return False


def _cast_in(truth: dict) -> list[str]:
    return sorted({f["character"] for fr in truth["frames"] for f in fr["faces"] if f["character"] != "extras"})
