"""Reads of moments (one track's run of one emotion): the published ones, and pages of them for the frame search,
the character browser's emotion tabs (both by confidence, dealt out by episode) and the episode page (in time order).

A page is a keyset page of the filtered moments by (best confidence, id), descending: an index range scan with a
LIMIT (Moment's indexes lead with each filter and end with -best_confidence, -id), so it is as fast on a million
faces as on a hundred. Moments already keep one shot from flooding a page (a track holding an emotion is one
result, not one per frame); within a page, moments_interleave then deals the moments out round-robin by episode
(each episode's in confidence order, episodes in the order of their best moment), so the page's top rows show
several episodes. The next page starts after the page's least confident moment, whatever order it is shown in,
so pages still continue each other with no repeat and no gap.
"""
from __future__ import annotations

from django.db.models import QuerySet

from emotions.models import Character, Episode, Moment
from emotions.selectors.detections import FACES_PAGE_SIZE, keyset_page

EPISODE_MOMENTS_PAGE_SIZE = 24  # the episode page's moments a page: four rows of cards on a wide screen
CHARACTER_MOMENTS_PAGE_SIZE = 24  # a character's tab: large cards, so fewer than the frame search's 48 a page


def moment_list() -> QuerySet[Moment]:
    """The published moments, with their best face, its episode, character and run fetched alongside."""
    return Moment.objects.published().select_related(
        "best", "best__episode", "best__character", "best__run", "episode", "character"
    )


def moments_interleave(moments: list[Moment]) -> list[Moment]:
    """These moments (most confident first) dealt out round-robin by episode: first each episode's best, in the
    order those come, then each episode's second, and so on."""
    by_episode: dict[int, list[Moment]] = {}
    for moment in moments:
        by_episode.setdefault(moment.episode_id, []).append(moment)
    queues, dealt = list(by_episode.values()), []
    for rank in range(max((len(q) for q in queues), default=0)):
        dealt.extend(queue[rank] for queue in queues if rank < len(queue))
    return dealt


def moment_page(*, moments: QuerySet[Moment], after: tuple[float, int] | None = None, limit: int = FACES_PAGE_SIZE,
                framed: bool = False) -> tuple[list[Moment], tuple[float, int] | None]:
    """One page of these moments (already filtered, e.g. by MomentFilter), most confident first and interleaved by
    episode, after the (best confidence, id) key `after`, and the next page's key (None on the last). With
    `framed`, only moments whose best face has a stored frame (the frame search shows it)."""
    if framed:
        moments = moments.exclude(best__frame_image="")
    page, following = keyset_page(moments, key="best_confidence", descending=True, after=after, limit=limit)
    return moments_interleave(page), following


def character_moment_page(*, character: Character, emotion: str, after: tuple[float, int] | None = None,
                          limit: int = CHARACTER_MOMENTS_PAGE_SIZE) -> tuple[list[Moment], tuple[float, int] | None]:
    """A page of the character's moments of one emotion whose best face has a crop, most confident first and
    dealt out by episode (the character, emotion, -best_confidence index), and the next page's key."""
    moments = moment_list().filter(character=character, emotion=emotion).exclude(best__crop="")
    return moment_page(moments=moments, after=after, limit=limit)


def episode_moment_page(*, episode: Episode, after: tuple[float, int] | None = None,
                        limit: int = EPISODE_MOMENTS_PAGE_SIZE) -> tuple[list[Moment], tuple[float, int] | None]:
    """A page of the episode's moments in time order (start, then id; the episode, start, id index), after the
    (start, id) key `after`, and the next page's key (None on the last): the episode page's faces, one per
    character holding an emotion instead of one per analysed frame."""
    moments = moment_list().filter(episode=episode)
    return keyset_page(moments, key="start", descending=False, after=after, limit=limit)
