"""Selectors of the emotions app: the reads behind the API (episodes, characters, detections, timelines,
subtitle cues). They return querysets and plain data; the API's filters and serializers narrow and shape them."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Floor

from emotions.models import Character, Detection, Episode, Status
from recommender.models import EpisodeEmotion
from toonvision.emotions import EMOTIONS
from toonvision.studio import CAST

# Subtitles: runs of one character's emotion closer than this are one cue; shorter runs are flicker, dropped.
CUE_MERGE_GAP = 0.5  # seconds
CUE_MIN_SECONDS = 0.3
# A timeline has at most this many buckets; a finer bucket over a long episode is refused.
TIMELINE_MAX_BUCKETS = 10_000


# -- episodes ------------------------------------------------------------------------------------------
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


# -- characters ------------------------------------------------------------------------------------------
def character_list() -> QuerySet[Character]:
    return Character.objects.order_by("name", "slug")


def character_emotion_breakdown(*, character: Character) -> dict:
    """The character's screen time across all episodes, per emotion: seconds, weighted seconds, share, detections."""
    rows = {
        row["emotion"]: row
        for row in EpisodeEmotion.objects.filter(character=character).values("emotion").annotate(
            seconds=Sum("seconds"), weighted_seconds=Sum("weighted_seconds"), detections=Sum("detections")
        ).order_by()
    }
    total = sum(row["seconds"] for row in rows.values())
    episodes = EpisodeEmotion.objects.filter(character=character).values("episode").distinct().count()
    emotions = []
    for emotion in EMOTIONS:
        row = rows.get(emotion, {})
        seconds = row.get("seconds") or 0.0
        emotions.append({
            "emotion": emotion, "seconds": seconds, "weighted_seconds": row.get("weighted_seconds") or 0.0,
            "share": seconds / total if total else 0.0, "detections": row.get("detections") or 0,
        })
    return {"seconds": total, "episodes": episodes, "emotions": emotions}


# -- detections ------------------------------------------------------------------------------------------
def detection_list() -> QuerySet[Detection]:
    """The published detections (those of finished runs), with their episode and character fetched alongside."""
    return Detection.objects.published().select_related("episode", "character")


# -- pages: characters and frames ----------------------------------------------------------------------------
FACES_PAGE_SIZE = 48  # faces or frames per gallery/search page
EPISODE_CHOICES_MAX = 500  # episodes offered in the frame search's episode menu


def character_tiles() -> list[dict]:
    """Every character with what its tile shows, in three queries whatever the catalogue's size: screen seconds,
    episodes and dominant emotion from the summaries, and `face`, its most confident published face crop (the
    picture for a character without a cast portrait; `portrait` says whether it has one)."""
    characters = list(character_list().annotate(face=Subquery(_best_faces(character=OuterRef("pk"))[:1])))
    seconds: dict[int, dict[str, float]] = {}
    for row in EpisodeEmotion.objects.values("character_id", "emotion").annotate(seconds=Sum("seconds")).order_by():
        seconds.setdefault(row["character_id"], {})[row["emotion"]] = row["seconds"]
    episodes = dict(
        EpisodeEmotion.objects.values("character_id").annotate(n=Count("episode", distinct=True))
        .order_by().values_list("character_id", "n")
    )
    return [_character_tile(c, seconds.get(c.pk, {}), episodes.get(c.pk, 0)) for c in characters]


def _character_tile(character: Character, seconds: dict[str, float], episodes: int) -> dict:
    total = sum(seconds.values())
    emotion = max(seconds, key=lambda e: (seconds[e], -EMOTIONS.index(e))) if total else None
    return {
        "character": character, "slug": character.slug, "name": character.name,
        "portrait": character_has_portrait(character=character), "face": character.face,
        "seconds": total, "episodes": episodes, "emotion": emotion,
        "share": seconds[emotion] / total if emotion else 0.0,
    }


def character_has_portrait(*, character: Character) -> bool:
    """Whether /cast/<slug>.png draws this character: the shipped cast's studio portraits."""
    return character.shipped and character.slug in CAST


def character_best_face(*, character: Character) -> int | None:
    """The id of the character's most confident published face with a crop (its picture without a portrait)."""
    return _best_faces(character=character).first()


def _best_faces(*, character) -> QuerySet:
    """Ids of a character's published faces with a crop, most confident first (the detection_char_conf_id index).
    `character` may be OuterRef("pk"), for a subquery per character."""
    return (
        Detection.objects.published().filter(character=character).exclude(crop="")
        .order_by("-confidence", "-id").values_list("pk", flat=True)
    )


def character_dominant_emotion(*, breakdown: dict) -> str | None:
    """The emotion with the most screen seconds in a character_emotion_breakdown, None when it has no faces."""
    shown = [row for row in breakdown["emotions"] if row["detections"]]
    return max(shown, key=lambda row: row["seconds"])["emotion"] if shown else None


def _keyset_page(rows: QuerySet[Detection], *, key: str, descending: bool, after: tuple | None, limit: int):
    """One page of rows ordered by (key, id), after the (key, id) pair `after`, and the pair that starts the next
    page (None on the last). The bound on `key` alone lets the index scan start there; the OR breaks ties by id."""
    if after is not None:
        value, pk = after
        if descending:
            rows = rows.filter(**{f"{key}__lte": value}).filter(Q(**{f"{key}__lt": value}) | Q(id__lt=pk))
        else:
            rows = rows.filter(**{f"{key}__gte": value}).filter(Q(**{f"{key}__gt": value}) | Q(id__gt=pk))
    sign = "-" if descending else ""
    page = list(rows.order_by(f"{sign}{key}", f"{sign}id")[: limit + 1])
    following = (getattr(page[limit - 1], key), page[limit - 1].pk) if len(page) > limit else None
    return page[:limit], following


def character_faces(*, character: Character, emotion: str, after: tuple[float, int] | None = None,
                    limit: int = FACES_PAGE_SIZE) -> tuple[list[Detection], tuple[float, int] | None]:
    """One page of the character's published face crops showing the emotion, most confident first, after the
    (confidence, id) key `after`: the page and the next page's key (None on the last). Keyset on the
    (character, emotion, -confidence) index: no count, no offset."""
    rows = detection_list().filter(character=character, emotion=emotion).exclude(crop="")
    return _keyset_page(rows, key="confidence", descending=True, after=after, limit=limit)


def frame_page(*, detections: QuerySet[Detection], after: tuple[float, int] | None = None,
               limit: int = FACES_PAGE_SIZE) -> tuple[list[Detection], tuple[float, int] | None]:
    """One page of these published detections (already filtered, e.g. by DetectionFilter) that have a stored frame,
    most confident first, after the (confidence, id) key `after`, and the next page's key (None on the last)."""
    return _keyset_page(detections.exclude(frame_image=""), key="confidence", descending=True, after=after, limit=limit)


def frame_search_episodes() -> list[dict]:
    """The processed episodes the frame search offers (id and title), newest first, at most EPISODE_CHOICES_MAX."""
    return list(
        Episode.objects.filter(status=Status.DONE).order_by("-created", "-id").values("pk", "title")
        [:EPISODE_CHOICES_MAX]
    )


def frames_for_download(*, ids: list[int]) -> list[Detection]:
    """The published detections among these ids, in the order given, with their episode and character."""
    found = detection_list().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


# -- pages: episodes ---------------------------------------------------------------------------------------
# The episode page's timeline: about this many buckets a lane, but never finer than two frames (a face stands
# for the time until the next analysed frame, so finer buckets would only add gaps between faces).
TIMELINE_LANE_BUCKETS = 150
DETECTIONS_PAGE_SIZE = 50


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


def episode_timeline_bucket(*, episode: Episode) -> float:
    """The timeline bucket (seconds) for the episode page: about TIMELINE_LANE_BUCKETS a lane, and at least 1.5
    times the spacing of the analysed frames (the run's stride), so a face on screen leaves no empty bucket."""
    run = episode.current_run
    stride = (run.settings or {}).get("stride", 1) if run is not None else 1
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


def episode_detection_page(*, episode: Episode, after: tuple[float, int] | None = None,
                           limit: int = DETECTIONS_PAGE_SIZE) -> tuple[list[Detection], tuple[float, int] | None]:
    """One page of the episode's published detections in time order, after the (time, id) key `after`: the page
    and the key of the next page (None on the last). Keyset on the (episode, time) index: no count, no offset."""
    rows = detection_list().filter(episode=episode).select_related(None).select_related("character")
    return _keyset_page(rows, key="time", descending=False, after=after, limit=limit)


def episode_file_name(*, pk: int) -> str:
    """The storage name of the episode's video; DoesNotExist when there is no such episode."""
    return Episode.objects.values_list("file", flat=True).get(pk=pk)


# -- pages: home ---------------------------------------------------------------------------------------------
# The home page reads Episode rows and the EpisodeEmotion summaries only (never the detections' counts), capped.
HOME_PROCESSING_MAX = 10
HOME_RECENT_MAX = 12
HOME_CAST_MAX = 24


@dataclass(frozen=True)
class RecentEpisode:
    """A finished episode and each character's dominant emotion in it (episode_main_emotions' entries)."""

    episode: Episode
    moods: list[dict]


@dataclass(frozen=True)
class CastMember:
    """A character for the home page's cast: `studio` when the site can draw its portrait (the shipped cast),
    otherwise `face_id`, its most confident published face (None when it has none yet: its initials are shown)."""

    character: Character
    studio: bool
    face_id: int | None


@dataclass(frozen=True)
class HomeOverview:
    """What the home page shows: episodes being processed, recent finished ones, the cast, and whether the site
    is new (no episode at all), in which case it explains how to start."""

    processing: list[Episode]
    recent: list[RecentEpisode]
    cast: list[CastMember]
    first_run: bool


def home_processing_episodes(*, limit: int = HOME_PROCESSING_MAX) -> list[Episode]:
    """Episodes queued or being processed, in the order the workers take them (oldest first), capped."""
    return list(
        Episode.objects.filter(status__in=[Status.QUEUED, Status.PROCESSING]).order_by("created", "id")[:limit]
    )


def home_recent_episodes(*, limit: int = HOME_RECENT_MAX) -> list[RecentEpisode]:
    """Finished episodes, newest first, each with its characters' dominant emotions from the summaries."""
    episodes = list(Episode.objects.filter(status=Status.DONE).order_by("-created", "-id")[:limit])
    moods = episode_main_emotions(episode_ids=[e.pk for e in episodes])
    return [RecentEpisode(e, moods.get(e.pk, [])) for e in episodes]


def home_cast(*, limit: int = HOME_CAST_MAX) -> list[CastMember]:
    """The characters (capped), each with how to picture it (as the characters page does: character_has_portrait);
    a character the studio cannot draw costs one index lookup (detection_char_conf_id) for its best face."""
    best_face = Subquery(_best_faces(character=OuterRef("pk"))[:1])
    face_id = Case(When(shipped=True, slug__in=list(CAST), then=Value(None)), default=best_face,
                   output_field=IntegerField())
    characters = Character.objects.order_by("name", "slug").annotate(face_id=face_id)[:limit]
    return [CastMember(c, character_has_portrait(character=c), c.face_id) for c in characters]


def home_overview() -> HomeOverview:
    """Everything the home page shows, in a bounded number of queries."""
    processing, recent = home_processing_episodes(), home_recent_episodes()
    first_run = not processing and not recent and not Episode.objects.exists()
    return HomeOverview(processing=processing, recent=recent, cast=home_cast(), first_run=first_run)
