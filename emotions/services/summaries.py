"""The per-episode emotion summaries, written when a run finishes and again when a person labels one of its faces:
the figures rankings, the character pages and the home page read (the recommender only reads them)."""
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F, Sum

from emotions.models import Detection, Episode, EpisodeEmotion, ProcessingRun


@transaction.atomic
def episode_emotions_build(*, episode: Episode, run: ProcessingRun) -> list[EpisodeEmotion]:
    """Replace the episode's summaries with those of the run's detections: per character and emotion, screen
    seconds, confidence-weighted seconds, their share of the character's screen time, and how many detections.

    Labels win: a face a person rejected (not a face, not this character) is left out, and a labelled face counts
    with the emotion and confidence its label wrote onto it (1.0: all its seconds). emotions.services.labels calls
    this again whenever a label changes."""
    rows = list(
        Detection.objects.filter(run=run, rejected=False)
        .values("character_id", "emotion")
        .annotate(seconds=Sum("duration"), weighted=Sum(F("duration") * F("confidence")), n=Count("id"))
        .order_by("character_id", "emotion")
    )
    screen = defaultdict(float)
    for row in rows:
        screen[row["character_id"]] += row["seconds"]
    summaries = [
        EpisodeEmotion(
            episode=episode, run=run, character_id=row["character_id"], emotion=row["emotion"],
            seconds=row["seconds"], weighted_seconds=min(row["weighted"], row["seconds"]),
            share=min(1.0, row["seconds"] / screen[row["character_id"]]) if screen[row["character_id"]] else 0.0,
            detections=row["n"],
        )
        for row in rows
    ]
    EpisodeEmotion.objects.filter(episode=episode).delete()
    return EpisodeEmotion.objects.bulk_create(summaries)
