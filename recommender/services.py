"""The recommender's one write: a viewer likes or unlikes an episode or a character (For you ranks by them)."""
from __future__ import annotations

from django.db import transaction

from emotions.models import Character, Episode
from recommender.models import Like


def _target(episode: Episode | None, character: Character | None) -> dict:
    if (episode is None) == (character is None):
        raise ValueError("like exactly one thing: an episode or a character")
    return {"episode": episode} if episode is not None else {"character": character}


def like_set(*, user, episode: Episode | None = None, character: Character | None = None, liked: bool) -> bool:
    """Make the user like (or no longer like) the episode or the character; saying it twice changes nothing.
    Returns whether it is liked now."""
    target = _target(episode, character)
    if liked:
        Like.objects.get_or_create(user=user, **target)
    else:
        Like.objects.filter(user=user, **target).delete()
    return liked


def like_toggle(*, user, episode: Episode | None = None, character: Character | None = None) -> bool:
    """Like it if the user did not, unlike it if they did; returns whether it is liked now."""
    target = _target(episode, character)
    with transaction.atomic():
        removed, _ = Like.objects.filter(user=user, **target).delete()
        if removed:
            return False
        Like.objects.get_or_create(user=user, **target)
        return True
