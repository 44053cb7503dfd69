"""Drawing styles: the same cast and extras drawn by other hands, so a model can learn more than one way of drawing.

The shipped emotion weights learnt the studio's own way of drawing (``studio``: filled colours, soft shading, ink
outlines, the proportions in cast.py). A style changes how a character is drawn, never what its face says: it
takes a sampled identity and redraws its proportions, head, eyes, inking and colours, then the emotion's designs
(expressions.py) are drawn on it as usual, so every style can show all seven emotions.

| style | looks like |
| --- | --- |
| studio | the studio as it always drew (the default: nothing changes, no extra random draws) |
| people | human heads instead of animals: skin tones from pale to deep brown, natural hair colours |
| chibi | big-head proportions: huge low-set eyes, a tiny mouth, a wide round head |
| long-face | tall narrow heads, small high-set eyes, a long way down to the mouth |
| heavy-ink | thick black outlines and lines, squarer heads, 1930s "pie" eyes among others |
| flat-icon | emoji-like: round flat heads without outlines or shading, bean and ring eyes |
| line-art | an ink drawing: white paper fills, dark lines, grey irises |

A style is deterministic for a given generator: ``styled_identity`` draws the identity exactly as ``studio``
does, then the style's own draws, so one seed gives one face per style. ``studio`` makes no extra draw, which
keeps every face the studio drew before styles existed (and so the shipped weights' training set) unchanged.
Unlike a look (looks.py: a finished picture redrawn), a style draws natively, at any size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .cast import EXTRAS, Identity, _choose_line_colours, sample_identity
from .palette import INK, hsv, mix, shade

DEFAULT_STYLE = "studio"

# Skin tones (hue degrees, s, v) from pale to deep brown; the darkest stays light enough (luma > 90) for dark
# lines to read on it, and never gets the light face mask dark animals get.
_SKIN_TONES = [
    ((20, 30), (0.14, 0.3), (0.93, 1.0)),
    ((18, 28), (0.3, 0.45), (0.8, 0.92)),
    ((18, 26), (0.42, 0.55), (0.62, 0.78)),
    ((16, 24), (0.5, 0.62), (0.48, 0.6)),
]
_HAIR = [
    ((0, 360), (0.0, 0.2), (0.08, 0.18)),
    ((20, 32), (0.5, 0.8), (0.2, 0.45)),
    ((38, 48), (0.45, 0.7), (0.8, 0.95)),
    ((12, 20), (0.7, 0.9), (0.6, 0.8)),
    ((0, 360), (0.0, 0.05), (0.6, 0.85)),
]
_PEOPLE_HAIR = ["bangs", "spiky", "tuft", "pigtails", "cap", "bowl", "bald"]
# A cast member drawn as a person keeps its colours and one fixed haircut, so it stays recognisable.
_CAST_HAIR = {"marmalade": "spiky", "pip": "bowl"}
PAPER = (238, 244, 247)


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _pick(rng, options: list):
    return options[int(rng.integers(len(options)))]


def _recolour_lines(ident: Identity) -> Identity:
    """Brows, lids and mouth lines chosen again for the restyled colours (from the dark ink, as cast.py does)."""
    ident.palette.ink = mix(INK, ident.palette.outline, 0.3)
    _choose_line_colours(ident.anatomy, ident.palette)
    return ident


def _people(rng, ident: Identity) -> Identity:
    """A person: the kid anatomy (human ears, button nose, haircuts), a skin tone, natural hair."""
    person = sample_identity(rng, EXTRAS, "kid")
    person.character = ident.character
    pal = person.palette
    h, s, v = _pick(rng, _SKIN_TONES)
    skin = hsv(_u(rng, *h), _u(rng, *s), _u(rng, *v))
    pal.fur, pal.fur_dark, pal.fur_light = skin, shade(skin, 0.8), shade(skin, 1.2)
    pal.muzzle = shade(skin, 1.1)
    pal.nose = shade(skin, 0.7)
    hh, hs, hv = _pick(rng, _HAIR)
    pal.hair = hsv(_u(rng, *hh), _u(rng, *hs), _u(rng, *hv))
    person.anatomy.hair = _pick(rng, _PEOPLE_HAIR)
    person.anatomy.markings = "none"
    person.layout.eye_rx *= _u(rng, 0.8, 0.95)  # grown-up proportions: smaller eyes than the studio's kids
    person.layout.eye_ry *= _u(rng, 0.8, 0.95)
    if ident.character != EXTRAS:  # the cast member's own colours and a fixed haircut
        pal.hair, pal.iris = ident.palette.fur, ident.palette.iris
        person.anatomy.hair = _CAST_HAIR.get(ident.character, "bangs")
        person.style.eye_style = ident.style.eye_style
    _recolour_lines(person)
    # Lines on skin are always dark (a light brow on a deep skin tone reads as a highlight, not a brow).
    pal.lid, pal.ink, pal.brow = INK, INK, mix(shade(pal.hair, 0.6), INK, 0.5)
    return person


def _chibi(rng, ident: Identity) -> Identity:
    """Big-head proportions: a wide round head, huge eyes set low, a small mouth close under them."""
    head, lay, st = ident.head, ident.layout, ident.style
    head.rx, head.ry, head.power = head.rx * _u(rng, 1.04, 1.12), head.ry * _u(rng, 0.9, 0.98), 2.0
    head.taper, head.chin = _u(rng, 0.05, 0.2), head.chin * 0.3
    lay.eye_rx, lay.eye_ry = lay.eye_rx * _u(rng, 1.35, 1.55), lay.eye_ry * _u(rng, 1.45, 1.7)
    lay.eye_dx = min(lay.eye_dx * _u(rng, 1.0, 1.1), head.rx - lay.eye_rx - 0.12)
    lay.eye_y = _u(rng, 0.0, 0.08)
    lay.nose_y = lay.eye_y + lay.eye_ry + _u(rng, 0.02, 0.06)
    lay.mouth_y = lay.nose_y + _u(rng, 0.12, 0.18)
    lay.mouth_w *= _u(rng, 0.6, 0.75)
    st.eye_style = str(rng.choice(["anime", "dot", "bean", "sclera"], p=[0.4, 0.25, 0.2, 0.15]))
    return ident


def _long_face(rng, ident: Identity) -> Identity:
    """Tall narrow heads with small, high-set eyes and a long way down to the mouth."""
    head, lay = ident.head, ident.layout
    head.rx, head.ry = head.rx * _u(rng, 0.76, 0.85), head.ry * _u(rng, 1.22, 1.35)
    head.power, head.chin = _u(rng, 2.0, 2.8), max(head.chin, _u(rng, 0.0, 0.2))
    lay.eye_dx, lay.eye_rx, lay.eye_ry = lay.eye_dx * 0.82, lay.eye_rx * 0.8, lay.eye_ry * 0.85
    lay.eye_y = _u(rng, -0.32, -0.2)
    lay.nose_y = _u(rng, 0.18, 0.3)
    lay.mouth_y = _u(rng, 0.62, 0.76)
    lay.mouth_w *= _u(rng, 0.85, 0.95)
    return ident


def _heavy_ink(rng, ident: Identity) -> Identity:
    """Thick black outlines and feature lines on squarer heads; 1930s pie-cut eyes among others."""
    st = ident.style
    ident.head.power = _u(rng, 2.3, 3.6)
    st.outline_width, st.feature_width = _u(rng, 0.09, 0.13), _u(rng, 0.09, 0.12)
    st.shading, st.gloss, st.eye_outline = str(rng.choice(["flat", "cel"])), False, True
    st.eye_style = str(rng.choice(["pie", "sclera", "dot"], p=[0.45, 0.35, 0.2]))
    st.brow_style = str(rng.choice(["block", "tapered"], p=[0.6, 0.4]))
    ident.palette.outline = INK
    return _recolour_lines(ident)


def _flat_icon(rng, ident: Identity) -> Identity:
    """An emoji-like icon: a round, flat, unlined head (often emoji yellow), simple eyes, block brows."""
    head, anatomy, st, pal = ident.head, ident.anatomy, ident.style, ident.palette
    head.rx = head.ry = _u(rng, 0.95, 1.05)
    head.power, head.taper, head.chin = 2.0, 0.0, 0.0
    anatomy.markings, anatomy.whiskers, anatomy.philtrum, anatomy.accessory = "none", 0, False, "none"
    st.outline_width, st.shading, st.gloss, st.eye_outline, st.lashes = 0.0, "flat", False, False, False
    st.eye_style = str(rng.choice(["bean", "ring", "dot", "button"], p=[0.35, 0.3, 0.2, 0.15]))
    st.brow_style = "block"
    if rng.random() < 0.5:
        pal.fur = hsv(_u(rng, 44, 50), _u(rng, 0.75, 0.9), _u(rng, 0.97, 1.0))
        pal.muzzle = shade(pal.fur, 1.25)
    pal.fur_dark, pal.fur_light = pal.fur, pal.fur
    return _recolour_lines(ident)


def _line_art(rng, ident: Identity) -> Identity:
    """An ink drawing: every fill paper white (stripes and spots a light grey), dark outlines, grey irises."""
    st, pal = ident.style, ident.palette
    st.outline_width, st.shading, st.gloss, st.eye_outline = _u(rng, 0.03, 0.05), "flat", False, True
    light_grey = shade(PAPER, 0.82)
    for role in ("fur", "fur_light", "muzzle", "inner_ear", "accent", "hair", "sclera"):
        setattr(pal, role, PAPER)
    pal.fur_dark, pal.nose = light_grey, shade(PAPER, 0.35)
    pal.iris, pal.outline = (110, 110, 110), INK
    pal.mouth, pal.tongue, pal.blush, pal.tear = (45, 45, 45), light_grey, (215, 215, 228), (240, 228, 220)
    return _recolour_lines(ident)


Restyle = Callable[[np.random.Generator, Identity], Identity]
STYLES: dict[str, Restyle | None] = {
    "studio": None,
    "people": _people,
    "chibi": _chibi,
    "long-face": _long_face,
    "heavy-ink": _heavy_ink,
    "flat-icon": _flat_icon,
    "line-art": _line_art,
}


def check_style(style: str) -> str:
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    return style


def styled_identity(
    rng: np.random.Generator, character: str, species: str | None = None, style: str = DEFAULT_STYLE
) -> Identity:
    """A character's identity (as cast.sample_identity) drawn in ``style``."""
    restyle = STYLES[check_style(style)]
    identity = sample_identity(rng, character, species)
    return identity if restyle is None else restyle(rng, identity)
