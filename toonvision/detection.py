"""Characters as detectors: a name, an OpenCV cascade XML and the parameters to run it with.

Any file that `cv2.CascadeClassifier` loads is accepted (opencv_traincascade output, HAAR or LBP, the
old <opencv_haar_classifier> format or the new <cascade> one); anything else is refused with a
message that says what is wrong, before OpenCV prints its own parser errors.

A cascade trained by `train_character` has a JSON sidecar beside it (FILE.json for FILE.xml) holding
`{"character", "detection": {"scale_factor", "min_neighbors", "min_size", "max_size"}, "appearance", "report"}`;
`load_detectors` runs such a cascade with those parameters, and keeps only the faces whose colours match the
character's appearance (toonvision.appearance) when the sidecar has one.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from .appearance import Appearance, AppearanceError, appearance_or_none

CAST_FILE = "cast.json"
FEATURE_TYPES = {0: "HAAR", 1: "LBP", 2: "HOG"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


class CascadeError(ValueError):
    """A cascade file that cannot serve as a detector, or a bad character definition."""


@dataclass(frozen=True)
class DetectionParams:
    """How a character's cascade is run: detectMultiScale's scaleFactor, minNeighbors, minSize and
    maxSize (pixels, square; 0 means no limit)."""

    scale_factor: float = 1.1
    min_neighbors: int = 3
    min_size: int = 24
    max_size: int = 0

    def __post_init__(self):
        if not self.scale_factor > 1.0:
            raise CascadeError(f"scale_factor must be greater than 1, got {self.scale_factor}")
        if self.min_neighbors < 0:
            raise CascadeError(f"min_neighbors must be 0 or more, got {self.min_neighbors}")
        if self.min_size < 1 or self.max_size < 0:
            raise CascadeError(f"min_size must be positive and max_size 0 or more, got {self.min_size}/{self.max_size}")


@dataclass
class CharacterDetector:
    """One character's face detector, loaded and ready; `detect` returns boxes as an (N, 4) int array.
    `appearance`, when the character has one, is the colour check its faces must pass (appearance.looks_right)."""

    name: str
    cascade_path: Path
    params: DetectionParams
    cascade: cv2.CascadeClassifier = field(repr=False)
    appearance: Appearance | None = field(default=None, repr=False)

    @classmethod
    def load(cls, name: str, cascade_path: Path | str, params: DetectionParams | None = None,
             appearance: Appearance | None = None) -> CharacterDetector:
        check_character_name(name)
        path = Path(cascade_path)
        return cls(name, path, params or DetectionParams(), load_cascade(path), appearance)

    def copy(self) -> CharacterDetector:
        """The same detector with its own cascade object: OpenCV's cascades are not safe to share
        between threads (shared ones give run-to-run differences)."""
        return replace(self, cascade=load_cascade(self.cascade_path))

    @property
    def window(self) -> tuple[int, int]:
        """The cascade's training window (width, height): the smallest face it can find."""
        w, h = self.cascade.getOriginalWindowSize()
        return int(w), int(h)

    @property
    def feature_type(self) -> str:
        return FEATURE_TYPES.get(self.cascade.getFeatureType(), "unknown")

    def detect(self, image: np.ndarray, params: DetectionParams | None = None) -> np.ndarray:
        """Faces in a gray (or BGR) image with these params (default: the character's own)."""
        return self.detect_with_counts(image, params)[0]

    def detect_with_counts(self, image: np.ndarray, params: DetectionParams | None = None):
        """Boxes (N, 4) and, for each, how many raw windows were grouped into it (its neighbours): a
        measure of how sure the cascade is."""
        p = params or self.params
        max_size = (p.max_size, p.max_size) if p.max_size else (0, 0)  # (0, 0): no limit
        boxes, counts = self.cascade.detectMultiScale2(
            image, scaleFactor=p.scale_factor, minNeighbors=p.min_neighbors, minSize=(p.min_size, p.min_size),
            maxSize=max_size,
        )
        return np.asarray(boxes, dtype=np.int32).reshape(-1, 4), np.asarray(counts, dtype=np.int32).reshape(-1)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "cascade": str(self.cascade_path),
            "feature_type": self.feature_type,
            "window": list(self.window),
            **asdict(self.params),
            "appearance_threshold": None if self.appearance is None else self.appearance.threshold,
        }


def check_character_name(name: str) -> None:
    if not _SLUG.match(name or ""):
        raise CascadeError(
            f"bad character name {name!r}: use 1-50 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )


def load_cascade(path: Path | str) -> cv2.CascadeClassifier:
    """A loaded cv2.CascadeClassifier, or CascadeError saying why the file is not a usable cascade."""
    path = Path(path)
    if not path.is_file():
        raise CascadeError(f"cascade file {path} does not exist")
    if path.stat().st_size == 0:
        raise CascadeError(f"cascade file {path} is empty")
    _check_cascade_xml(path)
    try:
        cascade = cv2.CascadeClassifier(str(path))
    except (cv2.error, SystemError) as error:  # cv2's constructor raises SystemError wrapping cv2.error
        cause = error.__cause__ if isinstance(error, SystemError) else error
        reason = getattr(cause, "err", None) or str(cause or error)
        raise CascadeError(f"{path} is not a cascade OpenCV can load: {reason}") from None
    if cascade.empty():
        raise CascadeError(f"{path} is not a cascade OpenCV can load (it parsed as XML but holds no classifier)")
    return cascade


def _check_cascade_xml(path: Path) -> None:
    """Refuse what is plainly not a cascade before OpenCV sees it (it prints parser errors to stderr)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise CascadeError(f"{path} is not a cascade XML file: {error}") from None
    except UnicodeDecodeError:
        raise CascadeError(f"{path} is not a cascade XML file: it is not text") from None
    if root.tag != "opencv_storage" or len(root) == 0:
        raise CascadeError(f"{path} is not an OpenCV cascade: its root element is <{root.tag}>, not <opencv_storage>")
    top = root[0]
    is_new = top.find("stages") is not None and top.find("featureType") is not None
    is_old = top.find("stages") is not None and top.find("size") is not None
    if not (is_new or is_old):
        raise CascadeError(f"{path} is XML but not a cascade: <{top.tag}> has no stages")
    if is_new:
        _check_feature_indexes(path, top)


def _check_feature_indexes(path: Path, cascade: ET.Element) -> None:
    """OpenCV trusts each weak classifier's feature index; one past the feature list reads stray memory."""
    features = cascade.find("features")
    count = len(features) if features is not None else 0
    for nodes in cascade.iter("internalNodes"):
        values = (nodes.text or "").split()
        try:
            index = int(values[2])
        except (IndexError, ValueError):
            raise CascadeError(f"{path} has a malformed weak classifier: {' '.join(values)!r}") from None
        if not 0 <= index < count:
            raise CascadeError(f"{path} refers to feature {index} but defines only {count} features")


def parse_cascade_arg(value: str) -> tuple[str, Path]:
    """'NAME=FILE.xml' from the command line."""
    name, sep, file = value.partition("=")
    if not sep or not name or not file:
        raise CascadeError(f"expected NAME=FILE.xml, got {value!r}")
    return name.strip(), Path(file.strip())


@dataclass(frozen=True)
class CastEntry:
    """One character of a cast file: its display name, cascade file and detection parameters."""

    name: str | None  # None when the file gives none
    cascade_path: Path
    params: DetectionParams


def read_cast(folder: Path | str) -> dict[str, CastEntry]:
    """folder/cast.json, {"characters": {slug: {"name", "cascade": file, "scale_factor", ...}}}, without
    loading the cascades."""
    folder = Path(folder)
    path = folder / CAST_FILE
    try:
        entries = json.loads(path.read_text())["characters"].items()
        return {
            slug: CastEntry(
                entry.get("name"),
                folder / entry["cascade"],
                DetectionParams(**{k: entry[k] for k in asdict(DetectionParams()) if k in entry}),
            )
            for slug, entry in entries
        }
    except FileNotFoundError:
        raise CascadeError(f"no {CAST_FILE} in {folder}: the cast's cascades are missing") from None
    except json.JSONDecodeError as error:
        raise CascadeError(f"{path} is not valid JSON: {error}") from None
    except (KeyError, AttributeError, TypeError) as error:
        raise CascadeError(f"{path} is not a cast file: {error!r} is missing or malformed") from None


def load_cast(folder: Path | str) -> list[CharacterDetector]:
    """The characters described by folder/cast.json, their cascades loaded."""
    return [CharacterDetector.load(slug, e.cascade_path, e.params) for slug, e in read_cast(folder).items()]


def read_character_json(xml_path: Path | str) -> dict | None:
    """The sidecar JSON of a trained character's cascade (FILE.json beside FILE.xml), or None when there
    is none or it holds no "detection" (train_cascade's report sits there too); CascadeError when it is
    not JSON, not an object, or its detection parameters are missing or bad."""
    path = Path(xml_path).with_suffix(".json")
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CascadeError(f"{path} (beside the cascade) is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise CascadeError(f"{path} (beside the cascade) is not a JSON object")
    if "detection" not in data:
        return None
    detection = data["detection"]
    keys = list(asdict(DetectionParams()))
    if not isinstance(detection, dict) or any(k not in detection for k in keys):
        raise CascadeError(f"{path}: \"detection\" must hold {', '.join(keys)}")
    try:
        params = DetectionParams(
            scale_factor=float(detection["scale_factor"]),
            min_neighbors=_whole(detection["min_neighbors"]),
            min_size=_whole(detection["min_size"]),
            max_size=_whole(detection["max_size"]),
        )
    except (TypeError, ValueError) as error:
        raise CascadeError(f"{path}: bad detection parameters: {error}") from None
    if data.get("appearance") is not None:
        sidecar_appearance(data, path)
    return {**data, "detection": asdict(params)}


def sidecar_appearance(data: dict, path: Path | str = "the character's JSON") -> Appearance | None:
    """The appearance a trained character's JSON holds, or None; CascadeError when it is malformed."""
    try:
        return appearance_or_none(data.get("appearance"))
    except AppearanceError as error:
        raise CascadeError(f"{path}: {error}") from None


def _whole(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def load_detectors(
    cascade_args: list[str] | None, cast_folder: Path | str, default_params: DetectionParams | None = None
):
    """The characters named on a command line (NAME=FILE.xml ...), else the cast of cast_folder/cast.json.
    A name given twice is an error. Each runs with the parameters of its cascade's JSON sidecar
    (train_character's), else, for a name of that cast, the cast's tuned ones, else default_params."""
    if not cascade_args:
        return load_cast(cast_folder)
    shipped = {}
    if (Path(cast_folder) / CAST_FILE).exists():
        # parameters only: no cascades loaded
        shipped = {slug: entry.params for slug, entry in read_cast(cast_folder).items()}
    detectors, seen = [], set()
    for arg in cascade_args:
        name, path = parse_cascade_arg(arg)
        if name in seen:
            raise CascadeError(f"character {name!r} is named twice")
        seen.add(name)
        sidecar = read_character_json(path)
        appearance = None
        if sidecar is not None:
            params = DetectionParams(**sidecar["detection"])
            appearance = sidecar_appearance(sidecar, path.with_suffix(".json"))
        else:
            params = shipped.get(name) or default_params or DetectionParams()
        detectors.append(CharacterDetector.load(name, path, params, appearance))
    return detectors


def with_params(detector: CharacterDetector, **changes) -> CharacterDetector:
    """The same detector with some parameters changed (the cascade is shared, not reloaded)."""
    return replace(detector, params=replace(detector.params, **changes))
