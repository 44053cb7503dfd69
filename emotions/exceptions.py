"""The refusals the emotions app's services raise and its views turn into 4xx (toonsite.api_errors, the pages).

They live apart from the services that raise them, so a view or the API's exception handler can name them
without importing the pipeline."""
from __future__ import annotations

from django.core.exceptions import ValidationError


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

