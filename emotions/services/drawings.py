"""A drawing searched with, kept for a while under a token: its reading, its appearance vector and a thumbnail.
Its result pages and its other choices (another emotion, by look only) then need no new upload and no second pass
of the CNN. It lives in the shared cache (every web process sees it), for its uploader only."""
from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache

from emotions.services.classifier import Classification, image_thumbnail_png
from emotions.services.similar import images_describe

DRAWING_KEPT_SECONDS = 60 * 60
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class KeptDrawing:
    """A drawing kept for its result pages: `token` names it in their addresses."""

    token: str
    classification: Classification
    vector: np.ndarray
    thumbnail_png: bytes

    @property
    def thumbnail_url(self) -> str:
        """The thumbnail as a data: URL (the Content-Security-Policy's img-src allows data:)."""
        return "data:image/png;base64," + base64.b64encode(self.thumbnail_png).decode("ascii")


def _key(token: str) -> str:
    return f"drawing:{token}"


def drawing_keep(*, user, image: np.ndarray) -> KeptDrawing:
    """Read a (decoded, BGR) drawing with the active CNN and keep it, for DRAWING_KEPT_SECONDS, for `user`."""
    (classification,), vectors = images_describe(images=[image])
    kept = KeptDrawing(token=secrets.token_urlsafe(18), classification=classification, vector=vectors[0],
                       thumbnail_png=image_thumbnail_png(image=image))
    cache.set(_key(kept.token), {
        "user": user.pk, "reading": classification.as_dict(), "thumbnail": kept.thumbnail_png,
        "vector": kept.vector.astype(np.float32).tobytes(),
    }, DRAWING_KEPT_SECONDS)
    return kept


def drawing_recall(*, token: str, user) -> KeptDrawing | None:
    """The drawing kept under `token` for `user`; None when there is none: unknown, past its time, or another's."""
    if not TOKEN.match(token or ""):
        return None
    kept = cache.get(_key(token))
    if not kept or kept.get("user") != user.pk:
        return None
    return KeptDrawing(token=token, classification=Classification(**kept["reading"]),
                       vector=np.frombuffer(kept["vector"], dtype=np.float32), thumbnail_png=kept["thumbnail"])
