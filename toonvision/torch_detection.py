"""detectMultiScale in torch: a character's cascade run on a batch of frames on the GPU (or the CPU).

It reproduces ``cv::CascadeClassifier::detectMultiScale`` (OpenCV 4.x, ``cascadedetect.cpp``) for the
cascades ``read_cascade`` reads (new-format HAAR or LBP stumps), step for step:

- the scales: factor 1, scaleFactor, scaleFactor², ... while the window fits the image, kept between
  minSize and maxSize; each scale resizes the frame to round(size / scale) with INTER_LINEAR_EXACT
  (reproduced bit for bit in integers here) and slides the *original* window over it;
- the windows: every ``ystep`` pixels (2 below scale 2, then 1), and a window stage 0 rejects makes the scan
  skip the next one in its row (``if (result == 0) x += yStep``);
- the flat-window rule of Haar cascades (std of the window inset by a pixel at most 10 gray levels: rejected
  before any stage), and stage after stage with the rejected windows dropped in between (the evaluator of
  ``cascade_training`` holds the arithmetic: float32 features, float64 stage sums);
- ``groupRectangles(rects, minNeighbors, 0.2)``: similar rectangles partitioned, groups of at most
  minNeighbors dropped, the rest averaged, and small groups inside bigger ones dropped.

Frames of one batch share a size; their integral images live on the device, and every window of every
scale is evaluated there. Only the grouping, a few hundred rectangles a frame, runs on the CPU (and, when the
device is the CPU, the resizing is OpenCV's own, which ``resize_exact`` equals bit for bit).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch

from .appearance import Appearance
from .cascade_training.cascade import Cascade, loaded_threshold, read_cascade, subset_table
from .cascade_training.features import LBP_BITS, STD_REJECT
from .cascade_training.params import CascadeTrainingError
from .detection import CascadeError, CharacterDetector, DetectionParams, check_character_name
from .device import pick_device

GROUP_EPS = 0.2  # detectMultiScale's grouping eps
GATHER_BUDGET = 1 << 22  # integral-image reads per chunk of windows (memory: 8 bytes each)
DETECTORS = ("opencv", "torch", "auto")


@dataclass(frozen=True)
class _Level:
    """One scale of the pyramid: the resized frame's size, the window's size in frame pixels, the step."""

    factor: float  # float32, as OpenCV keeps it
    width: int
    height: int
    window: tuple[int, int]
    ystep: int
    cascade_window: tuple[int, int]

    @property
    def columns(self) -> int:  # window positions in a row: x = 0, ystep, ... < width + 1 - cascade width
        return -(-max(self.width + 1 - self.cascade_window[0], 0) // self.ystep)

    @property
    def rows(self) -> int:
        return -(-max(self.height + 1 - self.cascade_window[1], 0) // self.ystep)


def pyramid(image_size: tuple[int, int], window: tuple[int, int], scale_factor: float, min_size: int,
            max_size: int) -> list[_Level]:
    """detectMultiScaleNoGrouping's scales and setImage's sizes for a (width, height) image."""
    width, height = image_size
    win_w, win_h = window
    if width < win_w or height < win_h:
        return []
    max_w, max_h = (max_size, max_size) if max_size else (width, height)
    factors, factor = [], 1.0
    while True:  # the first loop: double factor, windows rounded in double
        if _round(win_w * factor) > width or _round(win_h * factor) > height:
            break
        factors.append(np.float32(factor))
        factor *= scale_factor
    levels = []
    for sc in factors:  # the second: float scales
        size = (_round(np.float32(win_w) * sc), _round(np.float32(win_h) * sc))
        if size[0] > max_w or size[1] > max_h:
            break
        if size[0] < min_size or size[1] < min_size:
            continue
        levels.append(_Level(float(sc), _round(np.float32(width) / sc), _round(np.float32(height) / sc), size,
                             1 if sc >= 2 else 2, window))
    return levels


def _round(value) -> int:
    """cvRound: to nearest, ties to even (as the FPU rounds)."""
    return int(np.rint(value))


# -- INTER_LINEAR_EXACT ----------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _axis_table(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output pixel of one axis: the two source pixels and their 8-bit fixed-point weights, as
    resize.cpp's interpolationLinear computes them (softdouble arithmetic is IEEE double, like Python's)."""
    scale = 1.0 / (dst / src)
    first, second, weight = np.zeros(dst, np.int64), np.zeros(dst, np.int64), np.zeros(dst, np.int64)
    for v in range(dst):
        f = scale * (v + 0.5) - 0.5
        i = math.floor(f)
        if i >= 0 and src > 1:
            if i < src - 1:
                first[v], second[v] = i, i + 1
                weight[v] = min(256, max(0, round((f - i) * 256)))  # ufixedpoint16 of the fraction
            else:
                first[v] = second[v] = src - 1
        # else: the left border, source pixel 0 with all the weight
    return first, second, weight


def resize_exact(frames: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """cv2.resize(frame, (width, height), interpolation=INTER_LINEAR_EXACT) of B x H x W uint8 frames."""
    batch, src_h, src_w = frames.shape
    if (src_w, src_h) == (width, height):
        return frames
    if src_w == 2 * width and src_h == 2 * height:  # OpenCV switches to its (equal) fast INTER_AREA path
        x = frames.to(torch.int32)
        return ((x[:, 0::2, 0::2] + x[:, 0::2, 1::2] + x[:, 1::2, 0::2] + x[:, 1::2, 1::2] + 2) >> 2).to(torch.uint8)
    device = frames.device
    xa, xb, xw = (torch.from_numpy(t).to(device) for t in _axis_table(src_w, width))
    ya, yb, yw = (torch.from_numpy(t).to(device) for t in _axis_table(src_h, height))
    x = frames.to(torch.int32)
    rows = x[:, :, xa] * (256 - xw).to(torch.int32) + x[:, :, xb] * xw.to(torch.int32)  # 8 fraction bits
    wy = yw.to(torch.int32)[:, None]
    both = rows[:, ya] * (256 - wy) + rows[:, yb] * wy  # 16 fraction bits
    return ((both + (1 << 15)) >> 16).clamp(0, 255).to(torch.uint8)


def integral(frames: torch.Tensor, square: bool = False) -> torch.Tensor:
    """B x (H+1) x (W+1) integral images (of the squares when `square`): int32 where every sum fits, as
    OpenCV's CV_32S sums do, else int64."""
    fits = not square and frames.shape[1] * frames.shape[2] * 255 < 2**31
    dtype = torch.int32 if fits else torch.int64
    x = frames.to(dtype)
    if square:
        x = x * x
    out = torch.zeros(x.shape[0], x.shape[1] + 1, x.shape[2] + 1, dtype=dtype, device=x.device)
    out[:, 1:, 1:] = x.cumsum(1).cumsum(2)
    return out


# -- the cascade on the device ---------------------------------------------------------------------
class _Stage:
    """One stage's stumps as tensors: corner (dy, dx) and signs of each rectangle, splits and leaves."""

    def __init__(self, cascade: Cascade, stage, device: torch.device):
        features = cascade.features[[s.feature for s in stage.stumps]]
        self.threshold = loaded_threshold(stage.threshold)
        self.left = torch.tensor([np.float32(s.left) for s in stage.stumps], dtype=torch.float64, device=device)
        self.right = torch.tensor([np.float32(s.right) for s in stage.stumps], dtype=torch.float64, device=device)
        if cascade.feature_type == "HAAR":
            rects = features[:, :, :4].astype(np.int64)  # F x 3 x (x, y, w, h)
            x, y, w, h = (rects[..., k] for k in range(4))
            dy = np.stack([y, y, y + h, y + h], -1)
            dx = np.stack([x, x + w, x, x + w], -1)  # F x 3 x 4 corners: + - - +
            self.rects = [[tuple(int(v) for v in r) for r in f] for f in rects]
            self.rect_weights = features[:, :, 4].astype(np.float32)
            self.weights = torch.tensor(features[:, :, 4], dtype=torch.float32, device=device)
            self.split = torch.tensor([np.float32(s.threshold) for s in stage.stumps], dtype=torch.float32,
                                      device=device)
        else:
            cells = features.astype(np.int64)  # F x (x, y, w, h): a 4 x 4 grid of corners
            self.rects = [tuple(int(v) for v in f) for f in cells]
            x, y, w, h = (cells[:, k, None, None] for k in range(4))
            grid = np.arange(4)
            dy = np.broadcast_to(y + grid[None, :, None] * h, (len(cells), 4, 4))
            dx = np.broadcast_to(x + grid[None, None, :] * w, (len(cells), 4, 4))
            self.table = torch.from_numpy(np.stack([subset_table(s.subset) for s in stage.stumps])).to(device)
        self.dy = torch.from_numpy(np.ascontiguousarray(dy)).to(device)
        self.dx = torch.from_numpy(np.ascontiguousarray(dx)).to(device)

    def offsets(self, row: int) -> torch.Tensor:
        return (self.dy * row + self.dx).reshape(len(self.dy), -1)


_BITS = [LBP_BITS.get(c, 0) for c in range(9)]


class _Grid:
    """A level's window positions (every ystep pixels), read from integral images as whole maps."""

    def __init__(self, level: _Level):
        self.rows, self.columns, self.step = level.rows, level.columns, level.ystep
        self.size = self.rows * self.columns

    def at(self, table: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
        """B x rows x columns: table[b, y + dy, x + dx] for every window's corner (x, y)."""
        s = self.step
        return table[:, dy:dy + s * (self.rows - 1) + 1:s, dx:dx + s * (self.columns - 1) + 1:s]

    def rect(self, table: torch.Tensor, x: int, y: int, w: int, h: int) -> torch.Tensor:
        """Every window's sum over its rectangle (x, y, w, h)."""
        return self.at(table, y, x) - self.at(table, y, x + w) - self.at(table, y + h, x) + self.at(table, y + h, x + w)


class TorchCascade:
    """A cascade's stages on a device, run over every window of a level of a batch of frames."""

    def __init__(self, cascade: Cascade, device: torch.device):
        self.cascade, self.device = cascade, device
        self.haar = cascade.feature_type == "HAAR"
        self.stages = [_Stage(cascade, stage, device) for stage in cascade.stages]
        self.bits = torch.tensor(_BITS, dtype=torch.int64, device=device)

    def accepted(self, frames: torch.Tensor, level: _Level) -> torch.Tensor:
        """(frame, y, x) of every window of this level that passes every stage, in OpenCV's scan order."""
        small = self._resize(frames, level)
        sums = integral(small)
        batch, rows1, row = sums.shape
        grid = _Grid(level)
        norm = flat = None
        if self.haar:
            norm, flat = self._variance(sums, integral(small, square=True), grid)
        if not self.stages:
            return self._positions(torch.arange(batch * grid.size, device=self.device), level)
        # stage 0 on every window of the grid, as whole maps; a non-flat window it rejects makes the row skip
        # the next one. The stages after it gather what they read for the windows still alive.
        passed0 = self._dense_passes(self.stages[0], sums, grid, norm)
        skipping = ~passed0
        if self.haar:
            passed0, skipping = passed0 & ~flat, skipping & ~flat
        visited = _visited(skipping.reshape(batch * level.rows, level.columns)).reshape(-1)
        alive = torch.nonzero(visited & passed0.reshape(-1)).reshape(-1)
        if len(alive) == 0 or len(self.stages) == 1:
            return self._positions(alive, level)
        frame, rest = alive // grid.size, alive % grid.size
        y, x = (rest // level.columns) * level.ystep, (rest % level.columns) * level.ystep
        base = frame * (rows1 * row) + y * row + x
        flat_sums, flat_norm = sums.reshape(-1), norm.reshape(-1) if norm is not None else None
        keep = torch.arange(len(alive), device=self.device)
        for stage in self.stages[1:]:
            if len(keep) == 0:
                break
            keep = keep[self._passes(stage, flat_sums, base, keep, alive, flat_norm, row)]
        return self._positions(alive[keep], level)

    def _resize(self, frames: torch.Tensor, level: _Level) -> torch.Tensor:
        if self.device.type == "cpu":  # OpenCV's own INTER_LINEAR_EXACT, which resize_exact equals bit for bit
            size = (level.width, level.height)
            return torch.from_numpy(np.stack([cv2.resize(f, size, interpolation=cv2.INTER_LINEAR_EXACT)
                                              for f in frames.numpy()]))
        return resize_exact(frames, level.width, level.height)

    def _positions(self, alive: torch.Tensor, level: _Level) -> torch.Tensor:
        per_frame = level.rows * level.columns
        frame, rest = alive // per_frame, alive % per_frame
        return torch.stack([frame, (rest // level.columns) * level.ystep, (rest % level.columns) * level.ystep], 1)

    def _variance(self, sums, squares, grid: _Grid):
        """HaarEvaluator::setWindow on every window: the window inset by a pixel, its norm factor, and
        whether it is flat."""
        w, h = self.cascade.width - 2, self.cascade.height - 2
        total = grid.rect(sums, 1, 1, w, h).double()
        sq = grid.rect(squares, 1, 1, w, h).double()
        area = float(w * h)
        nf = area * sq - total * total
        norm = torch.where(nf > 0, 1.0 / torch.sqrt(nf.clamp(min=1e-300)), torch.ones_like(nf)).float()
        flat = (nf <= 0) | (area * norm.double() >= STD_REJECT)
        return norm, flat

    def _dense_passes(self, stage: _Stage, sums, grid: _Grid, norm) -> torch.Tensor:
        """B x rows x columns bool: the stage's verdict on every window of the grid, leaves summed in order."""
        score = None
        for k in range(len(stage.left)):
            if self.haar:
                value = None
                for (x, y, w, h), weight in zip(stage.rects[k], stage.rect_weights[k]):
                    if weight == 0:
                        continue
                    term = grid.rect(sums, x, y, w, h).float() * np.float32(weight)
                    value = term if value is None else value + term
                go_left = value * norm < stage.split[k]
            else:
                x, y, w, h = stage.rects[k]
                cells = [grid.rect(sums, x + j * w, y + i * h, w, h) for i in range(3) for j in range(3)]
                code = sum((cells[c] >= cells[4]).long() * bit for c, bit in enumerate(_BITS) if bit)
                go_left = stage.table[k][code]
            leaf = torch.where(go_left, stage.left[k], stage.right[k])
            score = leaf if score is None else score + leaf
        return score >= stage.threshold

    def _passes(self, stage: _Stage, sums, base, keep, alive, norm, row) -> torch.Tensor:
        """bool per kept window (an index into alive): does its stage sum reach the stage's threshold?"""
        offsets = stage.offsets(row)  # F x corners
        chunk = max(1, GATHER_BUDGET // offsets.numel())
        out = []
        for start in range(0, len(keep), chunk):
            part = keep[start:start + chunk]
            reads = sums[base[part][:, None, None] + offsets[None]]  # N x F x corners
            if self.haar:
                rect = reads.view(len(part), len(offsets), 3, 4)
                rect = rect[..., 0] - rect[..., 1] - rect[..., 2] + rect[..., 3]  # N x F x 3, exact ints
                values = (rect.float() * stage.weights).sum(2) * norm[alive[part]][:, None]  # float32, as OpenCV
                go_left = values < stage.split
            else:
                g = reads.view(len(part), len(offsets), 4, 4)
                cells = (g[:, :, :-1, :-1] - g[:, :, :-1, 1:] - g[:, :, 1:, :-1] + g[:, :, 1:, 1:]).flatten(2)
                codes = ((cells >= cells[:, :, 4:5]).long() * self.bits).sum(2)  # N x F, 0..255
                go_left = torch.gather(stage.table.T, 0, codes)
            score = torch.where(go_left, stage.left, stage.right).sum(1)
            out.append(score >= stage.threshold)
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.bool, device=self.device)


def _visited(skipping: torch.Tensor) -> torch.Tensor:
    """Which windows of each row OpenCV's scan evaluates, when evaluating a window with skipping[k] makes it
    jump over window k+1: window k is visited unless k-1 was visited and skipped, so after the last k' < k
    that does not skip, visits alternate (visited, passed over, ...) through a run of skipping windows."""
    rows, cols = skipping.shape
    k = torch.arange(cols, device=skipping.device)
    keeps = torch.where(~skipping, k, torch.full_like(k, -1)).expand(rows, cols)
    last_keep = torch.cummax(keeps, 1).values  # the last index <= k that does not skip
    before = torch.cat([torch.full((rows, 1), -1, dtype=k.dtype, device=k.device), last_keep[:, :-1]], 1)
    return (k - before - 1) % 2 == 0


# -- groupRectangles -------------------------------------------------------------------------------
def group_rectangles(rects: np.ndarray, min_neighbors: int, eps: float = GROUP_EPS) -> tuple[np.ndarray, np.ndarray]:
    """cv::groupRectangles with weights: the grouped (N, 4) boxes and how many raw rectangles each holds."""
    rects = np.asarray(rects, dtype=np.int64).reshape(-1, 4)
    if min_neighbors <= 0 or len(rects) == 0:
        return rects.astype(np.int32), np.ones(len(rects), np.int32)
    labels = _partition(rects, eps)
    classes = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=classes)
    totals = np.zeros((classes, 4), np.int64)
    np.add.at(totals, labels, rects)
    s = np.float32(1.0) / counts.astype(np.float32)
    mean = np.rint(totals.astype(np.float32) * s[:, None]).astype(np.int64)  # float32 products, like OpenCV
    kept_boxes, kept_counts = [], []
    strong = counts > min_neighbors
    dx = np.rint(mean[:, 2] * eps).astype(np.int64)
    dy = np.rint(mean[:, 3] * eps).astype(np.int64)
    for i in np.flatnonzero(strong):
        r1, n1 = mean[i], counts[i]
        inside = (
            strong & (np.arange(classes) != i)
            & (r1[0] >= mean[:, 0] - dx) & (r1[1] >= mean[:, 1] - dy)
            & (r1[0] + r1[2] <= mean[:, 0] + mean[:, 2] + dx) & (r1[1] + r1[3] <= mean[:, 1] + mean[:, 3] + dy)
            & ((counts > max(3, n1)) | (n1 < 3))
        )
        if not inside.any():
            kept_boxes.append(r1)
            kept_counts.append(n1)
    return np.array(kept_boxes, np.int32).reshape(-1, 4), np.array(kept_counts, np.int32)


def _partition(rects: np.ndarray, eps: float) -> np.ndarray:
    """cv::partition with SimilarRects(eps): connected components, numbered by first member."""
    x, y, w, h = (rects[:, k].astype(np.float64) for k in range(4))
    delta = eps * (np.minimum(w[:, None], w[None]) + np.minimum(h[:, None], h[None])) * 0.5
    similar = (
        (np.abs(x[:, None] - x[None]) <= delta) & (np.abs(y[:, None] - y[None]) <= delta)
        & (np.abs(x[:, None] + w[:, None] - x[None] - w[None]) <= delta)
        & (np.abs(y[:, None] + h[:, None] - y[None] - h[None]) <= delta)
    )
    i, j = np.nonzero(np.triu(similar, 1))
    labels = np.arange(len(rects))
    while True:  # hook every pair's larger root onto the smaller, then flatten, until no pair spans two roots
        a, b = labels[i], labels[j]
        if np.array_equal(a, b):
            break
        np.minimum.at(labels, np.maximum(a, b), np.minimum(a, b))
        while not np.array_equal(labels, labels[labels]):
            labels = labels[labels]
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)  # classes numbered in the order their first member appears
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank[np.searchsorted(np.unique(labels), labels)]


# -- the detector ----------------------------------------------------------------------------------
@dataclass
class TorchCharacterDetector:
    """A character's detector with CharacterDetector's interface, its cascade run by torch on `device`."""

    name: str
    cascade_path: Path
    params: DetectionParams
    cascade: Cascade = field(repr=False)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    appearance: Appearance | None = field(default=None, repr=False)
    _torch: TorchCascade | None = field(default=None, repr=False)

    @classmethod
    def load(cls, name: str, cascade_path: Path | str, params: DetectionParams | None = None,
             device: torch.device | str | None = None, appearance: Appearance | None = None
             ) -> TorchCharacterDetector:
        check_character_name(name)
        path = Path(cascade_path)
        try:
            cascade = read_cascade(path)
        except (CascadeTrainingError, KeyError, ValueError, TypeError, AttributeError) as error:
            raise CascadeError(f"{path}: the torch detector cannot run this cascade ({error}); "
                               "use the opencv detector for it") from None
        return cls(name, path, params or DetectionParams(), cascade, pick_device(device), appearance)

    @classmethod
    def from_detector(cls, detector: CharacterDetector, device=None) -> TorchCharacterDetector:
        return cls.load(detector.name, detector.cascade_path, detector.params, device, detector.appearance)

    def copy(self) -> TorchCharacterDetector:
        return self  # nothing in it changes while it runs: threads may share it

    @property
    def window(self) -> tuple[int, int]:
        return self.cascade.width, self.cascade.height

    @property
    def feature_type(self) -> str:
        return self.cascade.feature_type

    @property
    def runner(self) -> TorchCascade:
        if self._torch is None:
            self._torch = TorchCascade(self.cascade, self.device)
        return self._torch

    def detect(self, image: np.ndarray, params: DetectionParams | None = None) -> np.ndarray:
        return self.detect_with_counts(image, params)[0]

    def detect_with_counts(self, image: np.ndarray, params: DetectionParams | None = None):
        return self.detect_batch([image], params)[0]

    @torch.inference_mode()
    def detect_batch(self, images, params: DetectionParams | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Boxes and neighbour counts for each of a batch of same-sized gray (or BGR) frames."""
        p = params or self.params
        frames = torch.stack([self._gray(image) for image in images])
        raw = [[] for _ in images]
        height, width = frames.shape[1:]
        for level in pyramid((width, height), self.window, p.scale_factor, p.min_size, p.max_size):
            found = self.runner.accepted(frames, level).cpu().numpy()
            sc = np.float32(level.factor)
            for frame, y, x in found:
                raw[frame].append((_round(np.float32(x) * sc), _round(np.float32(y) * sc), *level.window))
        return [group_rectangles(np.array(r, np.int64).reshape(-1, 4), p.min_neighbors) for r in raw]

    def _gray(self, image: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(image)).to(self.device)
        if x.ndim == 3:  # BGR: cv2.cvtColor's fixed-point BGR2GRAY (15 bits)
            x = x.to(torch.int32)
            x = ((x[..., 0] * 3735 + x[..., 1] * 19235 + x[..., 2] * 9798 + (1 << 14)) >> 15).to(torch.uint8)
        return x

    def describe(self) -> dict:
        return {"name": self.name, "cascade": str(self.cascade_path), "feature_type": self.feature_type,
                "window": list(self.window), "detector": f"torch ({self.device.type})", **asdict(self.params)}


def choose_detector(choice: str | None, device=None) -> str:
    """'opencv' or 'torch' for a --detector/DETECTOR value; auto (or empty) is torch on CUDA, OpenCV on a CPU."""
    choice = (choice or "auto").strip().lower()
    if choice not in DETECTORS:
        raise ValueError(f"unknown detector {choice!r}; expected one of {', '.join(DETECTORS)}")
    if choice == "auto":
        return "torch" if pick_device(device).type == "cuda" else "opencv"
    return choice


def detectors_for(detectors: list, choice: str | None, device=None) -> list:
    """The characters' detectors as the chosen backend runs them (OpenCV's are returned as they are)."""
    if choose_detector(choice, device) == "opencv":
        return detectors
    return torch_detectors(detectors, device, strict=(choice or "auto").strip().lower() != "auto")


def torch_detectors(detectors: list, device=None, strict: bool = True) -> list:
    """Each detector run by torch on `device`; a cascade torch cannot run is refused, or (not strict, as under
    auto) stays with OpenCV."""
    out = []
    for d in detectors:
        try:
            out.append(d if isinstance(d, TorchCharacterDetector) else TorchCharacterDetector.from_detector(d, device))
        except CascadeError:
            if strict:
                raise
            out.append(d)
    return out
