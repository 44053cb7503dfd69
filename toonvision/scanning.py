"""Where `fast` looks for faces on its analysed frames: a full scan now and then, and in between only near the
faces it has just seen.

A full scan searches the whole frame (shrunk to `detect_width`) with every character's cascade; it runs on every
`scan_every`-th analysed frame of the episode's grid, on every shot cut and on a range's first frame, on a pool of
threads (OpenCV releases the GIL), ahead of the frames it follows. On the analysed frames in between, each face
seen lately (on one of the last `max_gap` + 1 analysed frames) is looked for only around where it was, moved on
at the speed it was going, within `reach` of its size each way and at its own size give or take a pyramid step or
two, with its own character's cascade: a search of a few percent of the frame's windows. A face a full scan finds
that none of those searches had followed (it came into view, or turned, since the last full scan) is looked for
again, backwards, near where it was found on the analysed frames since that scan, so it is found from its first
analysed frame on, as a full scan of every analysed frame would have found it. Faces are looked for on analysed
frames only in order, each after the one before it (the searches near faces need the faces before them).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .appearance import looks_right
from .detection import DetectionParams
from .tracking import iou, match_nearest, shift
from .video import DecodedFrame

SIZE_RANGE = 1.3  # a face followed is looked for at its size divided or multiplied by up to this
OVERLAP = 0.3  # IoU above which two found faces are the same face


class FoundFace(NamedTuple):
    """A face one character's cascade found: its box in full-resolution pixels and how many raw windows
    were grouped into it (more neighbours, surer face)."""

    character: str
    box: tuple[int, int, int, int]
    neighbours: int


def detect_shrunk(
    smalls: list[np.ndarray], scale: float, detectors, options, colour: Callable[[int], np.ndarray] | None = None
) -> list[list[FoundFace]]:
    """Every character's faces in frames already shrunk by `scale` (boxes in full-resolution pixels), each
    detector given them all at once where it can take a batch; `colour(i)`: frame i in BGR, asked for only where a
    character with an appearance found a face."""
    candidates: list[list[FoundFace]] = [[] for _ in smalls]
    for detector in detectors:
        largest = int(detector.params.max_size * scale)  # the character's own largest face, if it has one
        smallest = max(*detector.window, int(detector.params.min_size * scale))  # and its smallest
        params = DetectionParams(options.scale_factor, options.min_neighbors, smallest, largest)
        if hasattr(detector, "detect_batch"):
            results = detector.detect_batch(smalls, params)
        else:
            results = [detector.detect_with_counts(small, params) for small in smalls]
        for found, (boxes, counts) in zip(candidates, results):
            for box, count in zip(boxes, counts):
                found.append(FoundFace(detector.name, tuple(int(round(v / scale)) for v in box), int(count)))
    looks = {d.name: d.appearance for d in detectors if getattr(d, "appearance", None) is not None}
    if colour is not None and looks:
        candidates = [with_their_colours(found, looks, lambda i=i: colour(i)) for i, found in enumerate(candidates)]
    return [one_character_per_face(found) for found in candidates]


def with_their_colours(found: list[FoundFace], looks: dict, colour: Callable[[], np.ndarray]) -> list[FoundFace]:
    """The faces whose character has no appearance (`looks`: name -> appearance) or whose colours match it (the
    frame decoded only if needed)."""
    if not any(f.character in looks for f in found):
        return found
    frame = colour()
    return [f for f in found if looks_right(looks.get(f.character), frame, f.box)]


def one_character_per_face(candidates: list[FoundFace]) -> list[FoundFace]:
    """Where two characters' detectors claim the same face, the one with more neighbours keeps it."""
    kept: list[FoundFace] = []
    for found in sorted(candidates, key=lambda f: -f.neighbours):
        if all(found.character == other.character or iou(found.box, other.box) < OVERLAP for other in kept):
            kept.append(found)
    return kept


class Scan:
    """One analysed frame on its way through: its place among the analysed frames, whether it gets a full scan,
    and the faces found on it."""

    __slots__ = ("frame", "pos", "full", "cut", "ahead", "future", "slot", "found", "followed", "_bgr")

    def __init__(self, frame: DecodedFrame, pos: int, full: bool, cut: bool, ahead: bool = False):
        self.frame, self.pos, self.full, self.cut, self.ahead = frame, pos, full, cut, ahead
        self.future: Future | None = None  # a full scan's, for the batch of frames it went with
        self.slot = 0  # its place in that batch
        self.found: list[FoundFace] = []
        self.followed = False  # whether faces were being followed when it was searched
        self._bgr: np.ndarray | None = None

    @property
    def index(self) -> int:
        return self.frame.index

    def bgr(self) -> np.ndarray:
        """The frame in BGR, converted once (by whichever thread asks first)."""
        if self._bgr is None:
            self._bgr = self.frame.bgr()
        return self._bgr


@dataclass
class _Seen:
    """A face seen lately: whose, where, on which analysed frame, and how far its centre moves per analysed frame."""

    character: str
    box: tuple[int, int, int, int]
    pos: int
    step: tuple[float, float] = (0.0, 0.0)


class Follower:
    """The faces seen on the last analysed frames, and the searches near them."""

    def __init__(self, detectors, options, scale: float, size: tuple[int, int]):
        self.detectors = {d.name: d for d in detectors}
        self.options, self.scale, self.size = options, scale, size
        self.seen: list[_Seen] = []

    def live(self, pos: int) -> list[_Seen]:
        """The faces seen within the last max_gap + 1 analysed frames before `pos` (older ones are let go)."""
        self.seen = [s for s in self.seen if pos - s.pos - 1 <= self.options.max_gap]
        return self.seen

    def search(self, scan: Scan) -> list[FoundFace]:
        """The faces near those seen lately, each where its own speed would have taken it by now."""
        found: list[FoundFace] = []
        live = self.live(scan.pos)
        scan.followed = bool(live)
        for seen in live:
            gap = scan.pos - seen.pos
            x, y, w, h = seen.box
            expected = (int(round(x + seen.step[0] * gap)), int(round(y + seen.step[1] * gap)), w, h)
            found += self.near(scan, seen.character, expected)
        return one_character_per_face(_distinct(found))

    def near(self, scan: Scan, character: str, box) -> list[FoundFace]:
        """One character's faces within `reach` of a box, at about its size (boxes in full-resolution pixels)."""
        detector, options, scale = self.detectors[character], self.options, self.scale
        x, y, w, h = box
        side = max(w, h)
        grow = options.reach * side
        width, height = self.size
        x0, y0 = max(0, int(x - grow)), max(0, int(y - grow))
        x1, y1 = min(width, int(x + w + grow + 1)), min(height, int(y + h + grow + 1))
        smallest = max(*detector.window, int(detector.params.min_size * scale), int(side * scale / SIZE_RANGE))
        largest = int(side * scale * SIZE_RANGE)
        if detector.params.max_size:
            largest = min(largest, int(detector.params.max_size * scale))
        if largest < smallest or min(x1 - x0, y1 - y0) * scale < smallest:
            return []
        small = scan.frame.gray_shrunk(scale, (x0, y0, x1, y1))
        params = DetectionParams(options.scale_factor, options.min_neighbors, smallest, largest)
        boxes, counts = detector.detect_with_counts(small, params)
        faces = [
            FoundFace(
                character,
                (
                    int(round(x0 + bx / scale)),
                    int(round(y0 + by / scale)),
                    int(round(bw / scale)),
                    int(round(bh / scale)),
                ),
                int(count),
            )
            for (bx, by, bw, bh), count in zip(boxes, counts)
        ]
        look = getattr(detector, "appearance", None)
        return faces if look is None else [f for f in faces if looks_right(look, scan.bgr(), f.box)]

    def update(self, pos: int, faces: list[FoundFace], cut: bool) -> list[FoundFace]:
        """Take the faces found on analysed frame `pos` as the latest sightings (a cut forgets the shot before);
        returns those that follow no face seen lately, nearest pairs first (link_tracks' rule)."""
        if cut:
            self.seen = []
        live = self.live(pos)
        matched = match_nearest([(s.character, s.box) for s in live], [(f.character, f.box) for f in faces],
                                MAX_SHIFT)
        for si, fi in matched:
            seen, box = live[si], faces[fi].box
            gap = pos - seen.pos
            step = ((_centre(box)[0] - _centre(seen.box)[0]) / gap, (_centre(box)[1] - _centre(seen.box)[1]) / gap)
            live[si] = _Seen(seen.character, box, pos, step)
        used_faces = {fi for _, fi in matched}
        new = [f for fi, f in enumerate(faces) if fi not in used_faces]
        self.seen = live + [_Seen(f.character, f.box, pos) for f in new]
        return new


MAX_SHIFT = 0.8  # link_tracks' max_shift: a face moved further than this (in its sizes) is another face


def _centre(box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _distinct(found: list[FoundFace]) -> list[FoundFace]:
    """One of each face two searches near faces both found (the one with more neighbours)."""
    kept: list[FoundFace] = []
    for face in sorted(found, key=lambda f: -f.neighbours):
        if all(face.character != other.character or iou(face.box, other.box) < OVERLAP for other in kept):
            kept.append(face)
    return kept


class Scanner:
    """Looks for faces on a range's analysed frames, given in order with `add`: full scans on a pool, searches
    near faces here; `finished(scan)` is called with each frame, in order, once nothing more can be found on it."""

    def __init__(
        self,
        detectors,
        options,
        size: tuple[int, int],
        pool: Executor,
        finished: Callable[[Scan], None],
        batch_size: int = 1,
    ):
        self.detectors, self.options, self.pool = detectors, options, pool
        self.scale = min(1.0, options.detect_width / size[0])
        self.follower = Follower([d.copy() for d in detectors], options, self.scale, size)
        self.finished, self.batch_size = finished, batch_size
        self.limit = 4 * options.threads * options.scan_every + batch_size * options.scan_every  # frames ahead
        self.pending: deque[Scan] = deque()
        self.unsent: list[Scan] = []  # full scans not yet given to the pool
        self.held: list[Scan] = []  # frames searched near faces since the last full scan
        self._local = threading.local()

    def add(self, frame: DecodedFrame, pos: int, full: bool, cut: bool, ahead: bool = False) -> None:
        scan = Scan(frame, pos, full, cut, ahead)
        self.pending.append(scan)
        if full:
            self.unsent.append(scan)
            if len(self.unsent) >= self.batch_size:
                self._send()
        self._drain(wait=False)

    def finish(self) -> None:
        self._send()
        self._drain(wait=True)
        self._release()

    def _send(self) -> None:
        if self.unsent:
            scans, self.unsent = self.unsent, []
            future = self.pool.submit(self._full_scan, scans)
            for slot, scan in enumerate(scans):
                scan.future, scan.slot = future, slot

    def _full_scan(self, scans: list[Scan]) -> list[list[FoundFace]]:
        if not hasattr(self._local, "detectors"):  # each thread its own cascades
            self._local.detectors = [d.copy() for d in self.detectors]
        smalls = [scan.frame.gray_shrunk(self.scale) for scan in scans]
        return detect_shrunk(smalls, self.scale, self._local.detectors, self.options, lambda i: scans[i].bgr())

    def _drain(self, wait: bool) -> None:
        while self.pending:
            head = self.pending[0]
            behind = len(self.pending) > self.limit
            if head.full and (head.future is None or not head.future.done()) and not (wait or behind):
                return
            if head.full and head.future is None:
                self._send()
            self.pending.popleft()
            self._step(head)

    def _step(self, scan: Scan) -> None:
        if not scan.full and not self.follower.live(scan.pos):
            # Nothing to follow: the frame gets the full scan instead (a face the last one missed may be there).
            scan.full, scan.slot = True, 0
            scan.future = self.pool.submit(self._full_scan, [scan])
        if not scan.full:
            scan.found = self.follower.search(scan)
            self.follower.update(scan.pos, scan.found, cut=False)
            self.held.append(scan)
            return
        scan.found = scan.future.result()[scan.slot]
        scan.future = None
        scan.followed = bool(self.follower.live(scan.pos)) and not scan.cut
        new = self.follower.update(scan.pos, scan.found, scan.cut)
        if not scan.cut:  # at a cut the frames held are the shot before's
            for face in new:
                self._look_back(face)
        # From here on only what this full scan found is followed, from a standstill: so a range that starts on
        # a full scan follows what an unsplit run follows from there.
        self.follower.seen = [_Seen(f.character, f.box, scan.pos) for f in scan.found]
        self._release()
        self.finished(scan)

    def _look_back(self, face: FoundFace) -> None:
        """Follow a face a full scan found, that nothing had followed, back over the frames since the last one."""
        box, missed = face.box, 0
        for scan in reversed(self.held):
            if any(iou(box, other.box) >= OVERLAP for other in scan.found):
                return  # a face is there already: it was followed from there, or it is another's
            near = [f for f in self.follower.near(scan, face.character, box) if shift(box, f.box) <= MAX_SHIFT]
            if not near:
                missed += 1
                if missed > self.options.max_gap:
                    return
                continue
            best = min(near, key=lambda f: shift(box, f.box))
            scan.found.append(best)
            box, missed = best.box, 0

    def _release(self) -> None:
        for scan in self.held:
            self.finished(scan)
        self.held = []
