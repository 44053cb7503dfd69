"""Reads of characters: the list, one character's emotions across episodes, the characters page's tiles, how
each is pictured (a studio portrait, or its best face); its moments in one emotion: selectors.moments."""
from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from emotions.models import Character, Detection, EpisodeEmotion
from emotions.portraits import STUDIO_PORTRAITS
from toonvision.emotions import EMOTIONS


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


def character_tiles() -> list[dict]:
    """Every character with what its tile shows, in three queries whatever the catalogue's size: screen seconds,
    episodes and dominant emotion from the summaries, and `face`, its most confident published face crop (the
    picture for a character without a cast portrait; `portrait` says whether it has one)."""
    characters = list(character_list().annotate(face=Subquery(character_face_ids(character=OuterRef("pk"))[:1])))
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
    return character.shipped and character.slug in STUDIO_PORTRAITS


def character_best_face(*, character: Character) -> int | None:
    """The id of the character's most confident published face with a crop (its picture without a portrait)."""
    return character_face_ids(character=character).first()


def character_face_ids(*, character) -> QuerySet:
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
