"""The refusals the emotions app's services raise and its views turn into 4xx and 5xx answers (toonsite.api, the pages).

They live apart from the services that raise them, so a view or the API's exception handler can name them
without importing the pipeline."""
from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError


class EpisodeRejected(ValidationError):
    """An upload refused before anything was kept; `code` says why (empty, too_large, not_a_video, duplicate)."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


class DuplicateEpisode(EpisodeRejected):
    """The same bytes were uploaded before; `episode` is the one that has them."""

    def __init__(self, episode):
        super().__init__(
            f"this video was already uploaded as episode {episode.pk} ({episode.title!r})", code="duplicate"
        )
        self.episode = episode


class ProcessingRefused(ValidationError):
    """An episode that cannot be (re)processed now: one is under way, or there is no character to look for."""

    def __str__(self) -> str:
        return "; ".join(self.messages)

class TeachingRefused(ValidationError):
    """A request about teaching a character that cannot be done: bad input (a box outside the frame, an image that
    is not one, too few examples to train) is a 400; a conflict with what is under way (code in CONFLICTS) a 409."""

    CONFLICTS = frozenset({"busy", "duplicate", "not_done", "not_running"})

    def __str__(self) -> str:
        return "; ".join(self.messages)

    @property
    def conflict(self) -> bool:
        return self.code in self.CONFLICTS


class DatasetRefused(ValidationError):
    """A dataset that cannot be imported (not a ZIP, unsafe names, too large unpacked, an unknown emotion folder,
    no images, an unreadable image) or exported: a 400 or a command's message, with nothing kept."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


class TeachingNotAllowed(PermissionDenied):
    """This user may not change this character (emotions.access.can_teach): a 403 with the reason."""

    code = "not_allowed"


class ModelRefused(TeachingRefused):
    """A request about the emotion models that cannot be done: bad options or no faces to learn from (400), or a
    conflict with what is under way (409: another training runs, this one is not running, not trained). It is a
    teaching refusal, so the API and the pages answer it the same way."""


class ModelNotAllowed(TeachingNotAllowed):
    """This user may not do this to the emotion models (train: logged in; activate: staff): a 403 with the reason."""


class LabelRefused(ValidationError):
    """A label that cannot be given: an unknown verdict or emotion, a face that is not shown, nothing to undo (a 400;
    `nothing_to_undo` a 409)."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


class LabelNotAllowed(TeachingNotAllowed):
    """This user may not label faces (not logged in), or may not undo someone else's label: a 403 with the reason."""


class ResumableUploadMissing(Exception):
    """No resumable upload of this user by that id: never made, someone else's, finished, given up or expired."""

    code = "not_found"

    def __init__(self):
        super().__init__("no such upload: it was finished, given up or expired (after "
                         "RESUMABLE_UPLOAD_EXPIRY_SECONDS), or it is not yours; start the upload again")


class ResumableUploadConflict(Exception):
    """An append that does not start where the upload stands, or that races another append of it."""

    code = "offset_mismatch"


class ModelUnavailable(Exception):
    """The site's emotion model (EMOTION_WEIGHTS) cannot be read, so no run can start: a server fault, a 503."""

    code = "model_unavailable"

    def __init__(self, reason: str):
        super().__init__(f"the site's emotion model cannot be read now ({reason}), so no processing can start and "
                         "nothing of this request was kept: try again once an operator has restored it")


class StorageFull(Exception):
    """The disk (media or the upload spool) has no room for an upload: nothing of it was kept; a 507."""

    code = "storage_full"

    def __init__(self, what: str = "the upload"):
        super().__init__(f"the server has no room to store {what} now; nothing of it was kept: try again later")


def is_storage_full(error: BaseException) -> bool:
    """True for the OS's "no space left" and "quota exceeded"."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def storage_full_of(error: BaseException) -> StorageFull | None:
    """The StorageFull an error is or stands for (a full disk met while Django read the request), else None."""
    if isinstance(error, StorageFull):
        return error
    return StorageFull() if is_storage_full(error) else None


@contextmanager
def storage_full_refused(what: str = "the upload") -> Iterator[None]:
    """Turn a full disk met inside into StorageFull (what was written must be cleaned up inside)."""
    try:
        yield
    except OSError as error:
        if is_storage_full(error):
            raise StorageFull(what) from error
        raise
