"""The CNN's side of segmentation: found faces cropped and classified a batch at a time on a thread of their own,
while the frames are decoded and searched on the others."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import torch

from .crops import crop_face
from .inference import EmotionClassifier
from .scanning import Scan
from .tracking import ClassifiedFace


@contextmanager
def cnn_threads(classifier: EmotionClassifier):
    """The CNN on one CPU thread while frames are decoded and searched on the others: torch's threads wait for
    work spinning, taking the cores the detection threads need (measured: a third more CPU time in all)."""
    if classifier.device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class FaceBatcher:
    """Takes frames with faces as they finish and, a batch of faces at a time, on a thread of its own, converts
    the frames to colour, crops the faces and classifies them (the frames kept in `colour` when it is a dict)."""

    def __init__(self, classifier: EmotionClassifier, batch_size: int, crop_margin: float,
                 colour: dict[int, np.ndarray] | None = None):
        self.classifier, self.batch_size, self.crop_margin, self.colour = classifier, batch_size, crop_margin, colour
        self.points: dict[int, list[ClassifiedFace]] = {}
        self._waiting: list[tuple[Scan, list[ClassifiedFace]]] = []
        self._faces = 0
        self._pool = ThreadPoolExecutor(1)
        self._jobs: list = []

    def add(self, scan: Scan) -> None:
        points = [ClassifiedFace(scan.index, f.character, f.box, np.empty(0, np.float32), neighbours=f.neighbours)
                  for f in scan.found]
        self.points[scan.index] = points
        self._waiting.append((scan, points))
        self._faces += len(points)
        if self._faces >= self.batch_size:
            self._send()

    def finish(self) -> dict[int, list[ClassifiedFace]]:
        self._send()
        for job in self._jobs:
            job.result()
        return self.points

    def __enter__(self) -> FaceBatcher:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(cancel_futures=True)

    def _send(self) -> None:
        if self._waiting:
            self._jobs.append(self._pool.submit(self._classify, self._waiting))
            self._waiting, self._faces = [], 0

    def _classify(self, frames: list[tuple[Scan, list[ClassifiedFace]]]) -> None:
        size, crops = self.classifier.input_size, []
        for scan, points in frames:
            bgr = scan.bgr()
            crops += [crop_face(bgr, p.box, margin=self.crop_margin, size=size) for p in points]
            if self.colour is not None:
                self.colour[scan.index] = bgr
        probabilities = self.classifier.predict_proba(crops, self.batch_size)
        for point, row in zip((p for _, points in frames for p in points), probabilities):
            point.probabilities = row
