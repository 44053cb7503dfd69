"""Training a whole cascade, Viola–Jones style, and writing it as OpenCV XML with a JSON report beside it.

Each stage trains on the positives the cascade so far still accepts and on hard negatives mined from the
negative images (windows every earlier stage accepts). Training stops early, with the reason in the
report, when too few positives survive or when mining finds fewer than a tenth of the negatives wanted
(the cascade already rejects nearly every negative window). Both files are written only at the end,
atomically.
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
from .params import CascadeParams, CascadeTrainingError
from .samples import positive_patches, read_gray_images

MIN_POSITIVES = 10
MIN_NEGATIVE_FRACTION = 0.1

Log = Callable[[str], None]


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
    stage_params = {"minHitRate": params.min_hit_rate, "maxFalseAlarm": params.max_false_alarm,
                    "weightTrimRate": params.weight_trim_rate, "maxWeakCount": params.max_weak_per_stage}
    cascade = Cascade.empty(family.kind, params.window, params.window, stage_params)
    rows, stop_reason = [], None
    with tqdm(total=params.stages, desc="cascade", unit="stage", disable=not progress) as bar:
        for index in range(params.stages):
            row, stop_reason = train_next_stage(index, cascade, family, data, params, rng, device, bar)
            with tqdm.external_write_mode():  # lift the bar off the terminal while the line is written
                log(_stage_line(row, params.stages) if row else f"stopping early: {stop_reason}")
            if row is None:
                break
            rows.append(row)
            bar.update(1)
    if not cascade.stages:
        raise CascadeTrainingError(f"no stage could be trained: {stop_reason}")
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
    size = params.window
    pos_images, pos_files, pos_skipped = read_gray_images(positives_dir, "positives")
    neg_images, neg_files, neg_skipped = read_gray_images(negatives_dir, "negatives")
    if not scan_tasks(neg_images, size, size, params.scale_step, np.random.default_rng(0)):
        raise CascadeTrainingError(f"every negative image is smaller than the {size}x{size} window plus one "
                                   f"pixel; use larger negatives or a smaller window")
    patches = positive_patches(pos_images, size, size, params.flip)
    batch = WindowBatch.from_patches(patches, device)
    flat = batch.flat if params.feature == "haar" else torch.zeros_like(batch.flat)
    if bool(flat.all()):
        raise CascadeTrainingError(f"every positive in {positives_dir} is flat (std of at most 10 gray levels), "
                                   "and OpenCV's Haar detector rejects such windows before any stage")
    summary = {
        "positives": {"folder": str(positives_dir), "images": len(pos_files), "skipped": pos_skipped,
                      "samples": len(patches), "flipped": params.flip, "flat_dropped": int(flat.sum())},
        "negatives": {"folder": str(negatives_dir), "images": len(neg_files), "skipped": neg_skipped},
    }
    keep = torch.nonzero(~flat).squeeze(1)
    return TrainingData(batch.subset(keep), len(patches), neg_images, summary)


def train_next_stage(index: int, cascade: Cascade, family, data: TrainingData, params: CascadeParams,
                     rng: np.random.Generator, device: torch.device, bar: tqdm) -> tuple[dict | None, str | None]:
    """Mine, boost and append one stage; (report row, None), or (None, why training must stop)."""
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
    bar.set_postfix_str(f"stage {index + 1}: mining {wanted} negatives")
    mined = mine_negatives(cascade, evaluator, data.negatives, wanted, params.scale_step, rng)
    mining_seconds = time.perf_counter() - started
    if len(mined.patches) < max(1, math.ceil(MIN_NEGATIVE_FRACTION * wanted)):
        return None, (f"stage {index + 1}: mining found only {len(mined.patches)} of the {wanted} negatives wanted "
                      f"in {mined.scanned} windows (acceptance ratio {mined.acceptance_ratio:.2e}): the cascade "
                      "already rejects nearly every negative window")
    negatives = WindowBatch.from_patches(mined.patches, device)

    def show(weak: int, hit_rate: float, false_alarm: float) -> None:
        bar.set_postfix_str(f"stage {index + 1}: {weak} weak, HR {hit_rate:.4f}, FA {false_alarm:.4f}")

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
