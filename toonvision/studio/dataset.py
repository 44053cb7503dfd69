"""Training samples: faces cropped the way a face detector would, and datasets of them on disk."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..emotions import EMOTIONS
from .cast import CHARACTERS
from .faces import paint_face, sample_face_spec, supersampling
from .looks import apply_look
from .painter import Painter
from .scenery import background, degrade, draw_body, draw_occluder
from .styles import DEFAULT_STYLE, STYLES, check_style


def draw_face_image(
    rng: np.random.Generator,
    character: str,
    emotion: str,
    size: int = 64,
    look: str = "studio",
    style: str = DEFAULT_STYLE,
) -> np.ndarray:
    """One training sample: a random face of character showing emotion, drawn in ``style`` (styles.STYLES),
    cropped around the head with jitter, on a background, with props and degradations, redrawn in ``look``
    (looks.LOOKS). uint8 BGR, size x size."""
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    spec = sample_face_spec(rng, character, emotion, style=style)
    big = size * supersampling(size)
    canvas = background(rng, big)
    head = spec.identity.head
    # A detector's box hugs the head (ears often cut off); its size and centre wobble.
    half = max(head.rx, head.ry) * rng.uniform(1.0, 1.3)
    scale = big / (2.0 * half)
    centre = big / 2.0 + rng.uniform(-0.08, 0.08, 2) * big
    stage = Painter(canvas, centre, scale, spec.rotation, 0.0, head.rx)
    if rng.random() < 0.5:
        draw_body(stage, rng, spec.identity.palette.fur, head.ry)
    paint_face(canvas, spec, centre, scale)
    if rng.random() < 0.2:
        draw_occluder(stage, rng, head.rx, head.ry)
    img = cv2.resize(apply_look(canvas, look), (size, size), interpolation=cv2.INTER_AREA)
    return degrade(rng, img)


def sample_rng(seed: int, character: str, emotion: str, index: int, style: str = DEFAULT_STYLE) -> np.random.Generator:
    """The generator for one dataset image: depends only on these (never on drawing order); the default style
    keeps the four-number key it had before styles existed, so its faces stay the same."""
    key = [seed, CHARACTERS.index(character), EMOTIONS.index(emotion), index]
    if style != DEFAULT_STYLE:
        key.append(list(STYLES).index(check_style(style)))
    return np.random.default_rng(key)


def image_name(character: str, emotion: str, seed: int, index: int, style: str = DEFAULT_STYLE) -> str:
    """A dataset file name; other styles name theirs, so several styles can share one dataset folder."""
    tag = "" if style == DEFAULT_STYLE else f"{style}-"
    return f"{character}-{emotion}-{tag}{seed}-{index:05d}.png"


def _validated(per_class, size, characters, emotions):
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    characters = list(CHARACTERS if characters is None else characters)
    emotions = list(EMOTIONS if emotions is None else emotions)
    unknown = [c for c in characters if c not in CHARACTERS]
    if unknown or not characters:
        raise ValueError(f"unknown or no characters {unknown}; expected some of {', '.join(CHARACTERS)}")
    unknown = [e for e in emotions if e not in EMOTIONS]
    if unknown or not emotions:
        raise ValueError(f"unknown or no emotions {unknown}; expected some of {', '.join(EMOTIONS)}")
    return characters, emotions


def write_face_dataset(
    out,
    per_class: int,
    seed: int,
    size: int = 64,
    characters=None,
    emotions=None,
    progress: bool = False,
    look: str = "studio",
    styles=(DEFAULT_STYLE,),
) -> dict:
    """Write out/<character>/<emotion>/<image_name>, per_class images for every (character, emotion, style),
    drawn in each of ``styles`` (styles.STYLES) and redrawn in ``look``; returns a summary dict."""
    characters, emotions = _validated(per_class, size, characters, emotions)
    styles = [check_style(style) for style in dict.fromkeys(styles)]
    if not styles:
        raise ValueError(f"no styles; expected some of {', '.join(STYLES)}")
    out = Path(out)
    jobs = [(c, e, s, i) for c in characters for e in emotions for s in styles for i in range(per_class)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="drawing faces", unit="face")
    for character in characters:
        for emotion in emotions:
            folder = out / character / emotion
            folder.mkdir(parents=True, exist_ok=True)
            for style, i in ((s, i) for s in styles for i in range(per_class)):
                rng = sample_rng(seed, character, emotion, i, style)
                img = draw_face_image(rng, character, emotion, size, look, style)
                path = folder / image_name(character, emotion, seed, i, style)
                if not cv2.imwrite(str(path), img):
                    raise OSError(f"could not write {path}")
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    return {
        "out": str(out),
        "seed": int(seed),
        "size": int(size),
        "per_class": int(per_class),
        "count": len(jobs),
        "characters": characters,
        "emotions": emotions,
        "look": look,
        "styles": styles,
    }
