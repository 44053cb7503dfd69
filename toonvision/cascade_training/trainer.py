"""Training a whole cascade, Viola–Jones style, and writing it as OpenCV XML with a JSON report beside it.

Each stage trains on the positives the cascade so far still accepts and on hard negatives mined from the
negative images (windows every earlier stage accepts). Training stops early, with the reason in the
report, when too few positives survive or when mining finds fewer than a tenth of the negatives wanted
(the cascade already rejects nearly every negative window). Both files are written only at the end,
atomically.

`train_stages` is that stage loop on its own, over decoded windows and images (`training_data`): the
folder trainer here and the character trainer (character.py, a few examples augmented) share it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm.auto import tqdm

from ..device import pick_device
from ..outputs import atomic_outputs
from .boosting import train_stage
from .cascade import Cascade, CascadeEvaluator, cascade_xml
from .features import WindowBatch, feature_family
from .mining import acceptance_ratio, mine_negatives, scan_tasks
from .params import CascadeParams, CascadeTrainingError, TrainingCancelled
from .samples import positive_patches, read_gray_images

MIN_POSITIVES = 10
MIN_NEGATIVE_FRACTION = 0.1

Log = Callable[[str], None]
Status = Callable[[str], None]
StageCallback = Callable[[dict], None]
StopCheck = Callable[[], bool]


@dataclass
class TrainingData:
    """The decoded inputs: positive windows (flat ones dropped for Haar) and negative gray images."""

    positives: WindowBatch
    positive_samples: int  # window patches before dropping flat ones (flips included)
    negatives: list[np.ndarray]
    summary: dict


def train_cascade(positives_dir: Path | str, negatives_dir: Path | str, out_xml: Path | str,
                  params: CascadeParams | None = None, progress: bool = False, log: Log | None = None) -> dict:
    """Train a cascade, write ``out_xml`` and ``out_xml.with_suffix('.json')`` (the report), return the report."""
    started = time.perf_counter()
    params = params or CascadeParams()
    log = log or (lambda message: None)
    out_xml, report_path = output_paths(out_xml)
    device = pick_device(params.device)
    rng = np.random.default_rng(params.seed)
    family = feature_family(params.opencv_feature_type, params.window, params.window)
    data = load_training_data(positives_dir, negatives_dir, params, device)
    log(f"training a {params.stages}-stage {family.kind} cascade ({params.window}x{params.window}) on "
        f"{len(data.positives)} positive windows and {len(data.negatives)} negative images, on {device}")
    cascade = empty_cascade(family, params)
    with tqdm(total=params.stages, desc="cascade", unit="stage", disable=not progress) as bar:

        def stage_done(row: dict) -> None:
            with tqdm.external_write_mode():  # lift the bar off the terminal while the line is written
                log(_stage_line(row, params.stages))
            bar.update(1)

        rows, stop_reason = train_stages(cascade, family, data, params, rng, device, status=bar.set_postfix_str,
                                         on_stage=stage_done)
        if stop_reason is not None:
            with tqdm.external_write_mode():
                log(f"stopping early: {stop_reason}")
    report = build_report(cascade, rows, stop_reason, data, params, device, rng, out_xml)
    report["seconds"] = time.perf_counter() - started
    with atomic_outputs([out_xml, report_path]) as temp:
        temp[out_xml].write_text(cascade_xml(cascade), encoding="utf-8")
        temp[report_path].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {out_xml} ({len(cascade.stages)} stages) and {report_path.name} in {report['seconds']:.1f} s")
    return report


def output_paths(out_xml: Path | str) -> tuple[Path, Path]:
    """The cascade file (must end in .xml, which OpenCV's FileStorage reads as XML) and its report."""
    out_xml = Path(out_xml)
    if out_xml.suffix.lower() != ".xml":
        raise CascadeTrainingError(f"the cascade is written as OpenCV XML; name it e.g. {out_xml.stem}.xml, "
                                   f"not {out_xml.name}")
    return out_xml, out_xml.with_suffix(".json")


def load_training_data(positives_dir: Path | str, negatives_dir: Path | str, params: CascadeParams,
                       device: torch.device) -> TrainingData:
    """Decode both folders; positives become window patches (and their mirror images when params.flip)."""
    pos_images, pos_files, pos_skipped = read_gray_images(positives_dir, "positives")
    neg_images, neg_files, neg_skipped = read_gray_images(negatives_dir, "negatives")
    data = training_data(pos_images, neg_images, params, device, where=f"in {positives_dir}")
    data.summary["positives"] = {"folder": str(positives_dir), "images": len(pos_files), "skipped": pos_skipped,
                                 **data.summary["positives"]}
    data.summary["negatives"] = {"folder": str(negatives_dir), "images": len(neg_files), "skipped": neg_skipped}
    return data


def training_data(positives: list[np.ndarray], negatives: list[np.ndarray], params: CascadeParams,
                  device: torch.device, where: str = "") -> TrainingData:
    """Gray positive crops (any size) as window patches (and their mirror images when params.flip), flat
    ones dropped for Haar, and gray negative images, checked for use."""
    size = params.window
    if not scan_tasks(negatives, size, size, params.scale_step, np.random.default_rng(0)):
        raise CascadeTrainingError(f"every negative image is smaller than the {size}x{size} window plus one "
                                   f"pixel; use larger negatives or a smaller window")
    patches = positive_patches(positives, size, size, params.flip)
    batch = WindowBatch.from_patches(patches, device)
    flat = batch.flat if params.feature == "haar" else torch.zeros_like(batch.flat)
    if bool(flat.all()):
        raise CascadeTrainingError(f"every positive {where or 'example'} is flat (std of at most 10 gray levels), "
                                   "and OpenCV's Haar detector rejects such windows before any stage")
    summary = {"positives": {"samples": len(patches), "flipped": params.flip, "flat_dropped": int(flat.sum())}}
    keep = torch.nonzero(~flat).squeeze(1)
    return TrainingData(batch.subset(keep), len(patches), negatives, summary)


def empty_cascade(family, params: CascadeParams) -> Cascade:
    """A cascade with no stage yet, carrying the stage options OpenCV's XML records."""
    stage_params = {"minHitRate": params.min_hit_rate, "maxFalseAlarm": params.max_false_alarm,
                    "weightTrimRate": params.weight_trim_rate, "maxWeakCount": params.max_weak_per_stage}
    return Cascade.empty(family.kind, params.window, params.window, stage_params)


def train_stages(cascade: Cascade, family, data: TrainingData, params: CascadeParams, rng: np.random.Generator,
                 device: torch.device, *, status: Status | None = None, on_stage: StageCallback | None = None,
                 should_stop: StopCheck | None = None,
                 max_seconds: float | None = None) -> tuple[list[dict], str | None]:
    """Train up to params.stages stages onto cascade: the report rows and why it stopped early (None when
    every stage was trained). status gets a line of live state per boosting round, on_stage each finished
    stage's row; should_stop is asked before every stage and round and raises TrainingCancelled when it
    says so; no stage after the first starts once max_seconds have passed. Raises CascadeTrainingError
    when not even the first stage could be trained."""
    started = time.perf_counter()
    rows, stop_reason = [], None
    for index in range(params.stages):
        _check_stop(should_stop)
        if max_seconds is not None and index > 0 and time.perf_counter() - started >= max_seconds:
            stop_reason = f"the time budget of {max_seconds:g} s was spent after {index} stages"
            break
        row, stop_reason = train_next_stage(index, cascade, family, data, params, rng, device,
                                            status=status, should_stop=should_stop)
        if row is None:
            break
        rows.append(row)
        if on_stage is not None:
            on_stage(row)
    if not cascade.stages:
        raise CascadeTrainingError(f"no stage could be trained: {stop_reason}")
    return rows, stop_reason


def _check_stop(should_stop: StopCheck | None) -> None:
    if should_stop is not None and should_stop():
        raise TrainingCancelled("training was cancelled")


def train_next_stage(index: int, cascade: Cascade, family, data: TrainingData, params: CascadeParams,
                     rng: np.random.Generator, device: torch.device, status: Status | None = None,
                     should_stop: StopCheck | None = None) -> tuple[dict | None, str | None]:
    """Mine, boost and append one stage; (report row, None), or (None, why training must stop)."""
    status = status or (lambda text: None)
    started = time.perf_counter()
    evaluator = CascadeEvaluator(cascade, device)
    accepted = torch.from_numpy(evaluator.accepts(data.positives)).to(device)
    positives = data.positives.subset(torch.nonzero(accepted).squeeze(1))
    if params.num_pos is not None and len(positives) > params.num_pos:
        positives = positives.subset(torch.from_numpy(np.sort(rng.choice(len(positives), params.num_pos,
                                                                         replace=False))).to(device))
    if len(positives) < MIN_POSITIVES:
        return None, (f"stage {index + 1}: only {len(positives)} positive windows are left for it "
                      f"(at least {MIN_POSITIVES} are needed)")
    wanted = params.num_neg or 2 * len(positives)
    status(f"stage {index + 1}: mining {wanted} negatives")
    mined = mine_negatives(cascade, evaluator, data.negatives, wanted, params.scale_step, rng)
    mining_seconds = time.perf_counter() - started
    if len(mined.patches) < max(1, math.ceil(MIN_NEGATIVE_FRACTION * wanted)):
        return None, (f"stage {index + 1}: mining found only {len(mined.patches)} of the {wanted} negatives wanted "
                      f"in {mined.scanned} windows (acceptance ratio {mined.acceptance_ratio:.2e}): the cascade "
                      "already rejects nearly every negative window")
    negatives = WindowBatch.from_patches(mined.patches, device)

    def show(weak: int, hit_rate: float, false_alarm: float) -> None:
        _check_stop(should_stop)
        status(f"stage {index + 1}: {weak} weak, HR {hit_rate:.4f}, FA {false_alarm:.4f}")

    result = train_stage(family, positives, negatives, params, rng, on_round=show)
    cascade.add_stage(result.stage, family.pool)
    return {
        "stage": index + 1,
        "weak_count": len(result.stage.stumps),
        "threshold": result.stage.threshold,
        "hit_rate": result.hit_rate,
        "false_alarm": result.false_alarm,
        "num_pos": result.num_pos,
        "num_neg": result.num_neg,
        "negatives_acceptance_ratio": mined.acceptance_ratio,
        "windows_scanned": mined.scanned,
        "mining_disagreements": mined.disagreements,
        "features_considered": result.features_considered,
        "mining_seconds": mining_seconds,
        "boosting_seconds": result.seconds,
        "seconds": time.perf_counter() - started,
    }, None


def build_report(cascade: Cascade, rows: list[dict], stop_reason: str | None, data: TrainingData,
                 params: CascadeParams, device: torch.device, rng: np.random.Generator, out_xml: Path) -> dict:
    """The JSON report: options, inputs, one row per stage, and the finished cascade's own rates."""
    accepted = int(CascadeEvaluator(cascade, device).accepts(data.positives).sum())
    ratio, scanned = acceptance_ratio(cascade, data.negatives, params.scale_step, rng)
    return {
        "format": "toonsite-cascade-report",
        "version": 1,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cascade": out_xml.name,
        "params": asdict(params),
        "feature_type": cascade.feature_type,
        "window": [cascade.width, cascade.height],
        "device": str(device),
        "torch": str(torch.__version__),
        "opencv": cv2.__version__,
        **data.summary,
        "stages": rows,
        "stages_trained": len(cascade.stages),
        "stopped_early": stop_reason is not None,
        "stop_reason": stop_reason,
        "weak_count": sum(row["weak_count"] for row in rows),
        "features": len(cascade.features),
        # Flat positives count as misses: the detector can never accept them.
        "hit_rate": accepted / data.positive_samples,
        "negatives_acceptance_ratio": ratio,
        "negatives_windows_scanned": scanned,
    }


def _stage_line(row: dict, stages: int) -> str:
    return (f"stage {row['stage']}/{stages}: {row['weak_count']} weak, hit rate {row['hit_rate']:.4f}, "
            f"false alarm {row['false_alarm']:.4f}, negatives acceptance {row['negatives_acceptance_ratio']:.2e}, "
            f"{row['seconds']:.1f} s")
