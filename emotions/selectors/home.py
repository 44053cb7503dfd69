"""The home page's reads: episodes being processed, recent finished ones with their moods, the cast."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When

from emotions.models import Character, Episode, Status
from emotions.portraits import STUDIO_PORTRAITS
from emotions.selectors.characters import character_face_ids, character_has_portrait
from emotions.selectors.episodes import episode_main_emotions

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
    best_face = Subquery(character_face_ids(character=OuterRef("pk"))[:1])
    face_id = Case(When(shipped=True, slug__in=sorted(STUDIO_PORTRAITS), then=Value(None)), default=best_face,
                   output_field=IntegerField())
    characters = Character.objects.order_by("name", "slug").annotate(face_id=face_id)[:limit]
    return [CastMember(c, character_has_portrait(character=c), c.face_id) for c in characters]


def home_overview() -> HomeOverview:
    """Everything the home page shows, in a bounded number of queries."""
    processing, recent = home_processing_episodes(), home_recent_episodes()
    first_run = not processing and not recent and not Episode.objects.exists()
    return HomeOverview(processing=processing, recent=recent, cast=home_cast(), first_run=first_run)
