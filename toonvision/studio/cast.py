"""Who the studio can draw: the demo cast with fixed identities, and random extras of many species.

An Identity is everything about a character that does not change with emotion: species anatomy,
head shape, feature layout, palette and drawing style. Cast members always get the same anatomy and
palette family, with only mild jitter; extras are new random characters every time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .guests import GUEST_DESIGNS
from .palette import BGR, INK, Palette, contrasting_ink, hsv, luma, mix, shade

EXTRAS = "extras"


@dataclass(frozen=True)
class CastMember:
    """A recurring character of the demo cartoon."""

    slug: str
    name: str
    species: str
    description: str


CAST: dict[str, CastMember] = {
    "marmalade": CastMember(
        "marmalade", "Marmalade", "cat", "an orange tabby cat: pointed ears, cream cheeks, whiskers, green eyes"
    ),
    "pip": CastMember(
        "pip", "Pip", "mouse", "a small brown-grey mouse: big round pink-lined ears, pointed snout, dot eyes"
    ),
}

CHARACTERS: tuple[str, ...] = ("marmalade", "pip", EXTRAS)  # what the emotion datasets draw

# Guest stars (guests.py): fixed identities no shipped cascade or emotion model was trained on.
GUESTS: dict[str, CastMember] = {
    slug: CastMember(slug, d["name"], d["species"], d["description"]) for slug, d in GUEST_DESIGNS.items()
}
STARS: tuple[str, ...] = (*CAST, *GUESTS)  # everyone who can star in an episode, in seed order


@dataclass
class HeadShape:
    """Head outline in face units: half-width rx, half-height ry, squareness (2 = ellipse),
    taper (> 0 widens the bottom) and chin (> 0 points it)."""

    rx: float
    ry: float
    power: float
    taper: float
    chin: float


@dataclass
class Anatomy:
    """Species features drawn around and on the head."""

    ears: str
    ear_size: float
    ear_angle: float  # where the ears sit, degrees from the top of the head
    muzzle: str
    muzzle_size: float
    nose: str
    nose_size: float
    whiskers: int
    markings: str
    hair: str
    philtrum: bool  # the line from nose down to the mouth (cats, dogs, bears)
    accessory: str = "none"  # 'glasses', 'bow', 'freckles' or 'none'


@dataclass
class Layout:
    """Where the emotion-bearing features sit, in face units."""

    eye_dx: float
    eye_y: float
    eye_rx: float
    eye_ry: float
    nose_y: float
    mouth_y: float
    mouth_w: float  # half-width of a neutral mouth
    brow_lift: float  # gap between eye top and a relaxed brow


@dataclass
class Style:
    """How the character is inked and shaded."""

    outline_width: float  # face units; 0 means no outlines
    feature_width: float  # brows and mouth lines
    shading: str  # 'flat', 'cel' or 'gradient'
    light_angle: float  # radians; where the light comes from
    shade_strength: float
    eye_style: str  # 'sclera' (white, pupils), 'anime' (big irises), 'dot'/'button' (solid dark); styles.py adds
    # 'bean' (tall dark), 'pie' (dark, a wedge cut out) and 'ring' (white in a thick ring)
    brow_style: str  # 'line', 'tapered' or 'block'
    gloss: bool  # a highlight on the forehead
    eye_outline: bool = True
    lashes: bool = False
    brows: bool = True  # some characters only ever emote with eyes and mouth


@dataclass
class Identity:
    """Everything about a drawn character that stays the same when its emotion changes."""

    character: str
    species: str
    head: HeadShape
    anatomy: Anatomy
    layout: Layout
    palette: Palette
    style: Style


# ----------------------------------------------------------------------------------------------
# Species table. Values: (lo, hi) -> uniform, list -> random choice, anything else -> constant.
# 'fur' lists HSV ranges ((h), (s), (v)) with hue in degrees; 'toon' is the chance of a random hue.
# ----------------------------------------------------------------------------------------------
_BROWNS = [((22, 34), (0.35, 0.7), (0.45, 0.85))]
_GREYS = [((0, 360), (0.0, 0.06), (0.5, 0.8))]
_WHITES = [((0, 360), (0.0, 0.05), (0.92, 1.0))]
_DARKS = [((0, 360), (0.0, 0.15), (0.15, 0.3))]
_SKIN = [((18, 30), (0.2, 0.6), (0.45, 0.98))]

_DEFAULT_LAYOUT = dict(
    eye_dx=(0.3, 0.4),
    eye_y=(-0.16, -0.02),
    eye_rx=(0.11, 0.16),
    eye_ry=(0.14, 0.2),
    nose_y=(0.18, 0.26),
    mouth_y=(0.46, 0.56),
    mouth_w=(0.2, 0.28),
    brow_lift=(0.1, 0.15),
)

_SPECIES: dict[str, dict] = {
    "cat": dict(
        head=((1.05, 1.12), (0.86, 0.93), (2.0, 2.3), (0.05, 0.12), 0.0),
        ears="pointed",
        ear_size=(0.5, 0.56),
        ear_angle=(36, 40),
        muzzle="cheeks",
        muzzle_size=(0.9, 1.0),
        nose="triangle",
        nose_size=(0.9, 1.0),
        whiskers=3,
        markings="tabby",
        hair="cheek_tufts",
        philtrum=True,
        fur=[((24, 30), (0.72, 0.82), (0.92, 1.0))],
        toon=0.0,
        eyes="sclera",
        iris=[((100, 125), (0.6, 0.8), (0.6, 0.75))],
        layout=dict(
            eye_dx=(0.36, 0.39),
            eye_y=(-0.1, -0.06),
            eye_rx=(0.13, 0.14),
            eye_ry=(0.17, 0.18),
            nose_y=(0.18, 0.2),
            mouth_y=(0.52, 0.54),
            mouth_w=(0.22, 0.24),
        ),
    ),
    "mouse": dict(
        head=((0.88, 0.94), (0.95, 1.0), (2.0, 2.1), (-0.14, -0.1), (0.22, 0.28)),
        ears="round",
        ear_size=(0.5, 0.55),
        ear_angle=(46, 50),
        muzzle="lower",
        muzzle_size=(0.95, 1.0),
        nose="dot",
        nose_size=(1.0, 1.1),
        whiskers=3,
        markings="none",
        hair="none",
        philtrum=False,
        fur=[((26, 34), (0.18, 0.3), (0.52, 0.64))],
        toon=0.0,
        eyes="dot",
        iris=[((20, 30), (0.5, 0.6), (0.3, 0.4))],
        layout=dict(
            eye_dx=(0.29, 0.31),
            eye_y=(-0.14, -0.11),
            eye_rx=(0.11, 0.12),
            eye_ry=(0.18, 0.19),
            nose_y=(0.33, 0.35),
            mouth_y=(0.57, 0.59),
            mouth_w=(0.18, 0.2),
        ),
    ),
    "dog": dict(
        head=((0.95, 1.1), (0.88, 1.0), (2.0, 2.6), (0.0, 0.15), 0.0),
        ears="floppy",
        ear_size=(0.45, 0.6),
        ear_angle=(55, 70),
        muzzle="oval",
        muzzle_size=(0.85, 1.1),
        nose="oval",
        nose_size=(0.9, 1.3),
        whiskers=0,
        markings=["none", "eyepatch", "blaze", "none"],
        hair="none",
        philtrum=True,
        fur=_BROWNS + _WHITES + _DARKS + [((35, 45), (0.45, 0.7), (0.8, 0.95))],
        toon=0.15,
    ),
    "bear": dict(
        head=((1.0, 1.12), (0.9, 1.0), (2.0, 2.4), (0.05, 0.18), 0.0),
        ears="small_round",
        ear_size=(0.28, 0.36),
        ear_angle=(38, 48),
        muzzle="oval",
        muzzle_size=(0.9, 1.1),
        nose="oval",
        nose_size=(1.0, 1.3),
        whiskers=0,
        markings="none",
        hair="none",
        philtrum=True,
        fur=_BROWNS + _DARKS + [((28, 36), (0.25, 0.4), (0.8, 0.92))],
        toon=0.2,
    ),
    "panda": dict(
        head=((1.02, 1.12), (0.9, 0.98), (2.0, 2.3), (0.05, 0.15), 0.0),
        ears="small_round",
        ear_size=(0.28, 0.34),
        ear_angle=(38, 46),
        muzzle="oval",
        muzzle_size=(0.8, 1.0),
        nose="oval",
        nose_size=(0.9, 1.1),
        whiskers=0,
        markings="panda",
        hair="none",
        philtrum=True,
        fur=_WHITES,
        toon=0.0,
    ),
    "rabbit": dict(
        head=((0.9, 1.0), (0.92, 1.02), (2.0, 2.2), (0.0, 0.12), 0.0),
        ears="long",
        ear_size=(0.55, 0.75),
        ear_angle=(12, 22),
        muzzle="cheeks",
        muzzle_size=(0.75, 0.9),
        nose="triangle",
        nose_size=(0.7, 0.9),
        whiskers=[0, 2, 3],
        markings="none",
        hair="none",
        philtrum=True,
        fur=_WHITES + _GREYS + _BROWNS + [((30, 40), (0.15, 0.3), (0.85, 0.95))],
        toon=0.2,
    ),
    "duck": dict(
        head=((0.92, 1.02), (0.92, 1.02), (2.0, 2.1), (-0.05, 0.05), 0.0),
        ears="none",
        ear_size=0.0,
        ear_angle=0.0,
        muzzle="bill",
        muzzle_size=(0.9, 1.1),
        nose="none",
        nose_size=1.0,
        whiskers=0,
        markings="none",
        hair=["none", "feather"],
        philtrum=False,
        fur=_WHITES + [((48, 56), (0.55, 0.8), (0.95, 1.0))],
        toon=0.25,
        layout=dict(eye_y=(-0.28, -0.2), mouth_y=(0.4, 0.44), mouth_w=(0.26, 0.32), nose_y=0.2),
    ),
    "frog": dict(
        head=((1.12, 1.22), (0.74, 0.84), (2.0, 2.4), (0.05, 0.15), 0.0),
        ears="frog",
        ear_size=(0.3, 0.36),
        ear_angle=0.0,
        muzzle="none",
        muzzle_size=1.0,
        nose="nostrils",
        nose_size=1.0,
        whiskers=0,
        markings=["none", "spots"],
        hair="none",
        philtrum=False,
        fur=[((85, 130), (0.5, 0.8), (0.55, 0.85))],
        toon=0.2,
        layout=dict(
            eye_dx=(0.42, 0.5), eye_y=(-0.5, -0.42), nose_y=(0.05, 0.12), mouth_y=(0.32, 0.42), mouth_w=(0.3, 0.42)
        ),
    ),
    "pig": dict(
        head=((1.0, 1.1), (0.9, 0.98), (2.0, 2.3), (0.05, 0.15), 0.0),
        ears="pig",
        ear_size=(0.35, 0.45),
        ear_angle=(35, 45),
        muzzle="snout",
        muzzle_size=(0.9, 1.1),
        nose="none",
        nose_size=1.0,
        whiskers=0,
        markings="none",
        hair="none",
        philtrum=False,
        fur=[((345, 360), (0.25, 0.45), (0.9, 1.0))],
        toon=0.1,
        layout=dict(eye_y=(-0.28, -0.18), nose_y=(0.18, 0.24), mouth_y=(0.58, 0.64), mouth_w=(0.2, 0.26)),
    ),
    "kid": dict(
        head=((0.88, 1.0), (0.95, 1.08), (2.0, 2.5), (-0.05, 0.1), (0.0, 0.12)),
        ears="human",
        ear_size=(0.16, 0.22),
        ear_angle=90.0,
        muzzle="none",
        muzzle_size=1.0,
        nose="button",
        nose_size=(0.8, 1.2),
        whiskers=0,
        markings="none",
        hair=["bangs", "spiky", "tuft", "pigtails", "cap", "bowl", "bald"],
        philtrum=False,
        fur=_SKIN,
        toon=0.05,
        layout=dict(eye_y=(-0.08, 0.02), nose_y=(0.2, 0.28), mouth_y=(0.5, 0.6)),
    ),
    "fox": dict(
        head=((1.0, 1.1), (0.85, 0.95), (2.0, 2.2), (-0.12, 0.0), (0.3, 0.45)),
        ears="pointed",
        ear_size=(0.6, 0.72),
        ear_angle=(30, 36),
        muzzle="fox",
        muzzle_size=(0.9, 1.05),
        nose="oval",
        nose_size=(0.7, 0.9),
        whiskers=[0, 2],
        markings="none",
        hair="none",
        philtrum=True,
        fur=[((8, 16), (0.8, 0.95), (0.7, 0.88))] + _GREYS + [((34, 40), (0.3, 0.45), (0.85, 0.95))],
        toon=0.1,
    ),
    "monkey": dict(
        head=((0.92, 1.02), (0.95, 1.05), (2.0, 2.2), (0.0, 0.1), 0.0),
        ears="side_round",
        ear_size=(0.26, 0.34),
        ear_angle=90.0,
        muzzle="monkey",
        muzzle_size=(0.9, 1.0),
        nose="nostrils",
        nose_size=1.0,
        whiskers=0,
        markings="none",
        hair=["none", "tuft"],
        philtrum=False,
        fur=[((18, 28), (0.55, 0.8), (0.3, 0.55))],
        toon=0.1,
    ),
    "lion": dict(
        head=((1.0, 1.08), (0.9, 0.98), (2.0, 2.3), (0.05, 0.12), 0.0),
        ears="small_round",
        ear_size=(0.22, 0.28),
        ear_angle=(38, 44),
        muzzle="cheeks",
        muzzle_size=(0.9, 1.0),
        nose="triangle",
        nose_size=(1.0, 1.2),
        whiskers=[0, 2],
        markings="none",
        hair="mane",
        philtrum=True,
        fur=[((38, 46), (0.5, 0.7), (0.85, 0.96))],
        toon=0.05,
    ),
    "cow": dict(
        head=((0.9, 1.0), (0.95, 1.05), (2.2, 2.8), (0.0, 0.1), 0.0),
        ears="side_flat",
        ear_size=(0.3, 0.38),
        ear_angle=90.0,
        muzzle="snout_wide",
        muzzle_size=(0.9, 1.05),
        nose="none",
        nose_size=1.0,
        whiskers=0,
        markings=["spots", "none"],
        hair="horns",
        philtrum=False,
        fur=_WHITES + _BROWNS,
        toon=0.1,
        layout=dict(eye_y=(-0.3, -0.2), nose_y=0.3, mouth_y=(0.64, 0.7), mouth_w=(0.22, 0.28)),
    ),
    "sheep": dict(
        head=((0.85, 0.95), (0.95, 1.05), (2.0, 2.2), (-0.1, 0.0), (0.0, 0.15)),
        ears="side_flat",
        ear_size=(0.26, 0.34),
        ear_angle=90.0,
        muzzle="none",
        muzzle_size=1.0,
        nose="nostrils",
        nose_size=1.0,
        whiskers=0,
        markings="none",
        hair="wool",
        philtrum=False,
        fur=_DARKS + _GREYS + [((30, 40), (0.1, 0.25), (0.85, 0.95))],
        toon=0.05,
    ),
    "monster": dict(
        head=((0.9, 1.15), (0.85, 1.1), (2.0, 3.5), (-0.2, 0.25), (0.0, 0.2)),
        ears=["antennae", "horns", "none", "pointed"],
        ear_size=(0.3, 0.5),
        ear_angle=(25, 40),
        muzzle="none",
        muzzle_size=1.0,
        nose=["none", "dot", "nostrils"],
        nose_size=1.0,
        whiskers=0,
        markings=["none", "spots"],
        hair="none",
        philtrum=False,
        fur=[((0, 360), (0.45, 0.85), (0.55, 0.95))],
        toon=1.0,
    ),
    "koala": dict(
        head=((1.0, 1.1), (0.88, 0.96), (2.0, 2.3), (0.0, 0.1), 0.0),
        ears="side_round",
        ear_size=(0.36, 0.42),
        ear_angle=(62, 70),
        muzzle="none",
        muzzle_size=1.0,
        nose="oval",
        nose_size=(1.4, 1.7),
        whiskers=0,
        markings="none",
        hair="none",
        philtrum=False,
        fur=_GREYS + [((200, 220), (0.05, 0.15), (0.55, 0.75))],
        toon=0.1,
        layout=dict(nose_y=(0.2, 0.26), mouth_y=(0.5, 0.58)),
    ),
    "owl": dict(
        head=((0.95, 1.05), (0.92, 1.0), (2.0, 2.4), (-0.05, 0.08), (0.0, 0.1)),
        ears="pointed",
        ear_size=(0.25, 0.32),
        ear_angle=(28, 34),
        muzzle="none",
        muzzle_size=1.0,
        nose="beak",
        nose_size=(0.9, 1.1),
        whiskers=0,
        markings="face_mask",
        hair="none",
        philtrum=False,
        fur=_BROWNS + _GREYS,
        toon=0.25,
        layout=dict(eye_dx=(0.33, 0.4), eye_rx=(0.14, 0.17), eye_ry=(0.16, 0.2)),
    ),
    "penguin": dict(
        head=((0.92, 1.0), (0.92, 1.0), (2.0, 2.1), (0.0, 0.08), 0.0),
        ears="none",
        ear_size=0.0,
        ear_angle=0.0,
        muzzle="none",
        muzzle_size=1.0,
        nose="beak",
        nose_size=(0.9, 1.1),
        whiskers=0,
        markings="face_mask",
        hair="none",
        philtrum=False,
        fur=_DARKS + [((210, 230), (0.4, 0.6), (0.2, 0.35))],
        toon=0.0,
    ),
    "chick": dict(
        head=((0.9, 1.0), (0.88, 0.98), (2.0, 2.1), (0.0, 0.1), 0.0),
        ears="none",
        ear_size=0.0,
        ear_angle=0.0,
        muzzle="none",
        muzzle_size=1.0,
        nose="beak",
        nose_size=(0.8, 1.0),
        whiskers=0,
        markings="none",
        hair="feather",
        philtrum=False,
        fur=[((48, 58), (0.6, 0.85), (0.95, 1.0))],
        toon=0.15,
    ),
    "robot": dict(
        head=((0.9, 1.05), (0.85, 1.0), (4.0, 7.0), (-0.1, 0.1), 0.0),
        ears="bolts",
        ear_size=(0.14, 0.2),
        ear_angle=90.0,
        muzzle="none",
        muzzle_size=1.0,
        nose=["none", "dot"],
        nose_size=1.0,
        whiskers=0,
        markings="none",
        hair="antenna",
        philtrum=False,
        fur=_GREYS + [((190, 220), (0.1, 0.3), (0.6, 0.85))],
        toon=0.3,
    ),
    "dino": dict(
        head=((1.0, 1.15), (0.85, 0.95), (2.0, 2.6), (0.05, 0.2), 0.0),
        ears="none",
        ear_size=0.0,
        ear_angle=0.0,
        muzzle="none",
        muzzle_size=1.0,
        nose="nostrils",
        nose_size=1.0,
        whiskers=0,
        markings=["none", "spots"],
        hair="spikes",
        philtrum=False,
        fur=[((80, 150), (0.45, 0.75), (0.5, 0.85)), ((260, 290), (0.3, 0.6), (0.6, 0.85))],
        toon=0.2,
    ),
}

EXTRA_SPECIES: tuple[str, ...] = tuple(s for s in _SPECIES if s not in ("cat", "mouse"))
_CAST_SPECIES = {"marmalade": "cat", "pip": "mouse"}


def _pick(rng: np.random.Generator, value):
    """Sample one table value: ranges are uniform, lists are choices, constants stay."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return float(rng.uniform(*value))
    if isinstance(value, list):
        return value[int(rng.integers(len(value)))]
    return value


def _pick_hsv(rng, families, toon_chance) -> tuple[float, float, float]:
    """Sample a fur colour (hue degrees, s, v) from a species' families, or a random toon hue."""
    if rng.random() < toon_chance:
        return float(rng.uniform(0, 360)), float(rng.uniform(0.4, 0.85)), float(rng.uniform(0.55, 0.95))
    h, s, v = _pick(rng, families)
    return _pick(rng, h), _pick(rng, s), _pick(rng, v)


# Extras a cast member's detector most easily mistakes for it: its negatives show these more often.
LOOKALIKES = {
    "marmalade": ("lion", "fox", "dog", "bear", "koala"),
    "pip": ("koala", "rabbit", "bear", "monkey", "panda"),
}


def sample_identity(rng: np.random.Generator, character: str, species: str | None = None) -> Identity:
    """A character's identity: the fixed species of a cast member (mild jitter) or an extra, of the
    given species or a random one."""
    if character == EXTRAS and species is not None:
        if species not in EXTRA_SPECIES:
            raise ValueError(f"unknown extra species {species!r}; expected one of {', '.join(EXTRA_SPECIES)}")
    elif character == EXTRAS:
        species = EXTRA_SPECIES[int(rng.integers(len(EXTRA_SPECIES)))]
    elif character in CAST:
        species = _CAST_SPECIES[character]
    elif character in GUESTS:
        species = GUESTS[character].species
    else:
        raise ValueError(f"unknown character {character!r}; expected one of {', '.join((*CHARACTERS, *GUESTS))}")
    table = GUEST_DESIGNS[character]["table"] if character in GUESTS else _SPECIES[species]
    head = HeadShape(*(_pick(rng, v) for v in table["head"]))
    anatomy = Anatomy(
        ears=_pick(rng, table["ears"]),
        ear_size=_pick(rng, table["ear_size"]),
        ear_angle=_pick(rng, table["ear_angle"]),
        muzzle=table["muzzle"],
        muzzle_size=_pick(rng, table["muzzle_size"]),
        nose=_pick(rng, table["nose"]),
        nose_size=_pick(rng, table["nose_size"]),
        whiskers=_pick(rng, table["whiskers"]),
        markings=_pick(rng, table["markings"]),
        hair=_pick(rng, table["hair"]),
        philtrum=table["philtrum"],
    )
    layout_ranges = {**_DEFAULT_LAYOUT, **table.get("layout", {})}
    layout = Layout(**{k: _pick(rng, v) for k, v in layout_ranges.items()})
    palette = _sample_palette(rng, species, table, anatomy)
    style = _sample_style(rng, table.get("eyes"), extra=character == EXTRAS)
    if character == EXTRAS:
        anatomy.accessory = _choose_accessory(rng, species)
        if style.eye_style == "anime":  # anime eyes are big
            layout.eye_rx, layout.eye_ry = layout.eye_rx * 1.15, layout.eye_ry * 1.3
        elif style.eye_style == "button":
            layout.eye_ry = layout.eye_rx * 1.1
    _choose_line_colours(anatomy, palette)
    return Identity(character, species, head, anatomy, layout, palette, style)


def _choose_accessory(rng, species: str) -> str:
    r = rng.random()
    if r < 0.04:
        return "glasses"
    if r < 0.11:
        return "bow"
    return "freckles" if species == "kid" and r < 0.3 else "none"


def _choose_line_colours(anatomy: Anatomy, pal: Palette) -> None:
    """Brows, lids and mouths must contrast with whatever they are drawn on."""
    if luma(pal.fur) < 80 and anatomy.muzzle != "monkey" and anatomy.markings != "panda":
        anatomy.markings = "face_mask"  # dark characters get a light face (like classic cartoon cats)
    light_face = anatomy.markings == "face_mask" or anatomy.muzzle == "monkey"
    around_eyes = pal.muzzle if light_face else pal.fur
    pal.brow = contrasting_ink(around_eyes, pal.ink)
    pal.lid = contrasting_ink(pal.fur_dark if anatomy.markings == "panda" else around_eyes, pal.ink)
    face = pal.muzzle if light_face or anatomy.muzzle in ("lower", "oval", "fox", "snout_wide") else pal.fur
    if anatomy.muzzle == "bill":
        face = pal.accent
    pal.ink = contrasting_ink(face, pal.ink)


def _sample_palette(rng, species: str, table: dict, anatomy: Anatomy) -> Palette:
    """All of a character's colours, derived from one sampled fur colour."""
    h, s, v = _pick_hsv(rng, table["fur"], table["toon"])
    fur = hsv(h, s, v)
    fur_dark = hsv(h + rng.uniform(-6, 2), s * 1.1 + 0.08, v * rng.uniform(0.62, 0.75))
    if species == "panda":
        fur_dark = hsv(0, 0, rng.uniform(0.1, 0.2))
    muzzle = _muzzle_colour(rng, species, h, s, v)
    iris = hsv(*_pick_hsv(rng, table.get("iris", [((0, 360), (0.4, 0.8), (0.35, 0.7))]), 0.0))
    outline_kind = rng.random()
    outline = INK if outline_kind < 0.55 else (hsv(h, 0.6, 0.22) if outline_kind < 0.8 else shade(fur, 0.45))
    hair = (
        hsv(rng.uniform(0, 60), rng.uniform(0.3, 0.9), rng.uniform(0.15, 0.9))
        if rng.random() < 0.85
        else hsv(rng.uniform(0, 360), 0.7, 0.8)
    )
    if anatomy.hair == "mane":
        hair = hsv(h - rng.uniform(8, 18), min(1.0, s + 0.2), v * rng.uniform(0.55, 0.75))
    if anatomy.hair == "wool":
        hair = hsv(40, rng.uniform(0.02, 0.12), rng.uniform(0.9, 1.0))
    return Palette(
        fur=fur,
        fur_dark=fur_dark,
        fur_light=shade(fur, 1.35),
        muzzle=muzzle,
        inner_ear=hsv(rng.uniform(340, 355), rng.uniform(0.3, 0.45), rng.uniform(0.9, 1.0)),
        nose=_nose_colour(rng, species),
        accent=_accent_colour(rng, species),
        hair=hair,
        iris=iris,
        sclera=hsv(rng.uniform(180, 220), rng.uniform(0.0, 0.06), 1.0),
        outline=outline,
        ink=mix(INK, outline, 0.3),
        brow=INK,
        lid=INK,
        mouth=hsv(rng.uniform(345, 375), rng.uniform(0.55, 0.8), rng.uniform(0.22, 0.38))
        if rng.random() < 0.75
        else hsv(0, 0, rng.uniform(0.08, 0.15)),
        tongue=hsv(rng.uniform(345, 360), rng.uniform(0.4, 0.6), rng.uniform(0.85, 1.0)),
        teeth=(250, 252, 252),
        blush=hsv(rng.uniform(345, 360), rng.uniform(0.35, 0.55), 1.0),
        tear=hsv(rng.uniform(195, 210), rng.uniform(0.35, 0.55), 1.0),
    )


def _muzzle_colour(rng, species, h, s, v) -> BGR:
    """The lighter face colour under muzzles, cheeks and face masks."""
    if species in ("cat", "lion"):
        return hsv(h + 10, rng.uniform(0.12, 0.25), 1.0)
    if species == "monkey":
        return hsv(rng.uniform(22, 30), rng.uniform(0.25, 0.4), rng.uniform(0.85, 0.97))
    if species == "cow":
        return hsv(rng.uniform(345, 360), rng.uniform(0.25, 0.4), rng.uniform(0.9, 1.0))
    if species == "panda":
        return (250, 250, 250)
    return hsv(h, s * rng.uniform(0.15, 0.4), min(1.0, v * 0.35 + 0.68))


def _nose_colour(rng, species) -> BGR:
    """Pink noses for cats, mice and rabbits; dark noses for dogs, bears and foxes."""
    if species in ("cat", "mouse", "rabbit"):
        return hsv(rng.uniform(340, 355), rng.uniform(0.4, 0.6), rng.uniform(0.85, 1.0))
    if species == "kid":
        return hsv(15, 0.45, 0.7)
    return hsv(rng.uniform(0, 30), rng.uniform(0.2, 0.5), rng.uniform(0.1, 0.25))


def _accent_colour(rng, species) -> BGR:
    """Bills, snouts, horns and antenna tips."""
    if species in ("duck", "owl", "penguin", "chick"):
        return hsv(rng.uniform(28, 42), rng.uniform(0.8, 1.0), rng.uniform(0.95, 1.0))
    if species == "pig":
        return hsv(rng.uniform(345, 358), rng.uniform(0.35, 0.5), rng.uniform(0.9, 1.0))
    if species == "cow":
        return hsv(40, 0.15, rng.uniform(0.85, 0.95))
    return hsv(rng.uniform(0, 360), rng.uniform(0.6, 0.9), rng.uniform(0.7, 1.0))


def _sample_style(rng, eye_style: str | None, extra: bool) -> Style:
    """Inking and shading: outline width (or none), feature line weight, shading kind, eye kind.
    Cast members keep their species' eye style; extras may lack brows or eye outlines."""
    outline = float(
        rng.choice(
            [0.0, rng.uniform(0.018, 0.03), rng.uniform(0.03, 0.05), rng.uniform(0.05, 0.075)], p=[0.15, 0.3, 0.35, 0.2]
        )
    )
    return Style(
        outline_width=outline,
        feature_width=float(rng.uniform(0.05, 0.075)),
        shading=str(rng.choice(["flat", "cel", "gradient"], p=[0.4, 0.35, 0.25])),
        light_angle=float(rng.uniform(-np.pi, np.pi)),
        shade_strength=float(rng.uniform(0.15, 0.35)),
        eye_style=eye_style or str(rng.choice(["sclera", "anime", "dot", "button"], p=[0.5, 0.15, 0.25, 0.1])),
        brow_style=str(rng.choice(["line", "tapered", "block"], p=[0.35, 0.45, 0.2])),
        gloss=bool(rng.random() < 0.2),
        eye_outline=not extra or rng.random() < 0.85,
        lashes=extra and rng.random() < 0.15,
        brows=not extra or rng.random() < 0.92,
    )
