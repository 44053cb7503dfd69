"""A taught character's colours: what its cascade, which sees only gray, cannot tell apart.

A cascade learnt from a few marked faces finds that character's face shape, and with it the other round
cartoon faces of the same shape (measured on the studio guests: most of a new cascade's false alarms are other
characters' faces, a green face where the character's is teal). The colours of the face settle it. The
appearance of a character is the hue-saturation histogram of the middle of each example face (brightness left
out, so lighting and shading change little); a face found by the cascade is kept when its own histogram
overlaps one example's by at least `threshold` (histogram intersection, 0-1).

The threshold is chosen on held-out examples, never on the examples the histograms come from: a share of the
lowest held-out overlap, so every held-out face would pass with room to spare. A character drawn in gray,
whose pixels carry no hue, overlaps everything in the unsaturated bins and so is never filtered. Django-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

HUE_BINS = 18  # 10 degrees of hue each
SATURATION_BINS = 8
MIDDLE = 0.2  # the histogram reads the box without this share on each side: the face, not what is around it
THRESHOLD_SHARE = 0.6  # the threshold is this share of the lowest held-out overlap...
MAX_THRESHOLD = 0.4  # ...and never above this, so an unlucky holdout cannot make the filter strict
MAX_EXAMPLES = 64  # histograms kept (spread over the examples): each face found is compared with all


class AppearanceError(ValueError):
    """An appearance that cannot be used: malformed JSON, or no example to learn from."""


@dataclass(frozen=True)
class Appearance:
    """The example faces' histograms (K x bins, each summing to 1) and the overlap a face needs with one of them."""

    histograms: np.ndarray
    threshold: float

    def similarity(self, face: np.ndarray) -> float:
        """The largest overlap (0-1) of this face's histogram (a BGR box of a frame) with an example's."""
        return float(np.minimum(self.histograms, colour_histogram(face)).sum(axis=1).max())

    def accepts(self, face: np.ndarray) -> bool:
        return self.similarity(face) >= self.threshold

    def as_json(self) -> dict:
        return {"bins": [HUE_BINS, SATURATION_BINS], "threshold": round(self.threshold, 4),
                "histograms": [[round(float(v), 5) for v in row] for row in self.histograms]}

    @classmethod
    def from_json(cls, data) -> Appearance:
        try:
            if list(data["bins"]) != [HUE_BINS, SATURATION_BINS]:
                raise AppearanceError(f"appearance bins must be [{HUE_BINS}, {SATURATION_BINS}], got {data['bins']}")
            histograms = np.asarray(data["histograms"], dtype=np.float32)
            threshold = float(data["threshold"])
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, AppearanceError):
                raise
            raise AppearanceError(f"appearance must hold bins, threshold and histograms ({error!r})") from None
        if histograms.ndim != 2 or histograms.shape[1] != HUE_BINS * SATURATION_BINS or len(histograms) == 0:
            raise AppearanceError(f"appearance histograms must be rows of {HUE_BINS * SATURATION_BINS} numbers")
        if not 0.0 <= threshold <= 1.0:
            raise AppearanceError(f"appearance threshold must be between 0 and 1, got {threshold}")
        return cls(histograms, threshold)


def appearance_or_none(data) -> Appearance | None:
    """The appearance stored as JSON (Appearance.as_json), or None for none (null)."""
    return None if data is None else Appearance.from_json(data)


def colour_histogram(image: np.ndarray) -> np.ndarray:
    """The hue-saturation histogram (flattened, summing to 1) of the middle of a BGR or BGRA face image; a BGRA
    image counts only its opaque pixels."""
    h, w = image.shape[:2]
    top, left = int(h * MIDDLE), int(w * MIDDLE)
    middle = image[top : max(top + 1, h - top), left : max(left + 1, w - left)]
    mask = None
    if middle.ndim == 3 and middle.shape[2] == 4:
        mask = (middle[..., 3] >= 128).astype(np.uint8)
        if not mask.any():
            mask = None
        middle = middle[..., :3]
    if middle.ndim == 2:
        middle = cv2.cvtColor(middle, cv2.COLOR_GRAY2BGR)
    hsv = cv2.cvtColor(np.ascontiguousarray(middle), cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], mask, [HUE_BINS, SATURATION_BINS], [0, 180, 0, 256]).reshape(-1)
    total = float(hist.sum())
    return (hist / total if total else hist).astype(np.float32)


def learn_appearance(examples: list[np.ndarray], held_out: list[np.ndarray]) -> tuple[Appearance, dict]:
    """The appearance of the examples (BGR or BGRA crops), its threshold chosen on the held-out ones; and the
    figures behind it: each held-out face's overlap and the share that passes."""
    if not examples:
        raise AppearanceError("no example faces to learn the character's colours from")
    chosen = np.linspace(0, len(examples) - 1, min(len(examples), MAX_EXAMPLES)).round().astype(int)
    histograms = np.stack([colour_histogram(examples[i]) for i in sorted(set(chosen.tolist()))])
    provisional = Appearance(histograms, 0.0)
    overlaps = [provisional.similarity(face) for face in held_out]
    threshold = min(MAX_THRESHOLD, THRESHOLD_SHARE * min(overlaps)) if overlaps else 0.0
    appearance = Appearance(histograms, threshold)
    passed = sum(o >= threshold for o in overlaps)
    return appearance, {"threshold": threshold, "holdout_overlaps": [round(o, 3) for o in overlaps],
                        "holdout_pass_rate": passed / len(overlaps) if overlaps else None}


def face_region(frame: np.ndarray, box) -> np.ndarray:
    """The box's pixels of a frame, clipped to it (never empty)."""
    x, y, w, h = (int(v) for v in box)
    height, width = frame.shape[:2]
    x0, y0 = min(max(0, x), width - 1), min(max(0, y), height - 1)
    return frame[y0 : max(y0 + 1, min(height, y + h)), x0 : max(x0 + 1, min(width, x + w))]


def looks_right(appearance: Appearance | None, frame: np.ndarray, box) -> bool:
    """Whether a face found in a BGR frame has the character's colours (always, for a character with no appearance)."""
    return appearance is None or appearance.accepts(face_region(frame, box))
