"""Stored face crops the CNN can read again: a face kept at its native resolution with a margin that keeps the
whole head, and the one function that turns such a crop back into what the CNN read during segmentation.

Segmentation feeds the CNN `crop_face(frame, box, margin=m, size=input_size)`: the square of side
max(w, h) x m around the box, resized. A stored crop is the square of side max(w, h) x M (M >= m) around the same
centre, never resized; its centre m/M is the CNN's square, so `cnn_input` cuts that out and resizes it the way
`crop_face` does. Re-classifying a face then needs its crop alone: no decoding, no detection.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np

# The margin a crop is stored with. Measured on studio faces (the cascade's box is the face, from brows to mouth):
# at the CNN's 1.15 Pip's ears and both chins are cut; at 1.5 Pip's ears touch the square's edge; at 1.6 every head
# fits whole (ears, whiskers, chin) with a little room, and background stays a minor share of the picture.
STORED_CROP_MARGIN = 1.6
# What crops were stored with before (a 128 x 128 JPEG at FastOptions.crop_margin): runs that recorded no margin.
LEGACY_CROP_MARGIN = 1.15
SEED_CNN_MARGIN = 1.0  # the `seed` method feeds the CNN the bare box
STORED_MARGIN_KEY = "stored_crop_margin"  # where a run's options record the margin its crops were stored with


def square_bounds(box, margin: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the square of side max(w, h) x margin centred on the box, as crop_face rounds it."""
    x, y, w, h = box
    side = max(w, h) * margin
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    return x0, y0, x0 + int(round(side)), y0 + int(round(side))


def crop_square(bgr: np.ndarray, box, margin: float) -> np.ndarray:
    """The square around a box grown by `margin` at the frame's own resolution (never resized), edge pixels
    repeated where it leaves the frame."""
    return _cut(bgr, square_bounds(box, margin))


def crop_face(bgr: np.ndarray, box, margin: float, size: int) -> np.ndarray:
    """The square around a box (inside the frame) grown by `margin`, edge pixels repeated where the
    square leaves the frame, resized to size x size."""
    return cv2.resize(crop_square(bgr, box, margin), (size, size), interpolation=cv2.INTER_AREA)


def stored_bounds(box, *, stored_margin: float, cnn_margin: float) -> tuple[int, int, int, int]:
    """The stored crop's square: the CNN's own square (square_bounds at cnn_margin) with the same whole number of
    pixels added on every side, as many as bring it to about stored_margin. Its side alone then says where the
    CNN's square lies inside it (cnn_square), to the pixel."""
    x0, y0, x1, y1 = square_bounds(box, cnn_margin)
    pad = _pad(x1 - x0, stored_margin, cnn_margin)
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def stored_crop(bgr: np.ndarray, box, *, stored_margin: float, cnn_margin: float) -> np.ndarray:
    """The crop to store for a face: native resolution, stored_bounds' square, edge pixels repeated outside."""
    return _cut(bgr, stored_bounds(box, stored_margin=stored_margin, cnn_margin=cnn_margin))


def stored_crop_side(box, *, stored_margin: float = STORED_CROP_MARGIN, cnn_margin: float) -> int:
    """The pixel side of the crop stored for this box."""
    x0, _, x1, _ = stored_bounds(box, stored_margin=stored_margin, cnn_margin=cnn_margin)
    return x1 - x0


def cnn_square(crop: np.ndarray, *, stored_margin: float, cnn_margin: float) -> np.ndarray:
    """The centre of a stored crop that the CNN read, not resized: found exactly from the crop's side (the side
    grows strictly with the CNN square's, so one CNN side gives it); a crop of another origin (the 128 x 128 ones
    of older runs) gives its middle cnn_margin / stored_margin."""
    if cnn_margin > stored_margin + 1e-9:
        raise ValueError(f"a crop stored at margin {stored_margin} does not hold the CNN's margin {cnn_margin}")
    height, width = crop.shape[:2]
    guess = int(round(height * cnn_margin / stored_margin))
    inner = next((s for s in range(max(1, guess - 3), guess + 4)
                  if s + 2 * _pad(s, stored_margin, cnn_margin) == height), None)
    if inner is None or height != width:
        inner_h, inner_w = max(1, guess), max(1, int(round(width * cnn_margin / stored_margin)))
    else:
        inner_h = inner_w = inner
    top, left = (height - inner_h) // 2, (width - inner_w) // 2
    return crop[top : top + inner_h, left : left + inner_w]


def cnn_input(crop: np.ndarray, *, stored_margin: float, cnn_margin: float, size: int) -> np.ndarray:
    """What the CNN read of this face during segmentation, from its stored crop alone: the CNN's square
    (cnn_square) resized to size x size (INTER_AREA, as crop_face resizes)."""
    square = cnn_square(crop, stored_margin=stored_margin, cnn_margin=cnn_margin)
    if square.shape[0] == size and square.shape[1] == size:
        return np.ascontiguousarray(square)
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)


def _pad(cnn_side: int, stored_margin: float, cnn_margin: float) -> int:
    return int(round(cnn_side * (stored_margin / cnn_margin - 1) / 2))


def _cut(bgr: np.ndarray, bounds: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = bounds
    height, width = bgr.shape[:2]
    crop = bgr[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = max(0, y1 - height), max(0, x1 - width)
    if top or left or bottom or right:
        crop = cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(crop)


# JPEG at a quality and full-resolution colour (4:4:4, no chroma subsampling) that keep what the CNN reads:
# re-read from the stored crop, a face gets the emotion it got during segmentation (tests/toonvision/test_crops.py).
CROP_JPEG_PARAMS = (
    cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444
)


def crop_encode(crop: np.ndarray) -> bytes:
    """A stored crop's bytes: JPEG with CROP_JPEG_PARAMS."""
    ok, data = cv2.imencode(".jpg", crop, list(CROP_JPEG_PARAMS))
    if not ok:
        raise ValueError("could not encode a face crop as JPEG")
    return data.tobytes()


def crop_decode(data: bytes) -> np.ndarray | None:
    """A stored crop's pixels (BGR), or None when the bytes are no image."""
    if not data:
        return None
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def crops_classify(
    classifier, crops: Sequence, *, stored_margin: float, cnn_margin: float, batch_size: int = 256,
    threads: int = 2, load: Callable[[Any], bytes | None] | None = None,
) -> np.ndarray:
    """The classifier's probabilities (N x classes, float32) for stored crops' bytes, each read as the CNN read it
    during segmentation (cnn_input); a crop that is missing or no image gets a row of NaN. Crops are decoded and
    cut by a pool of threads (OpenCV lets go of the GIL) while the CNN reads the batch before. With `load`, crops
    are what it takes (names in a storage, say) and it fetches their bytes in those threads too, so the reading of
    files also overlaps the CNN instead of coming before it."""
    size = classifier.input_size
    out = np.full((len(crops), len(classifier.classes)), np.nan, dtype=np.float32)

    def prepare(item):
        data = load(item) if load is not None else item
        image = crop_decode(data) if data else None
        if image is None:
            return None
        return cnn_input(image, stored_margin=stored_margin, cnn_margin=cnn_margin, size=size)

    starts = range(0, len(crops), batch_size)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        pending = [pool.submit(lambda s=s: list(map(prepare, crops[s : s + batch_size]))) for s in starts[:2]]
        for n, start in enumerate(starts):
            inputs = pending[n].result()
            if n + 2 < len(starts):
                nxt = starts[n + 2]
                pending.append(pool.submit(lambda s=nxt: list(map(prepare, crops[s : s + batch_size]))))
            good = [i for i, image in enumerate(inputs) if image is not None]
            if good:
                rows = classifier.predict_proba([inputs[i] for i in good], batch_size=batch_size)
                out[[start + i for i in good]] = rows
    return out
