"""One cascade stage: Gentle AdaBoost over regression stumps, vectorised across every candidate feature.

Once per stage each candidate feature's values are binned: Haar values into quantile bins whose edges
are midpoints between neighbouring sorted values (so ``value < edge`` is exactly ``bin < k``), LBP codes
into their own 256 categories. Each boosting round then needs only per-feature weighted histograms of
positive and negative weight (one ``scatter_add_``), from which the Gentle AdaBoost least-squares gain
of every (feature, cut) follows by cumulative sums. LBP splits order the categories by weighted mean
response and cut that order, the optimal binary partition for a squared loss.

Scores are accumulated in float64 from float32 leaves, as OpenCV does, so the stage threshold and the
reported hit and false-alarm rates are the detector's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .cascade import Stage, Stump, loaded_threshold, subset_words, written_threshold
from .features import HaarFeatures, LbpFeatures, WindowBatch
from .params import CascadeParams

MAX_INDEX_ELEMENTS = 48_000_000  # features x samples held as int64 bin indices (384 MB)
EDGE_SAMPLE = 4096  # samples whose sorted values place the quantile edges
FEATURE_CHUNK = 256
CATEGORIES = 256

RoundCallback = Callable[[int, float, float], None]


@dataclass
class StageResult:
    """A trained stage (stumps index the family's pool) and how it scored on its own training windows."""

    stage: Stage
    hit_rate: float
    false_alarm: float
    num_pos: int
    num_neg: int
    features_considered: int
    seconds: float


def train_stage(family: HaarFeatures | LbpFeatures, positives: WindowBatch, negatives: WindowBatch,
                params: CascadeParams, rng: np.random.Generator, on_round: RoundCallback | None = None) -> StageResult:
    """Add stumps until the false-alarm rate is at most max_false_alarm (or max_weak_per_stage is reached),
    keeping the stage threshold where the hit rate on ``positives`` stays at least min_hit_rate."""
    started = time.perf_counter()
    batch = _concat(positives, negatives)
    n_pos, n = len(positives), len(batch)
    device = batch.integral.device
    y = torch.cat([torch.ones(n_pos, dtype=torch.float64, device=device),
                   -torch.ones(n - n_pos, dtype=torch.float64, device=device)])
    budget = max(1, MAX_INDEX_ELEMENTS // n)
    chosen = rng.choice(len(family.pool), size=min(params.features_per_stage, len(family.pool), budget), replace=False)
    nbins = CATEGORIES if family.categorical else params.bins
    index, edges = _binned(family, batch, family.pool[chosen], nbins, rng)
    index += nbins * (y < 0).long()  # negatives' histograms sit after the positives'
    weights = torch.where(y > 0, 0.5 / n_pos, 0.5 / (n - n_pos)).double()  # each class starts with half
    scores = torch.zeros(n, dtype=torch.float64, device=device)
    stumps: list[Stump] = []
    hit_rate = false_alarm = 1.0
    threshold = 0.0
    for round_index in range(params.max_weak_per_stage):
        hist = _histograms(index, _trimmed(weights, params.weight_trim_rate), nbins)
        stump, go_left = _best_stump(family, hist, index, edges, chosen, nbins, y, weights)
        stumps.append(stump)
        prediction = torch.where(go_left, stump.left, stump.right).double()
        scores += prediction
        weights = weights * torch.exp(-y * prediction)
        weights /= weights.sum()
        threshold, hit_rate, false_alarm = _stage_threshold(scores, n_pos, params.min_hit_rate)
        if on_round is not None:
            on_round(round_index + 1, hit_rate, false_alarm)
        if false_alarm <= params.max_false_alarm:
            break
    return StageResult(Stage(stumps, threshold), hit_rate, false_alarm, n_pos, n - n_pos, len(chosen),
                       time.perf_counter() - started)


def _concat(a: WindowBatch, b: WindowBatch) -> WindowBatch:
    return WindowBatch(torch.cat([a.integral, b.integral]), torch.cat([a.norm, b.norm]),
                       torch.cat([a.flat, b.flat]), a.size)


def _binned(family, batch: WindowBatch, features: np.ndarray, nbins: int,
            rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
    """F x N int64 bins of every feature value, and F x (nbins-1) float32 edges (None for LBP codes).

    Haar bin b holds values v with edges[b-1] <= v < edges[b], so "bin < k" is exactly "v < edges[k-1]".
    """
    n = len(batch)
    device = batch.integral.device
    index = torch.empty(len(features), n, dtype=torch.int64, device=device)
    edges = None if family.categorical else torch.empty(len(features), nbins - 1, dtype=torch.float32, device=device)
    sample = torch.from_numpy(np.sort(rng.choice(n, size=min(n, EDGE_SAMPLE), replace=False))).to(device)
    positions = torch.from_numpy(np.round(np.arange(1, nbins) * len(sample) / nbins).astype(np.int64))
    positions = positions.clamp(1, len(sample) - 1).to(device) if len(sample) > 1 else torch.zeros_like(positions)
    for start in range(0, len(features), FEATURE_CHUNK):
        values = family.values(batch, features[start:start + FEATURE_CHUNK]).T.contiguous()
        stop = start + len(values)
        if family.categorical:
            index[start:stop] = values
            continue
        ordered = values[:, sample].sort(dim=1).values
        chunk_edges = (ordered[:, positions - 1] + ordered[:, positions]) * 0.5 if len(sample) > 1 \
            else ordered[:, positions]
        edges[start:stop] = chunk_edges
        index[start:stop] = torch.searchsorted(chunk_edges, values, right=True)
    return index, edges


def _trimmed(weights: torch.Tensor, rate: float) -> torch.Tensor:
    """OpenCV's weight trimming: drop the lightest samples that together carry 1 - rate of the weight."""
    if rate >= 1.0:
        return weights
    ordered = weights.sort().values
    cumulative = ordered.cumsum(0)
    first = int(torch.searchsorted(cumulative, (1.0 - rate) * cumulative[-1], right=True))
    cutoff = ordered[min(first, len(ordered) - 1)]
    return torch.where(weights >= cutoff, weights, torch.zeros_like(weights))


def _histograms(index: torch.Tensor, weights: torch.Tensor, nbins: int) -> torch.Tensor:
    """F x 2 x nbins float64: positive and negative weight per feature and bin."""
    f, n = index.shape
    hist = torch.zeros(f, 2 * nbins, dtype=torch.float32, device=index.device)
    hist.scatter_add_(1, index, weights.float().expand(f, n))
    return hist.view(f, 2, nbins).double()


def _gain(s: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Reduction of the weighted squared error from fitting a leaf of value s / w."""
    return torch.where(w > 0, s * s / w.clamp(min=1e-300), torch.zeros_like(s))


def _split_gains(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """F x (B-1): Gentle AdaBoost gain of sending bins < k left, for k = 1..B-1."""
    left_pos, left_neg = pos.cumsum(1)[:, :-1], neg.cumsum(1)[:, :-1]
    right_pos, right_neg = pos.sum(1, keepdim=True) - left_pos, neg.sum(1, keepdim=True) - left_neg
    return _gain(left_pos - left_neg, left_pos + left_neg) + _gain(right_pos - right_neg, right_pos + right_neg)


def _best_stump(family, hist: torch.Tensor, index: torch.Tensor, edges: torch.Tensor | None, chosen: np.ndarray,
                nbins: int, y: torch.Tensor, weights: torch.Tensor) -> tuple[Stump, torch.Tensor]:
    """The stump with the largest gain over every feature and cut, and which samples it sends left."""
    pos, neg = hist[:, 0], hist[:, 1]
    if family.categorical:
        total = pos + neg
        mean = torch.where(total > 0, (pos - neg) / total.clamp(min=1e-300), torch.zeros_like(total))
        order = mean.argsort(dim=1)
        pos, neg = pos.gather(1, order), neg.gather(1, order)
    gains = _split_gains(pos, neg)
    best = int(gains.argmax())
    f, cut = divmod(best, nbins - 1)
    bins = index[f] % nbins
    if family.categorical:
        left = torch.zeros(nbins, dtype=torch.bool, device=index.device)
        left[order[f, : cut + 1]] = True
        go_left = left[bins]
    else:
        go_left = bins <= cut  # bins < cut + 1, i.e. value < edges[cut]
    left_value, right_value = _leaf(go_left, y, weights), _leaf(~go_left, y, weights)
    split = {"subset": subset_words(left.cpu().numpy())} if family.categorical else {"threshold": float(edges[f, cut])}
    return Stump(int(chosen[f]), left_value, right_value, **split), go_left


def _leaf(mask: torch.Tensor, y: torch.Tensor, weights: torch.Tensor) -> float:
    """The weighted mean response of the samples in one leaf, rounded to float32 as the XML stores it."""
    w = weights[mask].sum()
    return float(np.float32((weights[mask] * y[mask]).sum() / w)) if w > 0 else 0.0


def _stage_threshold(scores: torch.Tensor, n_pos: int, min_hit_rate: float) -> tuple[float, float, float]:
    """The written stage threshold keeping min_hit_rate of positives, and the resulting hit/false-alarm rates."""
    ordered = scores[:n_pos].sort().values
    k = min(int((1.0 - min_hit_rate) * n_pos), n_pos - 1)
    threshold = written_threshold(float(ordered[k]))
    applied = loaded_threshold(threshold)
    hit_rate = float((scores[:n_pos] >= applied).double().mean())
    false_alarm = float((scores[n_pos:] >= applied).double().mean()) if len(scores) > n_pos else 0.0
    return threshold, hit_rate, false_alarm
