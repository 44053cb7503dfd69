"""The synthetic cartoon studio: procedurally drawn cartoon faces with known emotions.

Plain numpy + OpenCV (no Django, no downloads). It draws the demo cast (Marmalade the cat, Pip the
mouse), guest stars no shipped model has seen (guests.py: bramble, juniper, clover) and random
extras of many species, each showing one of the seven EMOTIONS with several
designs per emotion, in many styles, poses, backgrounds and degradations, and in named drawing styles
(styles.STYLES: people, chibi, line-art, ...). Everything is deterministic for a given numpy Generator;
datasets derive one per image from (seed, character, emotion, index[, style]).

    rng = np.random.default_rng(0)
    spec = sample_face_spec(rng, "marmalade", "happy")
    bgra = render_face(with_emotion(spec, "sad", rng), 128)    # the head on transparency
    bgr = draw_face_image(rng, "extras", "fear")               # a 64x64 training crop
    chibi = sample_face_spec(rng, "pip", "sad", style="chibi")  # another hand (styles.py: people, line-art, ...)
    write_face_dataset("data/faces", per_class=300, seed=1)    # data/faces/<character>/<emotion>/*.png
"""

from .cast import CAST, CHARACTERS, EXTRAS, GUESTS, STARS, CastMember
from .dataset import draw_face_image, write_face_dataset
from .faces import FaceSpec, render_face, sample_face_spec, with_emotion

__all__ = [
    "CAST",
    "CHARACTERS",
    "EXTRAS",
    "GUESTS",
    "STARS",
    "CastMember",
    "FaceSpec",
    "draw_face_image",
    "render_face",
    "sample_face_spec",
    "with_emotion",
    "write_face_dataset",
]
