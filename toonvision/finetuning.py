"""Fine-tuning an emotion CNN on a few labelled faces of a new style, without forgetting the faces it reads already.

    result = fine_tune("labels/line-art", "models/line-art.pt", "emotions/weights/toon.pt",
                       rehearsal_dir="data/studio-faces")

A user's corrections give a few faces per emotion; trained from scratch on those a CNN learns them by heart and
reads nothing else. So fine-tuning starts from existing weights (their preset, classes and input statistics are
read from the checkpoint). The defaults were chosen in a trial on 10 line-art faces per emotion (0.69 before;
0.84 with a third of the rate, 30 epochs and the stem frozen; 0.89 with the stem free and 60 epochs; 0.91 with
the preset's own rate too; the studio test at 0.998 throughout), and BENCHMARKS.md ("Adapting to a new style")
measures them:

- **BatchNorm statistics frozen**: a handful of new faces would re-estimate them badly, and the base model's
  were measured on thousands;
- **rehearsal**: faces the model already reads (``rehearsal_dir``, e.g. studio faces) mixed into every epoch, as
  many as the new training faces and at least REHEARSAL_MIN, so reading the new style never costs the old;
- **FINE_TUNE_EPOCHS epochs** at a batch of at most FINE_TUNE_BATCH, so even 35 faces get several hundred steps,
  at the preset's own learning rate, optimiser and schedule (nothing frozen but BatchNorm: a new look differs
  first in its strokes and fills, which the first layers see).

The test split is the new dataset's own (or a stratified one); the rehearsal set's test faces are scored too (the
report's ``rehearsal.accuracy``), so a report shows what was gained and what, if anything, was lost. Same four
outputs as ``training.train``, written only at the end.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from .datasets import FaceDataset, load_arrays, load_dataset, split_dataset
from .device import pick_device
from .inference import read_checkpoint
from .models import create_model, normalize
from .outputs import atomic_outputs
from .plots import plot_confusion, plot_learning_curves
from .training import (
    EVAL_BATCH_SIZE,
    Log,
    OnEpoch,
    StartingPoint,
    TrainResult,
    _summary,
    _write_json,
    build_checkpoint,
    build_report,
    fit,
    output_paths,
    resolve_config,
)

FINE_TUNE_EPOCHS = 60
FINE_TUNE_BATCH = 32
REHEARSAL_MIN = 140  # 20 faces per emotion


def fine_tune(dataset_dir: Path | str, out: Path | str, from_weights: Path | str, *,
              rehearsal_dir: Path | str | None = None, epochs: int | None = None, optimizer: str | None = None,
              lr: float | None = None, seed: int = 0, device=None, progress: bool = True, log: Log = print,
              test_fraction: float = 0.2, on_epoch: OnEpoch | None = None) -> TrainResult:
    """Fine-tune the checkpoint ``from_weights`` on ``dataset_dir`` (and rehearse ``rehearsal_dir``); write the
    weights, report and charts at ``out`` as ``train`` does, the report saying where it started from."""
    checkpoint = read_checkpoint(from_weights)
    classes = list(checkpoint["classes"])
    base = resolve_config(checkpoint["arch"], optimizer, seed=seed)
    config = replace(base, epochs=int(epochs or FINE_TUNE_EPOCHS), batch_size=min(base.batch_size, FINE_TUNE_BATCH),
                     lr=float(lr if lr is not None else base.lr))
    paths = output_paths(out)
    device = pick_device(device)
    dataset = load_dataset(dataset_dir)
    images, labels = _arrays_in(dataset, classes, config.input_size)
    train_idx, test_idx = split_dataset(dataset, test_fraction, seed)
    rehearsal = _rehearsal(rehearsal_dir, classes, config.input_size, max(len(train_idx), REHEARSAL_MIN), seed)
    if rehearsal is not None:  # appended after the new faces: its training faces train, its test faces only score
        offset = len(images)
        images = np.concatenate([images, rehearsal["images"]])
        labels = np.concatenate([labels, rehearsal["labels"]])
        train_idx = np.concatenate([train_idx, offset + rehearsal["train"]])
    log(f"fine-tuning {config.arch} from {Path(from_weights).name} on {len(train_idx)} faces "
        f"({'with' if rehearsal is not None else 'without'} rehearsal), testing on {len(test_idx)}, on {device}")
    start = _starting_point(checkpoint)
    result = fit(images, labels, classes, train_idx, test_idx, config, device, progress, log, start=start,
                 on_epoch=on_epoch)
    report = build_report(result, dataset, train_idx[train_idx < len(dataset.samples)], test_idx, test_fraction,
                          paths)
    report["fine_tuned_from"] = {"weights": Path(from_weights).name, "sha256": _sha256(from_weights),
                                 "accuracy": (checkpoint.get("trained") or {}).get("accuracy"),
                                 "frozen": ["batchnorm statistics"]}
    if rehearsal is not None:
        report["rehearsal"] = {"root": str(rehearsal_dir), "faces": int(len(rehearsal["train"])),
                               "test_faces": int(len(rehearsal["test"])),
                               "accuracy": _accuracy(result.model, rehearsal, config.input_size, start, device)}
    weights = build_checkpoint(result, classes, summary=_summary(report))
    with atomic_outputs(paths.values()) as temp:
        torch.save(weights, temp[paths["weights"]])
        _write_json(temp[paths["report"]], report)
        title = f"{config.arch} fine-tuned: test accuracy {result.metrics['accuracy']:.3f}"
        plot_learning_curves(result.history, temp[paths["curves"]], title=title)
        plot_confusion(result.metrics["confusion"], classes, temp[paths["confusion"]], title=title)
    log(f"test accuracy {result.metrics['accuracy']:.4f}; wrote {paths['weights']}")
    return TrainResult(paths["weights"], paths["report"], paths["curves"], paths["confusion"],
                       result.metrics["accuracy"], result.metrics["macro_f1"], result.history, report)


def _arrays_in(dataset: FaceDataset, classes: list[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The dataset's images with labels as indices into the checkpoint's classes (which must hold its emotions)."""
    unknown = sorted(set(dataset.classes) - set(classes))
    if unknown:
        raise ValueError(f"{dataset.root} has emotions the model does not know: {', '.join(unknown)} "
                         f"(it knows {', '.join(classes)})")
    images, labels = load_arrays(dataset, size)
    to_model = np.array([classes.index(name) for name in dataset.classes], dtype=np.int64)
    return images, to_model[labels]


def _rehearsal(root, classes: list[str], size: int, wanted: int, seed: int) -> dict | None:
    """A balanced random draw of `wanted` training faces from the rehearsal set, and its test faces."""
    if root is None:
        return None
    dataset = load_dataset(root)
    images, labels = _arrays_in(dataset, classes, size)
    train, test = split_dataset(dataset, 0.2, seed)
    rng = np.random.default_rng(seed)
    per_class = max(1, wanted // len(np.unique(labels[train])))
    chosen = [rng.permutation(train[labels[train] == label])[:per_class] for label in np.unique(labels[train])]
    return {"images": images, "labels": labels, "train": np.sort(np.concatenate(chosen)), "test": test}


def _starting_point(checkpoint: dict) -> StartingPoint:
    model = create_model(checkpoint["arch"], len(checkpoint["classes"]))
    model.load_state_dict(checkpoint["state_dict"])
    return StartingPoint(model, [float(v) for v in checkpoint["mean"]], [float(v) for v in checkpoint["std"]])


@torch.inference_mode()
def _accuracy(model, rehearsal: dict, size: int, start: StartingPoint, device) -> float:
    """The fine-tuned model's accuracy on the rehearsal set's held-out faces: what it still reads of the old."""
    model.eval()
    mean = torch.tensor(start.mean, dtype=torch.float32, device=device)
    std = torch.tensor(start.std, dtype=torch.float32, device=device)
    test = rehearsal["test"]
    predicted = []
    for first in range(0, len(test), EVAL_BATCH_SIZE):
        batch = torch.from_numpy(rehearsal["images"][test[first:first + EVAL_BATCH_SIZE]]).to(device)
        x = normalize(batch.permute(0, 3, 1, 2).float().div_(255.0), mean, std)
        predicted.append(model(x).argmax(dim=1).cpu().numpy())
    return float(np.mean(np.concatenate(predicted) == rehearsal["labels"][test])) if predicted else 0.0


def _sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
