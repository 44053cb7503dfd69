"""Faces followed across analysed frames, and emotions smoothed along each track.

A track is one character's face from frame to frame within a shot: detections are linked greedily,
nearest first, to the same character's live tracks when the face moved less than `max_shift` of its
size and kept its size within `max_scale`; a shot cut ends every track, and a track that has not
been seen for `max_gap` analysed frames ends too. Along a track the per-frame emotion probabilities are
decoded with a Viterbi pass that charges for every change, so a single misread frame does not flip the
emotion, while a real change (studio emotions hold for half a second or more) still comes through.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np


@dataclass
class ClassifiedFace:
    """One found face on one analysed frame: where, whose, and the classifier's probabilities (or, for a
    point filling a gap in a track, probabilities interpolated between its neighbours)."""

    frame: int
    character: str
    box: tuple[int, int, int, int]
    probabilities: np.ndarray
    interpolated: bool = False
    neighbours: int = 0  # the detector's grouped windows behind this face (0 for interpolated points)


@dataclass
class Track:
    id: int
    character: str
    points: list[ClassifiedFace] = field(default_factory=list)

    @property
    def last(self) -> ClassifiedFace:
        return self.points[-1]


def iou(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def iou_pairs(a, b, at_least: float = 0.5) -> int:
    """How many boxes of `a` pair off one to one with boxes of `b` at IoU >= at_least, the best overlaps first: how
    many faces two detectors (or a detector and the truth) agree on. Equal boxes pair first without an overlap
    computed (two detectors that agree give hundreds of them a frame on every window they accept)."""
    left, right = Counter(map(tuple, a)), Counter(map(tuple, b))
    same = left & right
    rest_a, rest_b = ([("", box) for box in rest.elements()] for rest in (left - same, right - same))
    return sum(same.values()) + len(match_by_iou(rest_a, rest_b, at_least))


def match_by_iou(before: list[tuple[str, tuple]], now: list[tuple[str, tuple]],
                 at_least: float) -> list[tuple[int, int]]:
    """Greedy pairs (index in `before`, index in `now`) of (character, box) sightings: the same character, the
    best overlap first, each side used once, none overlapping less than `at_least` (IoU)."""
    pairs = sorted(
        (
            (iou(old_box, new_box), bi, ni)
            for bi, (old_character, old_box) in enumerate(before)
            for ni, (new_character, new_box) in enumerate(now)
            if old_character == new_character
        ),
        reverse=True,
    )
    used_before, used_now, matched = set(), set(), []
    for overlap, bi, ni in pairs:
        if overlap < at_least:
            break
        if bi not in used_before and ni not in used_now:
            used_before.add(bi)
            used_now.add(ni)
            matched.append((bi, ni))
    return matched


def shift(a, b) -> float:
    """How far box b's centre is from box a's, in units of their mean side; inf when their sizes differ
    by more than half again."""
    side_a, side_b = max(a[2], a[3]), max(b[2], b[3])
    if max(side_a, side_b) > 1.5 * min(side_a, side_b):
        return float("inf")
    dx = (a[0] + a[2] / 2) - (b[0] + b[2] / 2)
    dy = (a[1] + a[3] / 2) - (b[1] + b[3] / 2)
    return float(np.hypot(dx, dy)) / ((side_a + side_b) / 2)


def match_nearest(before: list[tuple[str, tuple]], now: list[tuple[str, tuple]],
                  max_shift: float) -> list[tuple[int, int]]:
    """Greedy pairs (index in `before`, index in `now`) of (character, box) sightings: the same character, nearest
    first (by `shift`), each side used once, none further apart than `max_shift`."""
    pairs = sorted(
        (shift(old_box, new_box), bi, ni)
        for bi, (old_character, old_box) in enumerate(before)
        for ni, (new_character, new_box) in enumerate(now)
        if old_character == new_character
    )
    used_before, used_now, matched = set(), set(), []
    for distance, bi, ni in pairs:
        if distance > max_shift or bi in used_before or ni in used_now:
            continue
        used_before.add(bi)
        used_now.add(ni)
        matched.append((bi, ni))
    return matched


def link_tracks(
    points_by_frame: dict[int, list[ClassifiedFace]],
    analysed: list[int],
    cuts: set[int],
    *,
    max_shift: float = 0.8,
    max_gap: int = 2,
) -> list[Track]:
    """Group faces into tracks. `analysed` is the ordered list of analysed frames, `cuts` the frames
    that start a new shot; `max_gap` is how many analysed frames a track may miss and live on."""
    tracks: list[Track] = []
    live: list[tuple[Track, int]] = []  # (track, position in `analysed` where it was last seen)
    for pos, frame in enumerate(analysed):
        if frame in cuts:
            live = []
        live = [(t, seen) for t, seen in live if pos - seen - 1 <= max_gap]
        points = points_by_frame.get(frame, [])
        matched = match_nearest([(t.character, t.last.box) for t, _ in live],
                                [(p.character, p.box) for p in points], max_shift)
        for ti, pi in matched:
            track = live[ti][0]
            track.points.append(points[pi])
            live[ti] = (track, pos)
        used_points = {pi for _, pi in matched}
        for pi, point in enumerate(points):
            if pi not in used_points:
                track = Track(len(tracks), point.character, [point])
                tracks.append(track)
                live.append((track, pos))
    return tracks


def fill_gaps(track: Track, analysed: list[int]) -> None:
    """Add interpolated points on analysed frames the detector missed between two sightings."""
    order = {frame: pos for pos, frame in enumerate(analysed)}
    filled: list[ClassifiedFace] = []
    for before, after in zip(track.points, track.points[1:]):
        filled.append(before)
        start, end = order[before.frame], order[after.frame]
        for pos in range(start + 1, end):
            t = (pos - start) / (end - start)
            box = tuple(int(round((1 - t) * a + t * b)) for a, b in zip(before.box, after.box))
            probabilities = (1 - t) * before.probabilities + t * after.probabilities
            filled.append(ClassifiedFace(analysed[pos], track.character, box, probabilities, interpolated=True))
    filled.append(track.points[-1])
    track.points = filled


def smooth_emotions(probabilities: np.ndarray, switch_cost: float) -> np.ndarray:
    """The most likely emotion sequence (indices) for a track's (T, C) probabilities, when changing
    emotion between neighbouring points costs `switch_cost` nats: a Viterbi pass."""
    log_p = np.log(np.clip(probabilities, 1e-6, 1.0))
    steps, classes = log_p.shape
    score = log_p[0].copy()
    back = np.zeros((steps, classes), dtype=np.int64)
    for t in range(1, steps):
        best_prev = int(np.argmax(score))
        stay = score
        switch = score[best_prev] - switch_cost
        back[t] = np.where(stay >= switch, np.arange(classes), best_prev)
        score = np.maximum(stay, switch) + log_p[t]
    path = np.empty(steps, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for t in range(steps - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def run_confidence(probabilities: np.ndarray, path: np.ndarray, radius: int = 2) -> np.ndarray:
    """Each point's confidence in its smoothed emotion: the mean probability of that emotion over the
    neighbouring points (within `radius`) that carry the same emotion."""
    steps = len(path)
    chosen = probabilities[np.arange(steps), path]
    out = np.empty(steps, dtype=np.float32)
    for t in range(steps):
        lo, hi = max(0, t - radius), min(steps, t + radius + 1)
        same = path[lo:hi] == path[t]
        out[t] = float(chosen[lo:hi][same].mean())
    return out


@dataclass(frozen=True)
class TrackEnd:
    """Where a piece of a track ends (its last face before a boundary) or starts (its first face after it)."""

    track: int
    character: str
    frame: int
    box: tuple[int, int, int, int]


def join_tracks(tails: list[TrackEnd], heads: list[TrackEnd], cuts: set[int], *, reach: int,
                max_shift: float = 0.8) -> dict[int, int]:
    """Which piece after a boundary (a head) continues which piece before it (a tail), by link_tracks' rule: in
    the order of the heads' frames, nearest first, the same character, moved at most `max_shift`, seen again
    within `reach` frames and no shot cut in between. Returns {head track: tail track}."""
    joined: dict[int, int] = {}
    free = list(tails)
    for frame in sorted({h.frame for h in heads}):
        pairs = sorted(
            (shift(t.box, h.box), ti, hi)
            for ti, t in enumerate(free)
            for hi, h in enumerate(heads)
            if h.frame == frame and h.character == t.character and 0 < h.frame - t.frame <= reach
            and not any(t.frame < cut <= h.frame for cut in cuts)
        )
        used_tails, used_heads = set(), set()
        for distance, ti, hi in pairs:
            if distance > max_shift or ti in used_tails or hi in used_heads:
                continue
            used_tails.add(ti)
            used_heads.add(hi)
            joined[heads[hi].track] = free[ti].track
        free = [t for ti, t in enumerate(free) if ti not in used_tails]
    return joined
