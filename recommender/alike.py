"""Episodes alike in mood: "More like this" on an episode's page and a viewer's "For you", each result with its
reason in plain words.

An episode's emotion profile is, for every character in it, the share of the character's screen time in each
emotion (EpisodeEmotion.share): a vector over (character, emotion) pairs, a character absent from an episode being
zeros there. Two profiles are as alike as their cosine similarity. "More like this" ranks by the cosine with the
page's episode. For you ranks by the cosine with the viewer's taste: the sum of the liked profiles, each divided
by its norm, a liked character standing for its usual mood (its shares over every episode, one block of the
vector); each result's reason comes from the like closest to it.

It stays fast with many episodes: one query scores every candidate (an episode sharing a character with the
target) over the summaries, its dot product with the target and its norm, and answers only the top results; only
their profiles are read back, to name the reason: the like closest to each (For you) and the (character,
emotion) pair whose shares contribute most to that similarity.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, CharField, IntegerField, OuterRef, Subquery, Sum, Value, When

from emotions.models import Character, Episode, EpisodeEmotion
from recommender.models import Like
from recommender.selectors import _best_faces

Profile = dict[tuple[int, str], float]
LIKES_USED = 50  # For you ranks by the viewer's 50 latest likes
# "Pip is happy": the emotions as the reasons word them.
ADJECTIVES = {"angry": "angry", "disgust": "disgusted", "fear": "afraid", "happy": "happy", "neutral": "neutral",
              "sad": "sad", "surprise": "surprised"}


def episode_profiles(*, episode_ids=None) -> dict[int, Profile]:
    """Each episode's emotion profile: {(character id, emotion): share of the character's screen time}."""
    rows = EpisodeEmotion.objects.all()
    if episode_ids is not None:
        rows = rows.filter(episode_id__in=episode_ids)
    profiles: dict[int, Profile] = defaultdict(dict)
    for episode_id, character_id, emotion, share in rows.values_list("episode_id", "character_id", "emotion", "share"):
        profiles[episode_id][(character_id, emotion)] = share
    return profiles


def character_profiles(*, character_ids) -> dict[int, Profile]:
    """Each character's usual mood: {(character id, emotion): share of its screen time over every episode}."""
    seconds: dict[int, Profile] = defaultdict(dict)
    for character_id, emotion, total in (EpisodeEmotion.objects.filter(character_id__in=character_ids)
                                         .values_list("character_id", "emotion").annotate(total=Sum("seconds"))
                                         .order_by()):
        seconds[character_id][(character_id, emotion)] = total
    return {c: {key: s / sum(block.values()) for key, s in block.items()}
            for c, block in seconds.items() if sum(block.values()) > 0}


def _norm(profile: Profile) -> float:
    return math.sqrt(sum(value * value for value in profile.values()))


@dataclass(frozen=True)
class Source:
    """What results are compared with: an episode's profile (the page's, or a liked one), or a liked character's
    usual mood."""

    profile: Profile
    episode: Episode | None = None
    character: Character | None = None


@dataclass(frozen=True)
class Reason:
    """Why a result is alike: the character and emotion whose shares contribute most to the similarity."""

    source: Source
    character: Character
    emotion: str
    share: float  # of the character's screen time in the result, in that emotion
    source_share: float  # the same in the source (for a liked character: over all its episodes)
    seconds: float  # the character's screen seconds in the result

    @property
    def lead(self) -> str:
        """What it is alike to: "Like Sunny" (a liked episode) or "You like Pip" (a liked character)."""
        if self.source.episode is not None:
            return f"Like {self.source.episode.title}"
        return f"You like {self.source.character.name}"

    def mood(self, *, here: bool = False) -> str:
        """The character-emotion that makes it alike, with both shares; `here` when shown on the source's page."""
        mood = f"{ADJECTIVES[self.emotion]} {self.share:.0%} of the time"
        if self.source.episode is None:
            return f"on screen {self.seconds:.0f} s, {mood} ({self.source_share:.0%} over all episodes)"
        return f"{self.character.name} is {mood} ({self.source_share:.0%} {'here' if here else 'there'})"

    def text(self, *, here: bool = False) -> str:
        """The reason in plain words: "Like Sunny: Pip is happy 62% of the time (58% there)"."""
        return self.mood(here=True) if here else f"{self.lead}: {self.mood()}"

    @property
    def words(self) -> str:
        return self.text()


@dataclass(frozen=True)
class AlikeEpisode:
    """A result: the episode, how alike (the cosine, 0-1), why, and its thumbnail: the best face of the reason's
    character in the reason's emotion there (None when no published face has it)."""

    episode: Episode
    similarity: float
    reason: Reason
    shared_characters: list[str] = field(default_factory=list)  # slugs of the characters it shares with the source
    best_face: int | None = None
    best_time: float | None = None


COSINES = """
WITH target (character_id, emotion, weight) AS (VALUES {values}),
dots AS (
    SELECT ee.episode_id, SUM(ee.share * target.weight) AS dot
    FROM {summaries} ee JOIN target ON ee.character_id = target.character_id AND ee.emotion = target.emotion
    WHERE {exclude}
    GROUP BY ee.episode_id),
norms AS (
    SELECT episode_id, SQRT(SUM(share * share)) AS norm FROM {summaries}
    WHERE episode_id IN (SELECT episode_id FROM dots) GROUP BY episode_id)
SELECT dots.episode_id, dots.dot / norms.norm AS cosine FROM dots JOIN norms ON norms.episode_id = dots.episode_id
WHERE dots.dot > 0 AND norms.norm > 0 ORDER BY cosine DESC, dots.episode_id LIMIT %s
"""
VALUE = "(CAST(%s AS INTEGER), CAST(%s AS VARCHAR(16)), CAST(%s AS DOUBLE PRECISION))"


def _cosine(a: Profile, b: Profile) -> float:
    norms = _norm(a) * _norm(b)
    return sum(value * b.get(key, 0.0) for key, value in a.items()) / norms if norms else 0.0


def taste(sources: list[Source]) -> Profile:
    """What the sources have in common: the sum of their profiles, each first divided by its norm (so that
    each counts alike); the direction For you ranks by."""
    total: Profile = defaultdict(float)
    for source in sources:
        norm = _norm(source.profile)
        for key, value in source.profile.items():
            total[key] += value / norm
    return dict(total)


def _cosines(*, target: Profile, exclude: tuple[str, list], limit: int) -> list[tuple[int, float]]:
    """(episode id, cosine with `target`) of the `limit` episodes most alike, most alike first; `exclude` a
    condition on the summaries' rows `ee` (SQL, params) for the episodes left out.

    One query: the target goes in as a VALUES table divided by its norm; a join on (character, emotion) sums each
    candidate's dot product with it (only episodes sharing a character have one), and the candidates' norms come
    from their own rows."""
    norm = _norm(target)
    if not norm:
        return []
    values, params = [], []
    for (character_id, emotion), value in target.items():
        values.append(VALUE)
        params += [character_id, emotion, value / norm]
    condition, condition_params = exclude
    sql = COSINES.format(values=", ".join(values), summaries=EpisodeEmotion._meta.db_table, exclude=condition)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *condition_params, limit])
        return [(episode_id, min(float(cosine), 1.0)) for episode_id, cosine in cursor.fetchall()]


def _reason(source: Source, profile: Profile, seconds: dict[int, float], characters) -> Reason:
    contributions = {key: value * source.profile[key] for key, value in profile.items() if key in source.profile}
    (character_id, emotion) = max(contributions, key=lambda key: (contributions[key], -key[0], key[1]))
    return Reason(source=source, character=characters[character_id], emotion=emotion,
                  share=profile[(character_id, emotion)], source_share=source.profile[(character_id, emotion)],
                  seconds=seconds.get(character_id, 0.0))


def _explained(scored: list[tuple[int, float]], sources: list[Source]) -> list[AlikeEpisode]:
    """The scored episodes with their reasons (from the source closest to each) and thumbnails: two queries
    whatever their number."""
    if not scored:
        return []
    ids = [episode_id for episode_id, _ in scored]
    profiles: dict[int, Profile] = defaultdict(dict)
    seconds: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    characters: dict[int, Character] = {}
    for row in EpisodeEmotion.objects.filter(episode_id__in=ids).select_related("character"):
        profiles[row.episode_id][(row.character_id, row.emotion)] = row.share
        seconds[row.episode_id][row.character_id] += row.seconds
        characters.setdefault(row.character_id, row.character)
    closest = {episode_id: max(sources, key=lambda source: _cosine(source.profile, profiles[episode_id]))
               for episode_id in ids}
    reasons = {episode_id: _reason(closest[episode_id], profiles[episode_id], seconds[episode_id], characters)
               for episode_id in ids}
    episodes = _with_best_faces({pk: (r.character.pk, r.emotion) for pk, r in reasons.items()})
    return [
        AlikeEpisode(
            episode=episodes[episode_id], similarity=cosine, reason=reasons[episode_id],
            shared_characters=sorted({characters[c].slug for c, _ in profiles[episode_id]}
                                     & {characters[c].slug for c, _ in closest[episode_id].profile
                                        if c in characters}),
            best_face=episodes[episode_id].best_face, best_time=episodes[episode_id].best_time,
        )
        for episode_id, cosine in scored
        if episode_id in episodes
    ]


def _with_best_faces(picks: dict[int, tuple[int, str]]) -> dict[int, Episode]:
    """The episodes by id, each annotated with the best face of its (character, emotion): one query."""
    character = Case(*[When(pk=pk, then=Value(c)) for pk, (c, _) in picks.items()], output_field=IntegerField())
    emotion = Case(*[When(pk=pk, then=Value(e)) for pk, (_, e) in picks.items()], output_field=CharField())
    best = _best_faces(emotion=OuterRef("reason_emotion"), character=OuterRef("reason_character"), within="episode")
    return (Episode.objects.select_related("owner").annotate(reason_character=character, reason_emotion=emotion)
            .annotate(best_face=Subquery(best.values("pk")[:1]), best_time=Subquery(best.values("time")[:1]))
            .in_bulk(list(picks)))


def episode_similar(*, episode: Episode, limit: int = 10) -> list[AlikeEpisode]:
    """"More like this": the episodes whose emotion profiles are most alike the episode's, with their reasons."""
    profile = episode_profiles(episode_ids=[episode.pk]).get(episode.pk)
    if not profile:
        return []
    scored = _cosines(target=profile, exclude=("ee.episode_id <> %s", [episode.pk]), limit=limit)
    return _explained(scored, [Source(profile=profile, episode=episode)])


def liked_sources(*, user) -> list[Source]:
    """The viewer's latest likes (LIKES_USED of them) as profiles to compare with; likes of episodes or
    characters with no processed screen time yet are left out."""
    likes = list(Like.objects.filter(user=user).select_related("episode", "character")[:LIKES_USED])
    episodes = episode_profiles(episode_ids=[like.episode_id for like in likes if like.episode_id])
    characters = character_profiles(character_ids=[like.character_id for like in likes if like.character_id])
    sources = []
    for like in likes:
        if like.episode_id and episodes.get(like.episode_id):
            sources.append(Source(profile=episodes[like.episode_id], episode=like.episode))
        elif like.character_id and characters.get(like.character_id):
            sources.append(Source(profile=characters[like.character_id], character=like.character))
    return sources


def for_you(*, user, limit: int = 20) -> list[AlikeEpisode]:
    """Episodes ranked by how alike their profiles are to what the user liked (the cosine with the taste of the
    LIKES_USED latest likes), each with its reason, from the like closest to it; episodes the user liked are left
    out."""
    sources = liked_sources(user=user)
    liked = (f"NOT EXISTS (SELECT 1 FROM {Like._meta.db_table} l WHERE l.user_id = %s "
             "AND l.episode_id = ee.episode_id)", [user.pk])
    return _explained(_cosines(target=taste(sources), exclude=liked, limit=limit), sources)
