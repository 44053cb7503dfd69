"""Studio portraits of the shipped cast, and which characters have one: the one place the site draws with the
studio at run time (a read, so selectors and serializers may ask it)."""
from functools import lru_cache

import cv2
import numpy as np

from toonvision.studio import CAST, render_face, sample_face_spec

# The characters the studio can draw a portrait of (the shipped cast's slugs).
STUDIO_PORTRAITS = frozenset(CAST)


def cast_species(*, slug: str) -> str:
    """What animal a shipped cast member is ("mouse" for Pip), for "Pip the mouse"; "" for anyone else."""
    member = CAST.get(slug)
    return member.species if member else ""


@lru_cache(maxsize=32)
def cast_portrait_png(*, slug: str, emotion: str = "happy", size: int = 128) -> bytes:
    """A studio portrait of a cast member (transparent PNG), the same every time: seeded by the member's slug."""
    if slug not in STUDIO_PORTRAITS:
        raise KeyError(slug)
    seed = [ord(letter) for letter in slug]
    spec = sample_face_spec(np.random.default_rng(seed), slug, emotion)
    return cv2.imencode(".png", render_face(spec, size))[1].tobytes()
