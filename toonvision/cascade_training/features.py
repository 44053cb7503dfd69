"""Haar and multi-block LBP features computed for many windows at once, exactly as OpenCV's detector does.

Every window-sized patch becomes one row of a flattened integral image (``(H+1)*(W+1)`` entries). A Haar
feature is a fixed linear combination of at most 12 of those entries, and an LBP feature compares 9 cell
sums of 4 entries each, so both are computed for thousands of features and windows by one matrix product
(with a mostly-zero matrix: BLAS beats thousands of gathers). The products are integers below 2**24,
which float32 holds exactly in any summation order; larger windows switch to float64. The Haar value is
then multiplied by OpenCV's ``varianceNormFactor`` in float32, the very operations
``HaarEvaluator::operator()`` performs.

OpenCV (``HaarEvaluator::setWindow``) normalises by the std of the window inset by one pixel and
*rejects* windows whose std is at most 10 gray levels (``area * varianceNormFactor < 0.1`` must hold),
so :class:`WindowBatch` marks those as ``flat``; LBP windows are never rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

# LBP bit of each 3x3 cell (row-major), from LBPEvaluator::OptFeature::calc; the centre (4) has none.
LBP_BITS = {0: 128, 1: 64, 2: 32, 5: 16, 8: 8, 7: 4, 6: 2, 3: 1}
EXACT_FLOAT32 = 2**24
STD_REJECT = 0.1  # setWindow accepts a window only when area * varianceNormFactor < 0.1, i.e. std > 10


@dataclass
class WindowBatch:
    """Window-sized gray patches as flattened integral images, with OpenCV's variance normalisation."""

    integral: torch.Tensor  # N x (H+1)*(W+1), float32 (float64 for large windows or on a GPU)
    norm: torch.Tensor  # N float32: varianceNormFactor (1 for flat windows)
    flat: torch.Tensor  # N bool: OpenCV's Haar evaluator rejects these windows before any stage
    size: tuple[int, int]  # (width, height)

    @classmethod
    def from_patches(cls, patches: np.ndarray, device: torch.device) -> WindowBatch:
        """Build from uint8 N x H x W patches."""
        patches = np.ascontiguousarray(patches, dtype=np.uint8)
        n, height, width = patches.shape
        x = torch.from_numpy(patches).to(device)
        integral = torch.zeros(n, height + 1, width + 1, dtype=torch.int64, device=device)
        integral[:, 1:, 1:] = x.long().cumsum(1).cumsum(2)
        inner = x[:, 1:-1, 1:-1].double()
        area = float((height - 2) * (width - 2))
        total, squares = inner.sum((1, 2)), (inner * inner).sum((1, 2))
        nf = area * squares - total * total  # exact in float64 for any window up to thousands of pixels
        norm = torch.where(nf > 0, 1.0 / torch.sqrt(nf.clamp(min=1e-300)), torch.ones_like(nf)).float()
        flat = (nf <= 0) | (area * norm.double() >= STD_REJECT)
        dtype = matmul_dtype(width, height, device)
        return cls(integral.reshape(n, -1).to(dtype), norm, flat, (width, height))

    def __len__(self) -> int:
        return self.integral.shape[0]

    def subset(self, index: torch.Tensor) -> WindowBatch:
        return WindowBatch(self.integral[index], self.norm[index], self.flat[index], self.size)


def matmul_dtype(width: int, height: int, device: torch.device) -> torch.dtype:
    """float32 where products stay exact integers (the CPU's fast path), else float64.

    On a GPU float64 is used regardless: a global TF32 setting would otherwise round the products.
    """
    bound = 12 * 4 * width * height * 255  # corners x |weight| x largest integral value
    return torch.float32 if device.type == "cpu" and bound < EXACT_FLOAT32 else torch.float64


def _corner_index(x, y, width: int) -> np.ndarray:
    return np.asarray(y) * (width + 1) + np.asarray(x)


def _add_rects(matrix: np.ndarray, columns: np.ndarray, rects: np.ndarray, weights: np.ndarray, width: int) -> None:
    """Add weight * (sum over rect) to each column, as +/- integral-image corners (x, y, w, h rects)."""
    x, y, w, h = rects.T
    for cx, cy, sign in ((x, y, 1), (x + w, y, -1), (x, y + h, -1), (x + w, y + h, 1)):
        np.add.at(matrix, (_corner_index(cx, cy, width), columns), sign * weights)


class HaarFeatures:
    """OpenCV's BASIC Haar set: rows of (x, y, w, h, weight) x 3, weight 0 for an unused third rect."""

    kind = "HAAR"
    categorical = False

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.pool = haar_pool(width, height)

    def matrix(self, features: np.ndarray) -> np.ndarray:
        return haar_matrix(features, self.width, self.height)

    def apply(self, batch: WindowBatch, matrix: torch.Tensor) -> torch.Tensor:
        """N x F float32 feature values, exactly OpenCV's ``calc(pwin) * varianceNormFactor``."""
        return (batch.integral @ matrix.to(batch.integral)).float() * batch.norm[:, None]

    def values(self, batch: WindowBatch, features: np.ndarray) -> torch.Tensor:
        return self.apply(batch, torch.from_numpy(self.matrix(features)))

    def xml(self, feature: np.ndarray) -> str:
        rects = "".join(
            f"\n        <_>\n          {int(x)} {int(y)} {int(w)} {int(h)} {_weight(weight)}</_>"
            for x, y, w, h, weight in feature
            if weight != 0
        )
        return f"\n    <_>\n      <rects>{rects}</rects>\n      <tilted>0</tilted></_>"


def _weight(value: float) -> str:
    """A rect weight as OpenCV writes it: always a real number ("-1.", "2."), exact for float32."""
    text = format(float(np.float32(value)), ".9g")
    return text if any(c in text for c in ".en") else text + "."


class LbpFeatures:
    """OpenCV's multi-block LBP: rows of (x, y, w, h), a 3x3 grid of w x h cells at x, y."""

    kind = "LBP"
    categorical = True

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.pool = lbp_pool(width, height)

    def matrix(self, features: np.ndarray) -> np.ndarray:
        return lbp_cell_matrix(features, self.width, self.height)

    def apply(self, batch: WindowBatch, matrix: torch.Tensor) -> torch.Tensor:
        """N x F int64 LBP codes (0..255), exactly OpenCV's ``LBPEvaluator::OptFeature::calc``."""
        cells = (batch.integral @ matrix.to(batch.integral)).view(len(batch), -1, 9)
        bits = torch.tensor([LBP_BITS.get(c, 0) for c in range(9)], device=cells.device)
        return ((cells >= cells[:, :, 4:5]).long() * bits).sum(2)

    def values(self, batch: WindowBatch, features: np.ndarray) -> torch.Tensor:
        return self.apply(batch, torch.from_numpy(self.matrix(features)))

    def xml(self, feature: np.ndarray) -> str:
        x, y, w, h = (int(v) for v in feature)
        return f"\n    <_>\n      <rect>\n        {x} {y} {w} {h}</rect></_>"


FAMILIES = {"HAAR": HaarFeatures, "LBP": LbpFeatures}


def feature_family(kind: str, width: int, height: int) -> HaarFeatures | LbpFeatures:
    """The feature family for OpenCV's featureType name (HAAR or LBP)."""
    return FAMILIES[kind.upper()](width, height)


@lru_cache(maxsize=4)
def haar_pool(width: int, height: int) -> np.ndarray:
    """Every BASIC-mode feature in the window, enumerated like CvHaarEvaluator::generateFeatures.

    Two-rectangle horizontal and vertical, three-rectangle horizontal and vertical, and the four-rectangle
    (diagonal) feature; the whole area is weighted -1 and the inner part +2 or +3, so weights sum to zero.
    """
    grid = np.meshgrid(np.arange(width), np.arange(height), np.arange(1, width + 1), np.arange(1, height + 1),
                       indexing="ij")
    x, y, dx, dy = (g.ravel() for g in grid)
    zero = np.zeros_like(x)
    none = (zero, zero, zero, zero, zero)
    one = np.ones_like(x)
    kinds = [  # (fits, outer rect, inner rect(s)), as in generateFeatures
        ((x + 2 * dx <= width) & (y + dy <= height), (x, y, 2 * dx, dy, -one), (x + dx, y, dx, dy, 2 * one), none),
        ((x + dx <= width) & (y + 2 * dy <= height), (x, y, dx, 2 * dy, -one), (x, y + dy, dx, dy, 2 * one), none),
        ((x + 3 * dx <= width) & (y + dy <= height), (x, y, 3 * dx, dy, -one), (x + dx, y, dx, dy, 3 * one), none),
        ((x + dx <= width) & (y + 3 * dy <= height), (x, y, dx, 3 * dy, -one), (x, y + dy, dx, dy, 3 * one), none),
        ((x + 2 * dx <= width) & (y + 2 * dy <= height), (x, y, 2 * dx, 2 * dy, -one), (x, y, dx, dy, 2 * one),
         (x + dx, y + dy, dx, dy, 2 * one)),
    ]
    parts = [np.stack([np.stack(rect, axis=1)[fits] for rect in rects], axis=1) for fits, *rects in kinds]
    return _read_only(np.concatenate(parts).astype(np.float64))


@lru_cache(maxsize=4)
def lbp_pool(width: int, height: int) -> np.ndarray:
    """Every multi-block LBP feature whose 3x3 grid of cells fits in the window."""
    rows = [
        (x, y, w, h)
        for w in range(1, width // 3 + 1)
        for h in range(1, height // 3 + 1)
        for y in range(height - 3 * h + 1)
        for x in range(width - 3 * w + 1)
    ]
    return _read_only(np.array(rows, dtype=np.int64).reshape(-1, 4))


def _read_only(array: np.ndarray) -> np.ndarray:
    """Pools are cached and shared, so nobody may change them in place."""
    array.flags.writeable = False
    return array


def haar_matrix(features: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H+1)*(W+1) x F matrix: flattened integral image @ matrix = the features' raw weighted sums."""
    matrix = np.zeros(((height + 1) * (width + 1), len(features)), dtype=np.float64)
    columns = np.arange(len(features))
    for r in range(features.shape[1]):
        rects, weights = features[:, r, :4].astype(np.int64), features[:, r, 4]
        used = weights != 0
        _add_rects(matrix, columns[used], rects[used], weights[used], width)
    return matrix


def lbp_cell_matrix(features: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H+1)*(W+1) x 9F matrix giving, per feature, its 9 cell sums (row-major cells)."""
    features = np.asarray(features, dtype=np.int64).reshape(-1, 4)
    matrix = np.zeros(((height + 1) * (width + 1), 9 * len(features)), dtype=np.float64)
    x, y, w, h = features.T
    for cell in range(9):
        i, j = divmod(cell, 3)
        rects = np.stack([x + j * w, y + i * h, w, h], axis=1)
        _add_rects(matrix, np.arange(len(features)) * 9 + cell, rects, np.ones(len(features)), width)
    return matrix
