"""Teaching a new character: a cascade and its detection parameters from a few marked faces.

    examples = CharacterExamples(positives=crops, negatives=frames_with_its_faces_blanked)
    result = train_character("bramble", examples, "models/bramble.xml")
    result["detection"]      # {"scale_factor", "min_neighbors", "min_size", "max_size"}, as segment runs it

How (every number below is a CharacterTrainingOptions field):

1. A seeded share of the examples (holdout, at least 2) is held out; the rest train.
2. The training examples become about `positive_windows` windows: each one itself and as many jittered
   copies as that takes (augmentation.py:
   small rotations, scale and shift, brightness and contrast, blur, noise, JPEG; mirrored when the
   character allows it; BGRA crops composited on patches of the negatives).
3. Negatives: the images given, or, when none are, generic clutter (clutter.py, never the studio). A
   quarter of them (when there are at least 4) is kept aside for step 5.
4. The shared stage loop (trainer.train_stages) trains up to `stages` Haar stages, each on hard
   negatives mined with the cascade so far, within `max_seconds`.
5. The held-out faces are pasted on the kept-aside negatives and the detection parameters that find
   them best with the fewest false alarms are chosen (tuning.py); the report gives that hit rate and
   the false alarms per frame.
6. The character's colours (toonvision.appearance: the training faces' hue-saturation histograms) are
   learnt, their threshold chosen on the held-out faces: the gray cascade also fires on other characters'
   faces of the same shape, and the colours tell them apart (`appearance=False` leaves this out).

The cascade XML and a JSON sidecar, `{"character", "detection", "appearance", "report"}`, are written together
atomically, or neither is: bad input raises CharacterTrainingError before anything is written and
should_stop() returning True raises TrainingCancelled. Django-free.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from ..appearance import learn_appearance
from ..detection import CascadeError, check_character_name, read_character_json
from ..device import pick_device
from ..outputs import atomic_outputs
from .augmentation import augment_examples
from .cascade import cascade_xml
from .clutter import clutter_images
from .features import feature_family
from .params import CascadeParams, CascadeTrainingError, TrainingCancelled
from .trainer import empty_cascade, output_paths, train_stages, training_data
from .tuning import choose_detection, validation_set

MIN_EXAMPLES = 10  # fewer cannot both train and hold out enough to choose parameters on
RECOMMENDED_EXAMPLES = 20  # the benchmark's "New characters" target: precision and recall >= 0.9 from 20
MIN_HOLDOUT = 2
CLUTTER_IMAGES = 60
CLUTTER_SEED = 4242

__all__ = [
    "MIN_EXAMPLES",
    "RECOMMENDED_EXAMPLES",
    "CharacterExamples",
    "CharacterTrainingError",
    "CharacterTrainingOptions",
    "TrainingCancelled",
    "blank_faces",
    "read_character_json",
    "train_character",
]

Progress = Callable[[dict], None]


class CharacterTrainingError(CascadeTrainingError):
    """A character cannot be trained from these inputs; the message is a sentence for the user."""


@dataclass
class CharacterExamples:
    """Face crops of the character (any size, BGR or BGRA) and BGR images with none of its faces."""

    positives: list[np.ndarray]
    negatives: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class CharacterTrainingOptions:
    """How a character is trained.

    stages: most cascade stages; window: the cascade's window (the smallest face it finds);
    positive_windows: about how many windows the training examples become (each itself, mirrored when
    allowed, and jittered copies), whatever their number, so a stage costs the same from 10 examples
    as from 40 and more examples buy variety, not time; negatives_per_stage: hard negatives
    mined per stage (None: as many as there are positive windows); max_seconds: no stage starts after
    this long (the report says so); features_per_stage, min_hit_rate, max_false_alarm: as CascadeParams;
    appearance: learn the character's colours too.
    """

    seed: int = 0
    device: str = "auto"
    mirror: bool = True
    holdout: float = 0.25
    stages: int = 16
    window: int = 24
    positive_windows: int = 640
    negatives_per_stage: int | None = None
    features_per_stage: int = 600
    min_hit_rate: float = 0.995
    max_false_alarm: float = 0.3
    max_seconds: float = 45.0
    appearance: bool = True

    def __post_init__(self):
        checks = [
            (self.device in ("auto", "cpu", "cuda") or str(self.device).startswith("cuda:"),
             f"unknown device {self.device!r}; use auto, cpu or cuda"),
            (0.0 < self.holdout < 0.5, f"holdout must be a share between 0 and 0.5, got {self.holdout}"),
            (self.positive_windows >= 1, f"positive_windows must be at least 1, got {self.positive_windows}"),
            (self.max_seconds > 0, f"max_seconds must be above 0, got {self.max_seconds}"),
        ]
        for ok, message in checks:
            if not ok:
                raise CharacterTrainingError(message)
        try:
            self.cascade_params()
        except CascadeTrainingError as error:
            raise CharacterTrainingError(str(error)) from None

    def cascade_params(self) -> CascadeParams:
        return CascadeParams(stages=self.stages, feature="haar", window=self.window, min_hit_rate=self.min_hit_rate,
                             max_false_alarm=self.max_false_alarm, num_neg=self.negatives_per_stage,
                             features_per_stage=self.features_per_stage, flip=False, seed=self.seed,
                             device=self.device)


def blank_faces(image: np.ndarray, boxes, enlarge: float = 1.25) -> np.ndarray:
    """A copy of a BGR frame with each (x, y, w, h) box, enlarged about its centre, painted over with a
    smooth gradient of its own corners' colours: a negative with no trace of those faces."""
    out = np.ascontiguousarray(image).copy()
    height, width = out.shape[:2]
    for x, y, w, h in boxes:
        cx, cy = x + w / 2.0, y + h / 2.0
        half_w, half_h = w * enlarge / 2.0, h * enlarge / 2.0
        x0, y0 = max(0, int(math.floor(cx - half_w))), max(0, int(math.floor(cy - half_h)))
        x1, y1 = min(width, int(math.ceil(cx + half_w))), min(height, int(math.ceil(cy + half_h)))
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        region = out[y0:y1, x0:x1]
        corners = cv2.resize(region, (2, 2), interpolation=cv2.INTER_AREA)
        region[:] = cv2.resize(corners, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    return out


def train_character(name: str, examples: CharacterExamples, out_xml: Path | str,
                    options: CharacterTrainingOptions | None = None, on_progress: Progress | None = None,
                    should_stop: Callable[[], bool] | None = None) -> dict:
    """Train name's cascade from examples; write out_xml and out_xml.with_suffix('.json') (both or neither)
    and return what the JSON holds: {"character", "detection", "report"}."""
    started = time.perf_counter()
    options = options or CharacterTrainingOptions()
    progress = on_progress or (lambda state: None)
    try:
        check_character_name(name)
        out_xml, json_path = output_paths(out_xml)
    except (CascadeError, CascadeTrainingError) as error:
        raise CharacterTrainingError(str(error)) from None
    positives = _checked_positives(examples.positives, options.window)
    negatives = _checked_negatives(examples.negatives, options.window)
    try:
        device = pick_device(options.device)
    except ValueError as error:
        raise CharacterTrainingError(str(error)) from None
    params = options.cascade_params()
    rng = np.random.default_rng([options.seed, 17])
    stages_total = params.stages
    state = {"stage": 0, "stages": stages_total, "hit_rate": None, "false_alarm": None}
    progress({**state, "phase": "augmenting"})

    train, held = _split(len(positives), options.holdout, rng)
    mining, checking, negatives_source = _negative_sets(negatives, options.seed)
    per_example = max(0, math.ceil(options.positive_windows / len(train)) - (2 if options.mirror else 1))
    patches = augment_examples([positives[i] for i in train], per_example, options.window, rng, mining,
                               options.mirror)
    _stop(should_stop)
    gray_mining = [cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) for image in mining]
    data = training_data(list(patches), gray_mining, params, device, where="example")
    family = feature_family(params.opencv_feature_type, params.window, params.window)
    cascade = empty_cascade(family, params)
    train_rng = np.random.default_rng(options.seed)

    def stage_done(row: dict) -> None:
        state.update(stage=row["stage"], hit_rate=row["hit_rate"], false_alarm=row["false_alarm"])
        progress({**state, "phase": "training", "negatives_acceptance_ratio": row["negatives_acceptance_ratio"]})

    training_started = time.perf_counter()
    rows, stop_reason = train_stages(cascade, family, data, params, train_rng, device, on_stage=stage_done,
                                     should_stop=should_stop, max_seconds=options.max_seconds)
    training_seconds = time.perf_counter() - training_started
    _stop(should_stop)
    progress({**state, "phase": "choosing parameters"})
    validation = validation_set([positives[i] for i in held], checking, rng, options.mirror, options.window)
    sides = [min(p.shape[:2]) for p in positives]
    detection, figures, candidates = choose_detection(cascade, validation, sides)
    appearance, colours = (learn_appearance([positives[i] for i in train], [positives[i] for i in held])
                           if options.appearance else (None, {}))
    _stop(should_stop)
    report = {
        "format": "toonsite-character-report",
        "version": 1,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cascade": out_xml.name,
        "examples": len(positives),
        "training_examples": len(train),
        "holdout_examples": len(held),
        "holdout_faces": figures["faces"],
        "holdout_frames": figures["frames"],
        "holdout_hit_rate": figures["hit_rate"],
        "holdout_precision": figures["precision"],
        "holdout_false_alarms_per_frame": figures["false_alarms_per_frame"],
        "appearance_threshold": colours.get("threshold"),
        "holdout_colour_pass_rate": colours.get("holdout_pass_rate"),
        "positive_windows": len(data.positives),
        "negative_images": len(mining),
        "validation_images": len(checking),
        "negatives_source": negatives_source,
        "mirror": options.mirror,
        "example_sides": [min(sides), max(sides)],
        "stages": rows,
        "stages_trained": len(cascade.stages),
        "stop_reason": stop_reason,
        "training_seconds": training_seconds,
        "device": str(device),
        "torch": str(torch.__version__),
        "opencv": cv2.__version__,
        "options": asdict(options),
        "candidates": candidates[:5],
    }
    report["seconds"] = time.perf_counter() - started
    result = {"character": name, "detection": detection,
              "appearance": appearance.as_json() if appearance is not None else None, "report": report}
    with atomic_outputs([out_xml, json_path]) as temp:
        temp[out_xml].write_text(cascade_xml(cascade), encoding="utf-8")
        temp[json_path].write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _stop(should_stop) -> None:
    if should_stop is not None and should_stop():
        raise TrainingCancelled("training was cancelled")


def _checked_positives(positives, window: int) -> list[np.ndarray]:
    """The examples as uint8 BGR or BGRA, refused with a sentence when too few, malformed or too small."""
    if len(positives) < MIN_EXAMPLES:
        raise CharacterTrainingError(f"{len(positives)} example(s) of the face were given; at least {MIN_EXAMPLES} "
                                     f"are needed ({RECOMMENDED_EXAMPLES} or more recommended)")
    out = []
    for i, image in enumerate(positives):
        image = _colour(image, f"example {i + 1}")
        out.append(image)
    small = [i for i, image in enumerate(out) if min(image.shape[:2]) < window]
    if small:
        h, w = out[small[0]].shape[:2]
        raise CharacterTrainingError(f"{len(small)} of the {len(out)} examples are smaller than the {window}x{window} "
                                     f"window (example {small[0] + 1} is {w}x{h}); mark larger faces or leave "
                                     "those out")
    return out


def _checked_negatives(negatives, window: int) -> list[np.ndarray]:
    out = [_colour(image, f"negative {i + 1}")[..., :3] for i, image in enumerate(negatives)]
    small = [i for i, image in enumerate(out) if min(image.shape[:2]) <= window]
    if small:
        h, w = out[small[0]].shape[:2]
        raise CharacterTrainingError(f"negative image {small[0] + 1} is {w}x{h}: a negative must be larger than "
                                     f"the {window}x{window} window")
    return [np.ascontiguousarray(image) for image in out]


def _colour(image, what: str) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise CharacterTrainingError(f"{what} is not an 8-bit image (its pixels are {image.dtype})")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) == 0:
        raise CharacterTrainingError(f"{what} is not a gray, BGR or BGRA image (shape {image.shape})")
    if image.shape[2] == 4 and not image[..., 3].any():
        raise CharacterTrainingError(f"{what} is fully transparent")
    return np.ascontiguousarray(image)


def _split(count: int, share: float, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Training and held-out example indices (seeded)."""
    held = max(MIN_HOLDOUT, int(round(count * share)))
    order = rng.permutation(count)
    return sorted(int(i) for i in order[held:]), sorted(int(i) for i in order[:held])


def _negative_sets(negatives: list[np.ndarray], seed: int) -> tuple[list[np.ndarray], list[np.ndarray], str]:
    """Images to mine and images to choose parameters on: the given ones (a quarter kept aside when there
    are at least 4, else all used for both), or generic clutter when none were given."""
    if not negatives:
        clutter = clutter_images(CLUTTER_SEED + seed, CLUTTER_IMAGES + CLUTTER_IMAGES // 4)
        return clutter[:CLUTTER_IMAGES], clutter[CLUTTER_IMAGES:], "clutter"
    if len(negatives) < 4:
        return negatives, negatives, "given (also used to choose parameters: fewer than 4)"
    order = np.random.default_rng([seed, 19]).permutation(len(negatives))
    aside = max(1, len(negatives) // 4)
    return [negatives[i] for i in order[aside:]], [negatives[i] for i in order[:aside]], "given"
