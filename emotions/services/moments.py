"""Moments: group a run's published faces into moments (one track's run of one emotion) and keep them current.

run_moments_build replaces the moments of the run's episode with those of the run's published detections. It is
called wherever the summaries are built or rebuilt: when a run is published (services.runs), when a label changes
a face's emotion or rejects it (services.labels), and after a re-classification (services.reclassify); the
`build_moments` command and migration 0013 fill them for episodes processed before.

- Along a track (ids are unique within a run), faces ordered by frame form one moment while the emotion (and the
  character) stays the same; a change starts the next. A rejected face is not published, so the faces either
  side of it join when their emotion is the same.
- A face without a track (the `seed` method) is a moment of its own.
- Its best face is the most confident (a labelled face counts as 1.0; the earliest of equals); start is its first
  face's time, end its last face's time plus the screen time that face stands for.
"""
from collections.abc import Iterable

from django.db import transaction

from emotions.models import Detection, Episode, Moment, ProcessingRun, Status

# What moment_rows reads of each face, in this order.
FACE_FIELDS = ("id", "track", "frame", "time", "duration", "emotion", "confidence", "labelled", "character_id")


def moment_rows(faces: Iterable[tuple]) -> list[dict]:
    """The moments of these faces (tuples of FACE_FIELDS, ordered by track then frame, untracked ones anywhere) as
    dicts of Moment's fields (character_id, track, emotion, start, end, faces, best_id, best_confidence,
    mean_confidence). Pure, so the migration that fills moments for old runs uses it too."""
    moments, current = [], None
    for pk, track, _frame, time, duration, emotion, confidence, labelled, character_id in faces:
        score = 1.0 if labelled else confidence
        same = (current is not None and track is not None and current["track"] == track
                and current["emotion"] == emotion and current["character_id"] == character_id)
        if same:
            current["end"] = time + duration
            current["faces"] += 1
            current["total"] += score
            if score > current["best_confidence"]:
                current["best_id"], current["best_confidence"] = pk, score
            continue
        current = {"character_id": character_id, "track": track, "emotion": emotion, "start": time,
                   "end": time + duration, "faces": 1, "best_id": pk, "best_confidence": score, "total": score}
        moments.append(current)
    for moment in moments:
        moment["mean_confidence"] = min(1.0, moment.pop("total") / moment["faces"])
        moment["best_confidence"] = min(1.0, moment["best_confidence"])
    return moments


@transaction.atomic
def run_moments_build(*, run: ProcessingRun) -> int | None:
    """Replace the moments of the run's episode with those of the run's published faces; how many there are now.
    A run that is not finished publishes nothing: its episode keeps the moments it has (None is returned)."""
    if run.status != Status.DONE:
        return None
    faces = (
        Detection.objects.published().filter(run=run)
        .order_by("track", "frame", "id").values_list(*FACE_FIELDS).iterator(chunk_size=5000)
    )
    moments = [Moment(episode_id=run.episode_id, run=run, **row) for row in moment_rows(faces)]
    Moment.objects.filter(episode_id=run.episode_id).delete()
    Moment.objects.bulk_create(moments, batch_size=2000)
    return len(moments)


def moments_rebuild(*, episode: Episode | None = None) -> tuple[int, int]:
    """Build again the moments of every processed episode (or of one): (episodes, moments) built. For episodes
    processed before moments existed, or to repair them; repeating it changes nothing."""
    episodes = Episode.objects.filter(current_run__status=Status.DONE).select_related("current_run").order_by("pk")
    if episode is not None:
        episodes = episodes.filter(pk=episode.pk)
    done = made = 0
    for each in episodes.iterator():
        made += run_moments_build(run=each.current_run) or 0
        done += 1
    return done, made
