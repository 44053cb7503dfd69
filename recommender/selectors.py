"""Selectors of the recommender: episodes ranked by a character's emotion, the leaderboard, a viewer's likes
(episodes alike in mood, "More like this" and "For you", are in recommender.alike).

Every ranking reads the per-episode summaries (EpisodeEmotion), so it costs the same whatever the number of faces;
only each ranked row's best face (its thumbnail and "jump to the moment") is looked up among the detections, one
index probe per row.

The score is a smoothed, confidence-weighted share of screen time:

    score = (weighted_seconds + k / E) / (screen_seconds + k)

- weighted_seconds: the seconds the character shows the emotion, each weighted by the CNN's confidence;
- screen_seconds: all the character's seconds on screen (in that episode, or, for the leaderboard, anywhere);
- k: RECOMMENDER_PRIOR_SECONDS (30 s by default) of prior screen time, spread evenly over the E = 7 emotions.

This is additive (Laplace) smoothing in seconds: with little screen time the score stays near the even share
1/E, and only a long stretch of the emotion can carry it far above. One happy frame (0.04 s, confidence 1)
scores (0.04 + 30/7) / 30.04 = 0.144; a 60 s scene, happy at 0.8 confidence for 45 s, scores
(36 + 4.29) / 90 = 0.448. An episode that beats a one-frame appearance is one whose weighted share is above
1/E, which is what "happier than the baseline" means.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from emotions.models import Character, Detection, Episode, EpisodeEmotion
from recommender.models import Like
from toonvision.emotions import EMOTIONS

PRIOR_SHARE = 1.0 / len(EMOTIONS)


def prior_seconds() -> float:
    return float(settings.RECOMMENDER_PRIOR_SECONDS)


def smoothed_share(*, weighted_seconds: float, screen_seconds: float, k: float | None = None) -> float:
    """The ranking score: (weighted_seconds + k / E) / (screen_seconds + k); see the module docstring."""
    k = prior_seconds() if k is None else k
    return (weighted_seconds + k * PRIOR_SHARE) / (screen_seconds + k)


def _score(weighted: str, screen: str, k: float) -> ExpressionWrapper:
    return ExpressionWrapper(
        (F(weighted) + Value(k * PRIOR_SHARE)) / (F(screen) + Value(k)), output_field=FloatField()
    )


@dataclass(frozen=True)
class EpisodeScore:
    """An episode's place in a ranking and the figures behind it."""

    episode: Episode
    score: float
    emotion_seconds: float
    weighted_seconds: float
    character_seconds: float
    share: float
    detections: int
    best_face: int | None = None  # the character's most confident face in the emotion there: the thumbnail
    best_time: float | None = None  # and where it is, for "jump to the moment"


def episode_ranking(*, character: Character, emotion: str, limit: int = 20) -> list[EpisodeScore]:
    """Episodes in which the character appears, best first by the smoothed share of `emotion` (module docstring)."""
    k = prior_seconds()
    in_emotion = Q(emotion=emotion)
    rows = list(
        EpisodeEmotion.objects.filter(character=character)
        .values("episode_id")
        .annotate(
            screen=Sum("seconds"),
            seconds_in=Coalesce(Sum("seconds", filter=in_emotion), Value(0.0)),
            weighted=Coalesce(Sum("weighted_seconds", filter=in_emotion), Value(0.0)),
            n=Coalesce(Sum("detections", filter=in_emotion), Value(0)),
        )
        .annotate(score=_score("weighted", "screen", k))
        .order_by("-score", "-screen", "episode_id")[:limit]
    )
    best = _best_faces(character=character, emotion=emotion, within="episode")
    episodes = (Episode.objects.select_related("owner")
                .annotate(best_face=Subquery(best.values("pk")[:1]), best_time=Subquery(best.values("time")[:1]))
                .in_bulk([row["episode_id"] for row in rows]))
    return [
        EpisodeScore(
            episode=episodes[row["episode_id"]], score=row["score"], emotion_seconds=row["seconds_in"],
            weighted_seconds=row["weighted"], character_seconds=row["screen"],
            share=row["seconds_in"] / row["screen"] if row["screen"] else 0.0, detections=row["n"],
            best_face=episodes[row["episode_id"]].best_face, best_time=episodes[row["episode_id"]].best_time,
        )
        for row in rows
        if row["episode_id"] in episodes
    ]


@dataclass(frozen=True)
class CharacterScore:
    """A character's place on an emotion's leaderboard and the figures behind it."""

    character: Character
    score: float
    emotion_seconds: float
    weighted_seconds: float
    screen_seconds: float
    share: float
    episodes: int
    best_face: int | None = None  # the character's most confident face in the emotion: its portrait here
    best_episode: int | None = None
    best_time: float | None = None


def _best_faces(*, emotion: str, within: str, character: Character | None = None):
    """Published faces in `emotion`, most confident first, of the outer row's episode or character (a Subquery's
    inner query; the (episode, character, emotion, confidence) and (character, emotion, confidence) indexes
    answer it with one probe per row). `emotion` and `character` may be OuterRefs to the row's own."""
    faces = Detection.objects.published().filter(emotion=emotion, **{within: OuterRef("pk")})
    if character is not None:
        faces = faces.filter(character=character)
    return faces.order_by("-confidence", "time", "id")


def character_leaderboard(*, emotion: str, limit: int = 20) -> list[CharacterScore]:
    """Characters by the smoothed share of `emotion` over all their screen time (the same smoothing as episodes)."""
    k = prior_seconds()
    in_emotion = Q(emotion=emotion)
    rows = list(
        EpisodeEmotion.objects.values("character_id")
        .annotate(
            screen=Sum("seconds"),
            seconds_in=Coalesce(Sum("seconds", filter=in_emotion), Value(0.0)),
            weighted=Coalesce(Sum("weighted_seconds", filter=in_emotion), Value(0.0)),
            episodes=Count("episode_id", distinct=True),
        )
        .annotate(score=_score("weighted", "screen", k))
        .order_by("-score", "-screen", "character_id")[:limit]
    )
    best = _best_faces(emotion=emotion, within="character")
    characters = (Character.objects.annotate(best_face=Subquery(best.values("pk")[:1]),
                                             best_episode=Subquery(best.values("episode_id")[:1]),
                                             best_time=Subquery(best.values("time")[:1]))
                  .in_bulk([row["character_id"] for row in rows]))
    return [
        CharacterScore(
            character=characters[row["character_id"]], score=row["score"], emotion_seconds=row["seconds_in"],
            weighted_seconds=row["weighted"], screen_seconds=row["screen"],
            share=row["seconds_in"] / row["screen"] if row["screen"] else 0.0, episodes=row["episodes"],
            best_face=characters[row["character_id"]].best_face,
            best_episode=characters[row["character_id"]].best_episode,
            best_time=characters[row["character_id"]].best_time,
        )
        for row in rows
        if row["character_id"] in characters
    ]


def like_exists(*, user, episode: Episode | None = None, character: Character | None = None) -> bool:
    """Whether the user likes the episode (or the character); never for an anonymous visitor."""
    if not user.is_authenticated:
        return False
    target = {"episode": episode} if episode is not None else {"character": character}
    return Like.objects.filter(user=user, **target).exists()


def like_list(*, user):
    """The user's likes, latest first, with their episode or character."""
    return Like.objects.filter(user=user).select_related("episode", "character")
