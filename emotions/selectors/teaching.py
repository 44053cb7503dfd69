"""Reads for teaching characters: the frames of an episode worth marking faces on, the examples per character,
a character's examples and versions, and what an episode's processing looked for and found."""
from __future__ import annotations

import logging

import cv2
import numpy as np
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from emotions.models import Character, CharacterExample, CharacterVersion, Detection, Episode
from toonsite.storage import stored_file_local_path
from toonvision.video import VideoError, decode_frames

logger = logging.getLogger(__name__)

# The cut detector: frames shrunk to THUMB, a cut where the mean absolute change from the frame before is over
# CUT_THRESHOLD (0-255) — a cartoon's shots change colours wholesale, its motion moves a few strokes.
THUMB = (32, 18)
CUT_THRESHOLD = 28.0
# Frames scanned for cuts at most (about 14 min at 24 fps); past that the list is of the scanned part.
CUT_SCAN_FRAMES = 20_000
# "Nothing found": a frame every NOTHING_STEP seconds with no published face within half a step of it.
NOTHING_STEP = 2.0
MAX_SUGGESTIONS = 60
CUTS_CACHE_SECONDS = 24 * 3600

REASON_SHOT = "first frame of a shot"
REASON_NOTHING = "nothing found here"


def frames_worth_marking(episode: Episode, *, limit: int = MAX_SUGGESTIONS) -> list[dict]:
    """Frames to mark faces on, in time order: [{"frame", "time", "reason"}], the first frame of each shot (from a
    cut detector over the video, cached per video) and frames where the detectors found nothing (once the episode
    is processed). At most `limit`, spread over the episode."""
    fps = max(episode.fps, 1e-6)
    found: dict[int, str] = {frame: REASON_SHOT for frame in shot_starts(episode)}
    if episode.current_run_id and episode.current_run.status == "done":
        faces = sorted(Detection.objects.published().filter(episode=episode).values_list("frame", flat=True)
                       .distinct())
        step = max(1, round(NOTHING_STEP * fps))
        half = step // 2
        faces_array = np.asarray(faces, dtype=np.int64)
        for frame in range(half, episode.frame_count, step):
            near = np.searchsorted(faces_array, frame - half)
            if near < len(faces_array) and faces_array[near] <= frame + half:
                continue
            if any(abs(frame - f) <= half for f in found if found[f] == REASON_SHOT):
                continue
            found.setdefault(frame, REASON_NOTHING)
    frames = sorted(found)
    if len(frames) > limit:
        frames = [frames[int((i + 0.5) * len(frames) / limit)] for i in range(limit)]
    return [{"frame": f, "time": round(f / fps, 3), "reason": found[f]} for f in frames]


def shot_starts(episode: Episode) -> list[int]:
    """The first frame of each shot of the episode's video (0 first), by a cheap cut detector; cached per video."""
    key = f"toonsite:shots:{episode.sha256}:{CUT_THRESHOLD}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    starts, previous = [0], None
    try:
        with stored_file_local_path(episode.file.name) as path:
            for decoded in decode_frames(path, stop=min(episode.frame_count, CUT_SCAN_FRAMES)):
                thumb = cv2.resize(decoded.bgr(), THUMB, interpolation=cv2.INTER_AREA).astype(np.int16)
                if previous is not None and decoded.index > 0:
                    if float(np.abs(thumb - previous).mean()) > CUT_THRESHOLD:
                        starts.append(decoded.index)
                previous = thumb
    except (VideoError, OSError) as error:
        logger.warning("episode %s: no shots found (%s)", episode.pk, error)
        return starts
    cache.set(key, starts, CUTS_CACHE_SECONDS)
    return starts


def example_counts(episode: Episode | None = None) -> dict[str, int]:
    """{character slug: positive examples} (only those marked on `episode` when given), every character listed."""
    match = Q(examples__kind=CharacterExample.Kind.POSITIVE)
    if episode is not None:
        match &= Q(examples__episode=episode)
    rows = Character.objects.annotate(n=Count("examples", filter=match)).values_list("slug", "n").order_by("slug")
    return dict(rows)


def character_examples(*, character: Character, kind: str | None = None,
                       episode: Episode | None = None) -> QuerySet[CharacterExample]:
    """The character's examples, oldest first; only one kind, or only those on one episode, when asked."""
    rows = character.examples.select_related("created_by").order_by("created", "pk")
    if kind:
        rows = rows.filter(kind=kind)
    if episode is not None:
        rows = rows.filter(episode=episode)
    return rows


def episode_examples(*, episode: Episode, frame: int | None = None) -> QuerySet[CharacterExample]:
    """The boxes marked on an episode (on one frame of it, when asked), with their characters."""
    rows = episode.character_examples.select_related("character").order_by("frame", "pk")
    return rows if frame is None else rows.filter(frame=frame)


def character_versions(*, character: Character) -> QuerySet[CharacterVersion]:
    return character.versions.order_by("-number")


def character_teaching_summary(*, character: Character) -> dict:
    """What a taught character's page and API show: examples by kind, the version under way, the latest one."""
    counts = dict(character.examples.values_list("kind").annotate(n=Count("pk")).order_by())
    under_way = character.versions.filter(status__in=("queued", "training")).order_by("-number").first()
    return {
        "positives": counts.get(CharacterExample.Kind.POSITIVE, 0),
        "negatives": counts.get(CharacterExample.Kind.NEGATIVE, 0),
        "under_way": under_way,
        "latest": character.versions.order_by("-number").first(),
    }
