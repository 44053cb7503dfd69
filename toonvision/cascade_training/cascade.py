"""A boosted cascade of stumps: its data, OpenCV's new XML format (both ways), and a torch evaluator.

The evaluator reproduces ``cv::CascadeClassifier`` (``cascadedetect.cpp`` / ``.hpp``, OpenCV 4.x) on
window-sized patches, operation for operation:

- Haar windows whose inset std is at most 10 gray levels are rejected before any stage (``setWindow``);
- a Haar stump takes ``leafValues[0]`` when ``value < threshold`` (both float32), else ``leafValues[1]``;
- an LBP stump takes ``leafValues[0]`` when bit ``c`` of its 256-bit subset is set, else ``leafValues[1]``;
- leaves are summed in double, and a stage passes when the sum is at least its threshold, which OpenCV
  reads as float and lowers by 1e-5 (``THRESHOLD_EPS``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .features import WindowBatch, feature_family
from .params import CascadeTrainingError

THRESHOLD_EPS = np.float32(1e-5)
SUBSET_WORDS = 8  # 256 LBP categories in 32-bit words
EVAL_CHUNK = 8192


@dataclass
class Stump:
    """One weak classifier: a feature, its split (threshold or LBP subset) and two leaf values (float32)."""

    feature: int
    left: float
    right: float
    threshold: float = 0.0  # HAAR: value < threshold -> left
    subset: tuple[int, ...] = ()  # LBP: 8 signed 32-bit words; category c -> left when its bit is set


@dataclass
class Stage:
    """Stumps whose leaves are summed and compared with ``threshold`` (as written, before OpenCV's -1e-5)."""

    stumps: list[Stump]
    threshold: float


@dataclass
class Cascade:
    """A cascade as OpenCV's XML holds it; ``features`` rows are HAAR (3 x 5) or LBP (4) specs."""

    feature_type: str
    width: int
    height: int
    features: np.ndarray
    stages: list[Stage] = field(default_factory=list)
    stage_params: dict = field(default_factory=dict)

    @classmethod
    def empty(cls, feature_type: str, width: int, height: int, stage_params: dict | None = None) -> Cascade:
        shape = (0, 3, 5) if feature_type == "HAAR" else (0, 4)
        return cls(feature_type, width, height, np.zeros(shape), [], dict(stage_params or {}))

    def add_stage(self, stage: Stage, pool: np.ndarray) -> None:
        """Append a stage whose stumps index ``pool``; their features join this cascade's own list."""
        index = {tuple(np.ravel(f)): i for i, f in enumerate(self.features)}
        new, stumps = [], []
        for stump in stage.stumps:
            key = tuple(np.ravel(pool[stump.feature]))
            if key not in index:
                index[key] = len(self.features) + len(new)
                new.append(pool[stump.feature])
            stumps.append(Stump(index[key], stump.left, stump.right, stump.threshold, stump.subset))
        if new:
            self.features = np.concatenate([self.features, np.stack(new).astype(self.features.dtype)])
        self.stages.append(Stage(stumps, stage.threshold))


def written_threshold(value: float) -> float:
    """The largest float32 not above ``value``: OpenCV reads thresholds as float, and rounding up could
    reject a positive whose score equals the threshold."""
    f = np.float32(value)
    if float(f) > value:
        f = np.nextafter(f, np.float32(-np.inf))
    return float(f)


def loaded_threshold(value: float) -> float:
    """The stage threshold OpenCV compares with after loading: (float)threshold - 1e-5f."""
    return float(np.float32(np.float32(value) - THRESHOLD_EPS))


def subset_words(left: np.ndarray) -> tuple[int, ...]:
    """Eight signed 32-bit words with bit c set for every category c in ``left`` (bool[256])."""
    words = np.zeros(SUBSET_WORDS, dtype=np.uint32)
    for c in np.flatnonzero(left):
        words[c >> 5] |= np.uint32(1 << (c & 31))
    return tuple(int(v) for v in words.view(np.int32))


def subset_table(words) -> np.ndarray:
    """bool[256]: which categories an LBP subset sends to the left leaf."""
    words = np.asarray(words, dtype=np.int64).astype(np.uint32)
    return np.array([bool(words[c >> 5] >> np.uint32(c & 31) & np.uint32(1)) for c in range(256)])


class CascadeEvaluator:
    """Accept or reject window-sized gray patches the way cv::CascadeClassifier does, on a torch device."""

    def __init__(self, cascade: Cascade, device: torch.device | str = "cpu"):
        self.cascade = cascade
        self.device = torch.device(device)
        self.family = feature_family(cascade.feature_type, cascade.width, cascade.height)
        self._stages = [self._prepare(stage) for stage in cascade.stages]

    def _prepare(self, stage: Stage) -> dict:
        features = self.cascade.features[[s.feature for s in stage.stumps]]
        leaves = torch.tensor([[s.left, s.right] for s in stage.stumps], dtype=torch.float32, device=self.device)
        prepared = {"matrix": torch.from_numpy(self.family.matrix(features)).to(self.device),
                    "left": leaves[:, 0].double(), "right": leaves[:, 1].double(),
                    "threshold": loaded_threshold(stage.threshold)}
        if self.family.categorical:
            table = np.stack([subset_table(s.subset) for s in stage.stumps])
            prepared["table"] = torch.from_numpy(table).to(self.device)
        else:
            prepared["split"] = torch.tensor([s.threshold for s in stage.stumps], dtype=torch.float32,
                                             device=self.device)
        return prepared

    def stages_passed(self, patches: np.ndarray | WindowBatch) -> np.ndarray:
        """Per patch, how many stages it passed (len(stages) = accepted; -1 = a flat window Haar rejects)."""
        batch = patches if isinstance(patches, WindowBatch) else None
        n = len(batch) if batch is not None else len(patches)
        result = np.empty(n, dtype=np.int64)
        for start in range(0, n, EVAL_CHUNK):
            part = batch.subset(torch.arange(start, min(n, start + EVAL_CHUNK), device=batch.integral.device)) \
                if batch is not None else WindowBatch.from_patches(patches[start:start + EVAL_CHUNK], self.device)
            result[start:start + len(part)] = self._run(part).cpu().numpy()
        return result

    def accepts(self, patches: np.ndarray | WindowBatch) -> np.ndarray:
        """bool per patch: does OpenCV's detector accept this window?"""
        return self.stages_passed(patches) == len(self._stages)

    @torch.inference_mode()
    def _run(self, batch: WindowBatch) -> torch.Tensor:
        passed = torch.zeros(len(batch), dtype=torch.int64, device=batch.integral.device)
        alive = torch.arange(len(batch), device=batch.integral.device)
        if self.cascade.feature_type == "HAAR":
            passed[batch.flat] = -1
            alive = alive[~batch.flat]
        for stage in self._stages:
            if len(alive) == 0:
                break
            scores = self._stage_scores(stage, batch.subset(alive))
            alive = alive[scores >= stage["threshold"]]
            passed[alive] += 1
        return passed

    def _stage_scores(self, stage: dict, batch: WindowBatch) -> torch.Tensor:
        """Each window's sum of leaf values for one stage, in float64 like OpenCV's accumulator."""
        values = self.family.apply(batch, stage["matrix"])
        if self.family.categorical:
            go_left = torch.gather(stage["table"].T, 0, values)  # table[k, code of stump k]
        else:
            go_left = values < stage["split"]
        return torch.where(go_left, stage["left"], stage["right"]).sum(1)


def _num(value: float) -> str:
    """A float32 value in text that reads back to the same float32."""
    return format(float(np.float32(value)), ".9g")


def cascade_xml(cascade: Cascade) -> str:
    """The cascade in the XML format opencv_traincascade writes (and cv::CascadeClassifier reads)."""
    p = {"boostType": "GAB", "minHitRate": 0.995, "maxFalseAlarm": 0.5, "weightTrimRate": 0.95, "maxDepth": 1,
         "maxWeakCount": max((len(s.stumps) for s in cascade.stages), default=1), **cascade.stage_params}
    haar = cascade.feature_type == "HAAR"
    feature_params = "<maxCatCount>0</maxCatCount>\n    <featSize>1</featSize>\n    <mode>BASIC</mode>" if haar \
        else "<maxCatCount>256</maxCatCount>\n    <featSize>1</featSize>"
    family = feature_family(cascade.feature_type, cascade.width, cascade.height)
    stages = "".join(_stage_xml(i, stage, haar) for i, stage in enumerate(cascade.stages))
    features = "".join(family.xml(f) for f in cascade.features)
    return (
        '<?xml version="1.0"?>\n<opencv_storage>\n<cascade>\n'
        f"  <stageType>BOOST</stageType>\n  <featureType>{cascade.feature_type}</featureType>\n"
        f"  <height>{cascade.height}</height>\n  <width>{cascade.width}</width>\n"
        f"  <stageParams>\n    <boostType>{p['boostType']}</boostType>\n"
        f"    <minHitRate>{p['minHitRate']}</minHitRate>\n    <maxFalseAlarm>{p['maxFalseAlarm']}</maxFalseAlarm>\n"
        f"    <weightTrimRate>{p['weightTrimRate']}</weightTrimRate>\n    <maxDepth>{p['maxDepth']}</maxDepth>\n"
        f"    <maxWeakCount>{p['maxWeakCount']}</maxWeakCount></stageParams>\n"
        f"  <featureParams>\n    {feature_params}</featureParams>\n"
        f"  <stageNum>{len(cascade.stages)}</stageNum>\n  <stages>{stages}</stages>\n"
        f"  <features>{features}</features>\n</cascade>\n</opencv_storage>\n"
    )


def _stage_xml(index: int, stage: Stage, haar: bool) -> str:
    weak = []
    for s in stage.stumps:
        split = _num(s.threshold) if haar else " ".join(str(int(v)) for v in s.subset)
        weak.append(f"\n        <_>\n          <internalNodes>\n            0 -1 {s.feature} {split}</internalNodes>"
                    f"\n          <leafValues>\n            {_num(s.left)} {_num(s.right)}</leafValues></_>")
    return (f"\n    <!-- stage {index} -->\n    <_>\n      <maxWeakCount>{len(stage.stumps)}</maxWeakCount>"
            f"\n      <stageThreshold>{_num(stage.threshold)}</stageThreshold>"
            f"\n      <weakClassifiers>{''.join(weak)}</weakClassifiers></_>")


def pass_all_xml(feature_type: str, width: int, height: int) -> str:
    """A one-stage cascade that accepts every window OpenCV evaluates (Haar still drops flat ones)."""
    cascade = Cascade.empty(feature_type, width, height)
    pool = np.array([[[0, 0, 2, 1, -1], [1, 0, 1, 1, 2], [0, 0, 0, 0, 0]]], dtype=np.float64) \
        if feature_type == "HAAR" else np.array([[0, 0, 1, 1]])
    cascade.add_stage(Stage([Stump(0, 0.0, 0.0, 0.0, (0,) * SUBSET_WORDS)], -1.0), pool)
    return cascade_xml(cascade)


def read_cascade(path: Path | str) -> Cascade:
    """Parse a new-format (opencv_traincascade) cascade of stumps with upright features."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as error:
        raise CascadeTrainingError(f"{path}: not a readable cascade XML ({error})") from error
    node = root.find("cascade")
    if node is None or node.findtext("stageType", "").strip() != "BOOST":
        raise CascadeTrainingError(f"{path}: not a new-format BOOST cascade")
    kind = node.findtext("featureType", "").strip()
    if kind not in ("HAAR", "LBP"):
        raise CascadeTrainingError(f"{path}: unsupported feature type {kind!r}")
    stage_params = {p.tag: _number(p.text) for p in node.find("stageParams") or []}
    cascade = Cascade.empty(kind, int(node.findtext("width")), int(node.findtext("height")), stage_params)
    cascade.features = np.array([_read_feature(f, kind, path) for f in node.find("features")])
    for stage in node.find("stages"):
        stumps = [_read_stump(weak, kind, path) for weak in stage.find("weakClassifiers")]
        cascade.stages.append(Stage(stumps, float(stage.findtext("stageThreshold"))))
    return cascade


def _number(text: str | None) -> int | float | str:
    text = (text or "").strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _read_feature(node: ET.Element, kind: str, path: Path) -> np.ndarray:
    if kind == "LBP":
        return np.array([int(v) for v in node.findtext("rect").split()])
    if int(node.findtext("tilted", "0")) != 0:
        raise CascadeTrainingError(f"{path}: tilted Haar features are not supported")
    rects = [[float(v) for v in r.text.split()] for r in node.find("rects")]
    return np.array(rects + [[0, 0, 0, 0, 0]] * (3 - len(rects)))


def _read_stump(node: ET.Element, kind: str, path: Path) -> Stump:
    nodes = node.findtext("internalNodes").split()
    leaves = [float(v) for v in node.findtext("leafValues").split()]
    if len(leaves) != 2:
        raise CascadeTrainingError(f"{path}: only stumps (maxDepth 1) are supported, found a deeper tree")
    if kind == "LBP":
        return Stump(int(nodes[2]), leaves[0], leaves[1], subset=tuple(int(v) for v in nodes[3:]))
    return Stump(int(nodes[2]), leaves[0], leaves[1], threshold=float(nodes[3]))
