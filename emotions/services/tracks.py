"""One id per face track across a run's ranges: ranges are segmented apart, so a face that crosses a range
boundary starts a new track in the next range; when the run's last range is done, such pieces are joined by
the rule that links faces within a range (toonvision.tracking.join_tracks), and take the first piece's id."""
from __future__ import annotations

from emotions.models import Detection, ProcessingRun
from emotions.services.storage import stored_file_local_path
from toonvision.segmentation import ShotCuts, fast_options_from
from toonvision.tracking import TrackEnd, join_tracks
from toonvision.video import decode_frames


def run_join_tracks(*, run: ProcessingRun) -> int:
    """Join the run's track pieces across its range boundaries; returns how many pieces took another's id."""
    starts = list(run.ranges.order_by("index").values_list("start", flat=True))[1:]
    if run.method != "fast" or not starts:
        return 0
    options = fast_options_from(run.options)
    reach = (options.max_gap + 1) * options.stride  # how far link_tracks lets a track go unseen
    joined = 0
    with stored_file_local_path(run.episode.file.name) as video:
        for boundary in starts:  # in order, so a piece joined at one boundary carries its new id to the next
            tails, heads = _track_ends(run, boundary, reach)
            if not tails or not heads:
                continue
            cuts = _cuts(video, min(t.frame for t in tails), max(h.frame for h in heads) + 1, options.cut_threshold)
            for head, tail in join_tracks(tails, heads, cuts, reach=reach).items():
                if head != tail:
                    joined += Detection.objects.filter(run=run, track=head).update(track=tail) > 0
    return joined


def _track_ends(run: ProcessingRun, boundary: int, reach: int) -> tuple[list[TrackEnd], list[TrackEnd]]:
    """Each track's last face in the `reach` frames before the boundary and first face in those after it."""
    rows = (
        Detection.objects.filter(run=run, track__isnull=False, frame__gte=boundary - reach, frame__lt=boundary + reach)
        .order_by("frame").values_list("track", "frame", "character__slug", "x", "y", "w", "h")
    )
    tails, heads = {}, {}
    for track, frame, slug, x, y, w, h in rows:
        end = TrackEnd(track, slug, frame, (x, y, w, h))
        if frame < boundary:
            tails[track] = end  # the latest wins
        else:
            heads.setdefault(track, end)  # the earliest wins
    return list(tails.values()), list(heads.values())


def _cuts(video, start: int, stop: int, threshold: float) -> set[int]:
    """The shot cuts `fast` sees among frames (start, stop)."""
    shots, cuts = ShotCuts(threshold), set()
    for frame in decode_frames(video, start=start, stop=stop):
        if shots.is_cut(frame.gray()):
            cuts.add(frame.index)
    return cuts
