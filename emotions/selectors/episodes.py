"""Reads of episodes: the list, one episode with its summaries, its timeline (as buckets, and as the episode
page's lanes), its subtitle cues, a page of its detections, its stored video's name."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Cast, Floor

from emotions.models import Detection, Episode, EpisodeEmotion, Status
from emotions.selectors.detections import detection_list, keyset_page
from toonvision.emotions import EMOTIONS

# Subtitles: runs of one character's emotion closer than this are one cue; shorter runs are flicker, dropped.
CUE_MERGE_GAP = 0.5  # seconds
CUE_MIN_SECONDS = 0.3
# A timeline has at most this many buckets; a finer bucket over a long episode is refused.
TIMELINE_MAX_BUCKETS = 10_000
# The episode page's timeline: about this many buckets a lane, but never finer than two frames (a face stands
# for the time until the next analysed frame, so finer buckets would only add gaps between faces).
TIMELINE_LANE_BUCKETS = 150
DETECTIONS_PAGE_SIZE = 50


def episode_list() -> QuerySet[Episode]:
    """Every episode, newest first, with what the list shows (owner, current run) fetched alongside."""
    return Episode.objects.select_related("owner", "current_run").order_by("-created", "-id")


def episode_detail(*, pk: int) -> Episode:
    """One episode with its current run's range counts and its per-character emotion summaries; DoesNotExist."""
    episode = (
        Episode.objects.select_related("owner", "current_run")
        .prefetch_related(
            Prefetch(
                "emotion_summaries",
                queryset=EpisodeEmotion.objects.select_related("character").order_by("character__name", "emotion"),
            )
        )
        .get(pk=pk)
    )
    run = episode.current_run
    if run is not None:
        counts = run.ranges.aggregate(total=Count("id"), done=Count("id", filter=Q(status=Status.DONE)))
        run.range_total, run.range_done = counts["total"], counts["done"]
    return episode


def episode_character_emotions(*, episode: Episode) -> list[dict]:
    """Per character in the episode: screen seconds and, per emotion shown, seconds, weighted seconds and share."""
    characters: dict[int, dict] = {}
    for row in episode.emotion_summaries.all():
        entry = characters.setdefault(
            row.character_id,
            {"slug": row.character.slug, "name": row.character.name, "seconds": 0.0, "detections": 0, "emotions": {}},
        )
        entry["seconds"] += row.seconds
        entry["detections"] += row.detections
        entry["emotions"][row.emotion] = {
            "seconds": row.seconds, "weighted_seconds": row.weighted_seconds, "share": row.share,
            "detections": row.detections,
        }
    return sorted(characters.values(), key=lambda c: (-c["seconds"], c["slug"]))


def episode_main_emotions(*, episode_ids) -> dict[int, list[dict]]:
    """For each episode, its characters (most screen time first) with the emotion each shows most, from the
    summaries in one query: {episode id: [{slug, name, emotion, share, seconds}]}."""
    rows = (
        EpisodeEmotion.objects.filter(episode_id__in=list(episode_ids))
        .values_list("episode_id", "character__slug", "character__name", "emotion", "seconds", "share")
        .order_by()
    )
    best: dict[tuple[int, str], dict] = {}
    for episode_id, slug, name, emotion, seconds, share in rows:
        entry = best.setdefault((episode_id, slug), {"slug": slug, "name": name, "emotion": emotion, "share": -1.0,
                                                     "seconds": 0.0})
        entry["seconds"] += seconds
        if share > entry["share"]:
            entry["emotion"], entry["share"] = emotion, share
    result: dict[int, list[dict]] = {}
    for (episode_id, _), entry in best.items():
        result.setdefault(episode_id, []).append(entry)
    for entries in result.values():
        entries.sort(key=lambda e: (-e["seconds"], e["slug"]))
    return result


def episode_timeline(*, episode: Episode, bucket: float) -> list[dict]:
    """Seconds of each character's emotions per `bucket` seconds of the episode, from the published detections.

    A detection counts its whole duration (the screen time until the next analysed frame, a fraction of a
    second) in the bucket where it starts, so the buckets add up exactly to the episode's summaries.
    """
    count = max(1, math.ceil(episode.duration / bucket - 1e-9))
    if count > TIMELINE_MAX_BUCKETS:
        raise ValueError(
            f"a {bucket:g} s bucket cuts this {episode.duration:.0f} s episode into {count} pieces; "
            f"the most a timeline has is {TIMELINE_MAX_BUCKETS}: choose a bucket of at least "
            f"{episode.duration / TIMELINE_MAX_BUCKETS:.3g} s"
        )
    rows = (
        Detection.objects.published().filter(episode=episode)
        .annotate(slot=Cast(Floor(F("time") / bucket), IntegerField()))
        .values("slot", "character__slug", "emotion")
        .annotate(seconds=Sum("duration"))
        .order_by()
    )
    buckets = [{"start": i * bucket, "end": min((i + 1) * bucket, max(episode.duration, bucket)), "characters": {}}
               for i in range(count)]
    for row in rows:
        slot = min(max(int(row["slot"]), 0), count - 1)
        per = buckets[slot]["characters"].setdefault(row["character__slug"], {})
        per[row["emotion"]] = per.get(row["emotion"], 0.0) + row["seconds"]
    return buckets


def episode_timeline_bucket(*, episode: Episode) -> float:
    """The timeline bucket (seconds) for the episode page: about TIMELINE_LANE_BUCKETS a lane, and at least 1.5
    times the spacing of the analysed frames (the run's stride), so a face on screen leaves no empty bucket."""
    run = episode.current_run
    stride = (run.options or {}).get("stride", 1) if run is not None else 1
    return max(episode.duration / TIMELINE_LANE_BUCKETS, 1.5 * stride / max(episode.fps, 1e-6), 0.01)


def episode_timeline_lanes(*, episode: Episode, names: dict[str, str] | None = None) -> dict:
    """The episode's timeline as lanes, one per character, of segments: runs of buckets whose dominant emotion is
    the same, merged ({start, end, emotion, left, width}, left/width in % of the episode). One aggregate query.
    A single empty bucket inside a run is bridged: it is the spacing of analysed frames, not an absence.

    `names` maps slugs to display names (the page has them from the summaries); lanes follow its order."""
    bucket = episode_timeline_bucket(episode=episode)
    buckets = episode_timeline(episode=episode, bucket=bucket)
    segments: dict[str, list[dict]] = {}
    span = max(episode.duration, bucket)
    for b in buckets:
        for slug, seconds in b["characters"].items():
            emotion = max(seconds, key=lambda e: (seconds[e], -EMOTIONS.index(e)))
            # Faces further apart than a bucket stand for time past its end: the stretch reaches that far.
            end = min(max(b["end"], b["start"] + sum(seconds.values())), span)
            lane = segments.setdefault(slug, [])
            last = lane[-1] if lane else None
            if last and last["emotion"] == emotion and b["start"] - last["end"] <= bucket * 1.01:
                last["end"] = max(last["end"], end)
            else:
                if last:
                    last["end"] = min(last["end"], b["start"])
                lane.append({"start": b["start"], "end": end, "emotion": emotion})
    for lane in segments.values():
        for s in lane:
            s["left"] = round(100 * s["start"] / span, 3)
            s["width"] = round(100 * (s["end"] - s["start"]) / span, 3)
    names = names or {}
    order = [slug for slug in names if slug in segments] + sorted(slug for slug in segments if slug not in names)
    lanes = [{"slug": slug, "name": names.get(slug, slug), "segments": segments[slug]} for slug in order]
    ticks = [{"at": span * i / 4, "left": 25 * i} for i in range(5)]
    return {"bucket": bucket, "duration": span, "lanes": lanes, "ticks": ticks}


@dataclass(frozen=True)
class Cue:
    """A stretch of the episode and who shows which emotion in it: {character name: [emotions]}."""

    start: float
    end: float
    labels: dict[str, list[str]]


def episode_emotion_cues(*, episode: Episode) -> list[Cue]:
    """The episode's emotions as subtitle cues: each character's runs of one emotion (detections closer than
    CUE_MERGE_GAP merged, runs under CUE_MIN_SECONDS dropped), cut where any run starts or ends, so
    characters on screen together share a cue."""
    rows = (
        Detection.objects.published().filter(episode=episode)
        .order_by("character__name", "character_id", "emotion", "time")
        .values_list("character__name", "character_id", "emotion", "time", "duration")
    )
    runs: list[tuple[float, float, str, str]] = []
    current = None  # [key, start, end]
    for name, character_id, emotion, start, duration in rows.iterator(chunk_size=5000):
        key = (name, character_id, emotion)
        end = start + duration
        if current and current[0] == key and start <= current[2] + CUE_MERGE_GAP:
            current[2] = max(current[2], end)
            continue
        if current:
            runs.append((current[1], current[2], current[0][0], current[0][2]))
        current = [key, start, end]
    if current:
        runs.append((current[1], current[2], current[0][0], current[0][2]))
    runs = [r for r in runs if r[1] - r[0] >= CUE_MIN_SECONDS]

    # Sweep the run edges in time order, keeping the labels shown between one edge and the next.
    events = sorted([(start, 1, name, emotion) for start, _, name, emotion in runs]
                    + [(end, -1, name, emotion) for _, end, name, emotion in runs])
    active: Counter = Counter()
    cues: list[Cue] = []
    for i, (at, change, name, emotion) in enumerate(events):
        active[(name, emotion)] += change
        if active[(name, emotion)] == 0:
            del active[(name, emotion)]
        following = events[i + 1][0] if i + 1 < len(events) else at
        if not active or following <= at:
            continue
        labels: dict[str, list[str]] = {}
        for label_name, label_emotion in active:
            labels.setdefault(label_name, []).append(label_emotion)
        labels = {n: sorted(set(e), key=EMOTIONS.index) for n, e in sorted(labels.items())}
        if cues and cues[-1].labels == labels and math.isclose(cues[-1].end, at):
            cues[-1] = Cue(cues[-1].start, following, labels)
        else:
            cues.append(Cue(at, following, labels))
    return cues


def episode_detection_page(*, episode: Episode, after: tuple[float, int] | None = None,
                           limit: int = DETECTIONS_PAGE_SIZE) -> tuple[list[Detection], tuple[float, int] | None]:
    """One page of the episode's published detections in time order, after the (time, id) key `after`: the page
    and the key of the next page (None on the last). Keyset on the (episode, time) index: no count, no offset."""
    rows = detection_list().filter(episode=episode).select_related(None).select_related("character")
    return keyset_page(rows, key="time", descending=False, after=after, limit=limit)


def episode_video_file(*, pk: int) -> dict:
    """The episode's video: its storage name (`file`) and what the probe found of it (`container`, `codec`);
    DoesNotExist when there is no such episode."""
    return Episode.objects.values("file", "container", "codec").get(pk=pk)


def episode_looked_for(*, episode: Episode) -> list[dict]:
    """Who the episode's latest run looked for (its cascades snapshot) and how many faces of each it found:
    [{"slug", "name", "faces"}] in the run's order; the faces counted once the run is done (0 before)."""
    run = episode.current_run
    if run is None:
        return []
    counts = {}
    if run.status == Status.DONE:
        counts = dict(Detection.objects.filter(run=run).values_list("character__slug").annotate(n=Count("pk"))
                      .order_by())
    return [{"slug": entry["slug"], "name": entry.get("name") or entry["slug"], "faces": counts.get(entry["slug"], 0)}
            for entry in run.cascades]
