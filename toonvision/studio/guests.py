"""Guest stars: fixed characters that no shipped detector or emotion model has ever seen.

The demo cast (Marmalade, Pip) trained everything the site ships. A guest is drawn exactly like a cast
member - one fixed design with only the cast's mild jitter (head shape, layout and colours vary by a
few percent; outline width, shading and light are chosen per identity as for the cast) - so it stands
in for "a user's own character" when testing and measuring teaching the site a new face:

    write_episode("bramble.mp4", seconds=20, seed=5, cast=("bramble",))   # truth names "bramble"
    crops = marked_faces("bramble", 20, seed=100)                          # cascade_data: crops cut from its episodes

| guest | species | look |
| --- | --- | --- |
| bramble | fox | a deep red fox: tall pointed ears, pointed cream muzzle, amber eyes |
| juniper | rabbit | a lavender-grey rabbit: long upright ears, cream cheeks, violet eyes |
| clover | duck | a teal duck: orange bill, a head feather, round dark eyes |

Guests are kept out of every training set: `synth_faces` (the emotion weights, scripts/train_weights.sh)
only draws `CHARACTERS` (marmalade, pip, extras), and `synth_cascade_data` (the shipped cascades,
scripts/train_cascades.sh) only draws the cast, whose negatives hold the cast and extras, never a guest.
Extras are random characters of every species, foxes, rabbits and ducks among them: those did appear
in training sets, but an extra is a new random design each time (other colours, eyes, style), never a
guest's fixed identity. Any seed may draw a guest; it is the identity, not a seed, that no training
set contains.

Each table has the layout of cast.py's species tables: (lo, hi) -> uniform, list -> random choice,
anything else -> constant; `species` names the species whose drawing rules apply.
"""

from __future__ import annotations

GUEST_DESIGNS: dict[str, dict] = {
    "bramble": dict(
        name="Bramble",
        species="fox",
        description="a deep red fox: tall pointed ears, pointed cream muzzle, amber eyes",
        table=dict(
            head=((1.04, 1.08), (0.87, 0.9), (2.0, 2.1), (-0.08, -0.05), (0.36, 0.4)),
            ears="pointed",
            ear_size=(0.66, 0.7),
            ear_angle=(32, 34),
            muzzle="fox",
            muzzle_size=(0.98, 1.02),
            nose="oval",
            nose_size=(0.78, 0.82),
            whiskers=2,
            markings="none",
            hair="none",
            philtrum=True,
            fur=[((9, 12), (0.86, 0.9), (0.76, 0.8))],
            toon=0.0,
            eyes="sclera",
            iris=[((38, 44), (0.75, 0.85), (0.6, 0.7))],
            layout=dict(
                eye_dx=(0.34, 0.36),
                eye_y=(-0.12, -0.1),
                eye_rx=(0.12, 0.13),
                eye_ry=(0.16, 0.17),
                nose_y=(0.24, 0.26),
                mouth_y=(0.5, 0.52),
                mouth_w=(0.2, 0.22),
                brow_lift=(0.12, 0.13),
            ),
        ),
    ),
    "juniper": dict(
        name="Juniper",
        species="rabbit",
        description="a lavender-grey rabbit: long upright ears, cream cheeks, violet eyes",
        table=dict(
            head=((0.94, 0.97), (0.97, 1.0), (2.0, 2.1), (0.04, 0.07), 0.0),
            ears="long",
            ear_size=(0.68, 0.72),
            ear_angle=(15, 17),
            muzzle="cheeks",
            muzzle_size=(0.82, 0.86),
            nose="triangle",
            nose_size=(0.78, 0.82),
            whiskers=2,
            markings="none",
            hair="none",
            philtrum=True,
            fur=[((258, 264), (0.16, 0.2), (0.84, 0.88))],
            toon=0.0,
            eyes="sclera",
            iris=[((270, 285), (0.55, 0.65), (0.55, 0.65))],
            layout=dict(
                eye_dx=(0.32, 0.34),
                eye_y=(-0.1, -0.08),
                eye_rx=(0.13, 0.14),
                eye_ry=(0.17, 0.18),
                nose_y=(0.2, 0.22),
                mouth_y=(0.5, 0.52),
                mouth_w=(0.22, 0.24),
                brow_lift=(0.12, 0.13),
            ),
        ),
    ),
    "clover": dict(
        name="Clover",
        species="duck",
        description="a teal duck: orange bill, a head feather, round dark eyes",
        table=dict(
            head=((0.96, 0.99), (0.96, 0.99), (2.0, 2.05), (-0.02, 0.02), 0.0),
            ears="none",
            ear_size=0.0,
            ear_angle=0.0,
            muzzle="bill",
            muzzle_size=(0.98, 1.02),
            nose="none",
            nose_size=1.0,
            whiskers=0,
            markings="none",
            hair="feather",
            philtrum=False,
            fur=[((174, 180), (0.55, 0.6), (0.74, 0.78))],
            toon=0.0,
            eyes="dot",
            iris=[((20, 30), (0.5, 0.6), (0.3, 0.4))],
            layout=dict(
                eye_dx=(0.32, 0.34),
                eye_y=(-0.25, -0.23),
                eye_rx=(0.12, 0.13),
                eye_ry=(0.16, 0.17),
                nose_y=0.2,
                mouth_y=(0.41, 0.43),
                mouth_w=(0.28, 0.3),
                brow_lift=(0.12, 0.13),
            ),
        ),
    ),
}
