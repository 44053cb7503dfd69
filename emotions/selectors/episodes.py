"""Reads of episodes: the list, one episode with its summaries, its timeline (as buckets, and as the episode
page's lanes), its subtitle cues, its stored video's name (its moments: selectors.moments)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Cast, Floor

from emotions.models import Detection, Episode, EpisodeEmotion, Status
from toonvision.emotions import EMOTIONS

# Subtitles: runs of one character's emotion closer than this are one cue; shorter runs are flicker, dropped.
CUE_MERGE_GAP = 0.5  # seconds
CUE_MIN_SECONDS = 0.3
# A timeline has at most this many buckets; a finer bucket over a long episode is refused.
TIMELINE_MAX_BUCKETS = 10_000
# The episode page's timeline: about this many buckets a lane, but never finer than two frames (a face stands
# for the time until the next analysed frame, so finer buckets would only add gaps between faces).
TIMELINE_LANE_BUCKETS = 150


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
    return {"bucket": bucket, "duration": span, "lanes": lanes, "ticks": timeline_ticks(duration=span)}


# Round steps for the time axis, in seconds: the smallest that gives at most MAX_TICKS ticks is used.
TICK_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200)
MAX_TICKS = 10


def timeline_ticks(*, duration: float) -> list[dict]:
    """Ticks at round times (0, 5, 10, ... s; the step chosen by the duration so that there are at most ten, six
    or more for anything longer than six seconds), each {at: seconds, left: % of the duration}."""
    if duration <= 0:
        return [{"at": 0.0, "left": 0.0}]
    step = next((s for s in TICK_STEPS if duration // s + 1 <= MAX_TICKS), TICK_STEPS[-1])
    count = int(duration // step) + 1
    return [{"at": float(i * step), "left": round(100 * i * step / duration, 3)} for i in range(count)]


@dataclass(frozen=True)
class Cue:
    """A stretch of the episode and the one emotion each character on screen shows in it: {character name: emotion}."""

    start: float
    end: float
    labels: dict[str, str]


def episode_emotion_cues(*, episode: Episode) -> list[Cue]:
    """The episode's emotions as subtitle cues. Each character's faces become stretches of one emotion at a time
    (faces closer than CUE_MERGE_GAP merged, a new emotion ending the last where it starts, stretches under
    CUE_MIN_SECONDS dropped); the stretches of all characters are cut where any starts or ends, so characters on
    screen together share a cue. Times are whole milliseconds (WebVTT's), and no cue is shorter than
    CUE_MIN_SECONDS: a sliver between two edges joins the cue before it."""
    rows = (
        Detection.objects.published().filter(episode=episode)
        .order_by("character__name", "character_id", "time", "-confidence")
        .values_list("character__name", "character_id", "emotion", "time", "duration")
    )
    stretches: dict[tuple[str, int], list[list]] = {}
    last_seen: dict[tuple[str, int], float] = {}
    for name, character_id, emotion, start, duration in rows.iterator(chunk_size=5000):
        key = (name, character_id)
        if last_seen.get(key) == start:
            continue  # two faces of one character at one moment: the more confident one speaks for it
        last_seen[key] = start
        _extend(stretches.setdefault(key, []), start, start + duration, emotion)
    edges = sorted(
        (round(at, 3), change, name, emotion)
        for (name, _), character_stretches in stretches.items()
        for start, end, emotion in _kept(character_stretches)
        for at, change in ((start, 1), (end, -1))
    )
    return _without_slivers(_sweep(edges))


def _extend(stretches: list[list], start: float, end: float, emotion: str) -> None:
    """Add one face [start, end) of `emotion` to a character's stretches (in time order)."""
    last = stretches[-1] if stretches else None
    if last and last[2] == emotion and start <= last[1] + CUE_MERGE_GAP:
        last[1] = max(last[1], end)
        return
    if last and start < last[1]:
        last[1] = start  # one emotion at a time: the new one ends the last where it starts
    stretches.append([start, end, emotion])


def _kept(stretches: list[list]) -> list[list]:
    """The stretches long enough to read, with those of one emotion that a dropped flicker parted joined again."""
    kept: list[list] = []
    for start, end, emotion in stretches:
        if end - start < CUE_MIN_SECONDS:
            continue
        if kept and kept[-1][2] == emotion and start <= kept[-1][1] + CUE_MERGE_GAP:
            kept[-1][1] = end
        else:
            kept.append([start, end, emotion])
    return kept


def _sweep(edges: list[tuple[float, int, str, str]]) -> list[Cue]:
    """Cues between consecutive edges (ends sort before starts at one time), each with who shows what there."""
    active: dict[str, str] = {}
    cues: list[Cue] = []
    for i, (at, change, name, emotion) in enumerate(edges):
        if change > 0:
            active[name] = emotion
        elif active.get(name) == emotion:
            del active[name]
        following = edges[i + 1][0] if i + 1 < len(edges) else at
        if not active or following <= at:
            continue
        labels = dict(sorted(active.items()))
        if cues and cues[-1].labels == labels and cues[-1].end == at:
            cues[-1] = Cue(cues[-1].start, following, labels)
        else:
            cues.append(Cue(at, following, labels))
    return cues


def _without_slivers(cues: list[Cue]) -> list[Cue]:
    """Cues under CUE_MIN_SECONDS (two characters' edges a moment apart) join a neighbour they touch: the next one
    when it shows all the sliver does (someone arrives a moment later), else the one before, else the next."""
    cues = list(cues)
    joined: list[Cue] = []
    for i, cue in enumerate(cues):
        following = cues[i + 1] if i + 1 < len(cues) and cues[i + 1].start == cue.end else None
        before = joined[-1] if joined and joined[-1].end == cue.start else None
        if cue.end - cue.start >= CUE_MIN_SECONDS or not (following or before):
            joined.append(cue)
        elif following and (cue.labels.items() <= following.labels.items() or not before):
            cues[i + 1] = Cue(cue.start, following.end, following.labels)
        else:
            joined[-1] = Cue(before.start, cue.end, before.labels)
    return joined


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
        counts = dict(Detection.objects.filter(run=run, rejected=False).values_list("character__slug")
                      .annotate(n=Count("pk")).order_by())
    return [{"slug": entry["slug"], "name": entry.get("name") or entry["slug"], "faces": counts.get(entry["slug"], 0)}
            for entry in run.cascades]
