"""Who may do what, the one rule for the pages and the API: reading needs a login unless the site is public
(settings.PUBLIC_READ); changing an episode (deleting it, processing it again) is for its owner or staff."""
from django.conf import settings


def can_read(user) -> bool:
    """Whether this user (anonymous included) may read the site's pages and the API's answers."""
    return settings.PUBLIC_READ or bool(user and user.is_authenticated)


def can_change_episode(user, episode) -> bool:
    """Whether this user may delete the episode or process it again: its owner, or staff."""
    return bool(user and user.is_authenticated and (user.is_staff or episode.owner_id == user.pk))
