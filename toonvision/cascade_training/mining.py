"""Hard negatives: windows of the negative images that the cascade trained so far still accepts.

The negative images are scanned the way the detector scans them: each is resized (INTER_LINEAR) by a
ladder of scales starting at a random offset, shifted by a random 0/1 pixel, and every window on the
detector's 2-pixel grid is a candidate. OpenCV's own ``detectMultiScale`` (one scale, no grouping) with
the partial cascade finds the accepted windows quickly; the torch evaluator then confirms each one, so
the trainer only ever learns from windows both agree on (disagreements are counted for the report).
Before the first stage a one-stage pass-all cascade plays that role, which still drops the flat windows
OpenCV's Haar evaluator never looks at.

Windows are taken from many images and scales (at most a few per image and scale), so the negatives
stay varied; the acceptance ratio is accepted windows over scanned windows, the cascade's false-alarm
rate per detector window.
"""

from __future__ import annotations

import math
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .cascade import Cascade, CascadeEvaluator, cascade_xml, pass_all_xml

MIN_PER_TASK = 4


@dataclass
class MiningResult:
    """The negatives found, and how many detector windows were scanned and accepted to find them."""

    patches: np.ndarray  # K x H x W uint8
    scanned: int
    accepted: int
    disagreements: int  # accepted by OpenCV, rejected by the torch evaluator
    tasks: int

    @property
    def acceptance_ratio(self) -> float:
        return self.accepted / self.scanned if self.scanned else 0.0


@dataclass(frozen=True)
class Task:
    """One negative image at one scale and pixel offset."""

    image: int
    scale: float
    dx: int
    dy: int


def scan_tasks(images: list[np.ndarray], width: int, height: int, scale_step: float,
               rng: np.random.Generator) -> list[Task]:
    """Every (image, scale) the detector would visit, with a random scale offset and shift, shuffled."""
    tasks = []
    for i, image in enumerate(images):
        scale = scale_step ** rng.random()
        while image.shape[1] / scale >= width + 1 and image.shape[0] / scale >= height + 1:
            tasks.append(Task(i, scale, int(rng.integers(2)), int(rng.integers(2))))
            scale *= scale_step
    order = rng.permutation(len(tasks))
    return [tasks[i] for i in order]


def task_image(images: list[np.ndarray], task: Task) -> np.ndarray:
    """The gray image the detector sees for this task: resized like detectMultiScale, then shifted."""
    image = images[task.image]
    size = (round(image.shape[1] / task.scale), round(image.shape[0] / task.scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)[task.dy:, task.dx:]


def grid_windows(image: np.ndarray, width: int, height: int) -> int:
    """How many windows the detector visits at scale 1 (its step is 2 pixels below scale 2)."""
    return ((image.shape[1] + 1 - width + 1) // 2) * ((image.shape[0] + 1 - height + 1) // 2)


def windows_at(image: np.ndarray, rects: np.ndarray, width: int, height: int) -> np.ndarray:
    """The K x H x W patches at the top-left corners of ``rects`` (x, y, ...)."""
    ys = rects[:, 1, None, None] + np.arange(height)[None, :, None]
    xs = rects[:, 0, None, None] + np.arange(width)[None, None, :]
    return image[ys, xs]


@contextmanager
def opencv_detector(cascade: Cascade):
    """cv2.CascadeClassifier for the cascade so far (pass-all when it has no stage), on the CPU path."""
    text = cascade_xml(cascade) if cascade.stages else pass_all_xml(cascade.feature_type, cascade.width,
                                                                      cascade.height)
    used_opencl = cv2.ocl.useOpenCL()
    cv2.ocl.setUseOpenCL(False)  # the OpenCL kernels are a different implementation; mine with the C++ one
    try:
        with tempfile.TemporaryDirectory(prefix="cascade-") as folder:
            path = Path(folder) / "partial.xml"
            path.write_text(text, encoding="utf-8")
            detector = cv2.CascadeClassifier(str(path))
            if detector.empty():
                raise RuntimeError("OpenCV could not load the partial cascade the trainer wrote")
            yield detector
    finally:
        cv2.ocl.setUseOpenCL(used_opencl)


def detect_windows(detector: cv2.CascadeClassifier, image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Top-left corners (K x 4 rects) of the windows the detector accepts at scale 1 only, in raster order
    (OpenCV's threads append them in any order, which would make the seeded sampling irreproducible)."""
    rects = detector.detectMultiScale(image, scaleFactor=1.5, minNeighbors=0, minSize=(width, height),
                                      maxSize=(width, height))
    rects = np.asarray(rects, dtype=np.int64).reshape(-1, 4)
    return rects[np.lexsort((rects[:, 0], rects[:, 1]))]


def mine_negatives(cascade: Cascade, evaluator: CascadeEvaluator, images: list[np.ndarray], count: int,
                   scale_step: float, rng: np.random.Generator) -> MiningResult:
    """Up to ``count`` windows of ``images`` that the cascade accepts, spread over many images and scales."""
    width, height = cascade.width, cascade.height
    tasks = scan_tasks(images, width, height, scale_step, rng)
    per_task = max(MIN_PER_TASK, math.ceil(2 * count / max(1, len(tasks))))
    chosen, spare = [], []
    scanned = accepted = found = spare_found = visited = 0
    with opencv_detector(cascade) as detector:
        for task in tasks:
            if found >= count:
                break
            visited += 1
            image = task_image(images, task)
            rects = detect_windows(detector, image, width, height)
            scanned += grid_windows(image, width, height)
            accepted += len(rects)
            picked = rects[rng.permutation(len(rects))[: 2 * per_task]]
            chosen.append(windows_at(image, picked[:per_task], width, height))
            found += len(chosen[-1])
            if spare_found < count and len(picked) > per_task:
                spare.append(windows_at(image, picked[per_task:], width, height))
                spare_found += len(spare[-1])
    patches, disagreements = _confirmed(evaluator, chosen, width, height)
    if len(patches) < count and spare:
        extra, more = _confirmed(evaluator, spare, width, height)
        patches, disagreements = np.concatenate([patches, extra[: count - len(patches)]]), disagreements + more
    return MiningResult(patches[:count], scanned, accepted, disagreements, visited)


def _confirmed(evaluator: CascadeEvaluator, parts: list[np.ndarray], width: int,
               height: int) -> tuple[np.ndarray, int]:
    """The patches the torch evaluator also accepts, and how many it rejected."""
    patches = np.concatenate(parts) if parts else np.zeros((0, height, width), np.uint8)
    if len(patches) == 0:
        return patches, 0
    keep = evaluator.accepts(patches)
    return patches[keep], int((~keep).sum())


def acceptance_ratio(cascade: Cascade, images: list[np.ndarray], scale_step: float, rng: np.random.Generator,
                     max_tasks: int = 400) -> tuple[float, int]:
    """The share of detector windows (over up to ``max_tasks`` image scales) the cascade accepts."""
    tasks = scan_tasks(images, cascade.width, cascade.height, scale_step, rng)[:max_tasks]
    scanned = accepted = 0
    with opencv_detector(cascade) as detector:
        for task in tasks:
            image = task_image(images, task)
            scanned += grid_windows(image, cascade.width, cascade.height)
            accepted += len(detect_windows(detector, image, cascade.width, cascade.height))
    return (accepted / scanned if scanned else 0.0), scanned
