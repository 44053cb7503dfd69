"""Who may do what, the one rule for the pages and the API: reading needs a login unless the site is public
(settings.PUBLIC_READ); changing an episode (deleting it, processing it again) is for its owner or staff.

Teaching characters: any logged-in user may create a character and add examples (faces or negatives) to any
character they may see, since more examples only help; training a character, switching its version, marking its
preview's hits and finding it in every episode (which reprocesses everyone's episodes) are for staff or the
character's creator, so one user never changes another's character. An example may be moved or deleted by
whoever added it, or by those who may teach its character. A shipped character has no creator: staff only.

Labelling faces (their emotion, "not a face", "not this character") is for any logged-in user who may read the
site: a label is kept with who gave it and what the model had said, and undone by its author or staff."""
from django.conf import settings


def can_read(user) -> bool:
    """Whether this user (anonymous included) may read the site's pages and the API's answers."""
    return settings.PUBLIC_READ or bool(user and user.is_authenticated)


def can_change_episode(user, episode) -> bool:
    """Whether this user may delete the episode or process it again: its owner, or staff."""
    return bool(user and user.is_authenticated and (user.is_staff or episode.owner_id == user.pk))


def can_add_examples(user, character) -> bool:
    """Whether this user may add examples to the character: any logged-in user who may read the site."""
    return bool(user and user.is_authenticated and can_read(user))


def can_teach(user, character) -> bool:
    """Whether this user may train the character, switch its version, mark its preview and find it everywhere:
    staff, or the character's creator."""
    return bool(user and user.is_authenticated and (
        user.is_staff or (character.creator_id is not None and character.creator_id == user.pk)
    ))


def can_change_example(user, example) -> bool:
    """Whether this user may move or delete the example: whoever added it, or those who may teach its character."""
    if not (user and user.is_authenticated):
        return False
    return example.created_by_id == user.pk or can_teach(user, example.character)


def can_label(user) -> bool:
    """Whether this user may label faces: any logged-in user who may read the site."""
    return bool(user and user.is_authenticated and can_read(user))


def can_undo_label(user, label) -> bool:
    """Whether this user may undo the label: whoever gave it, or staff."""
    return bool(user and user.is_authenticated and (user.is_staff or label.user_id == user.pk))
