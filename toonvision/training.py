"""Training the emotion CNNs, and rerunning the dissertation's optimiser comparison.

``train`` writes four files next to each other, each atomically (temp file, then rename), and only after
training has finished, so a failed or interrupted run leaves none of them half-written:

- ``out``: the checkpoint (format in ``inference``);
- ``out.with_suffix(".json")``: the report (config, dataset, per-epoch history, final test metrics);
- ``<stem>.curves.png`` and ``<stem>.confusion.png``: learning curves and the test confusion matrix.

The **final** weights are kept, not the best epoch's: picking an epoch by test accuracy would tune on the
test set and overstate the reported accuracy (there is no separate validation set).

Optimisers and their default learning rates (Keras' 2017 defaults, which the dissertation used, except
SGD's momentum), used unless ``lr`` is given or the optimiser is the preset's own (then the preset's rate):

==========  ==========  =============================================
optimizer   default lr  notes
==========  ==========  =============================================
sgd         0.01        momentum 0.9
adadelta    1.0         rho 0.95, as Keras
adagrad     0.01
adam        0.001
adamw       0.001       decoupled weight decay (``toon`` uses 0.003)
rmsprop     0.001       alpha 0.9, as Keras
==========  ==========  =============================================

Weight decay: the preset's value with the preset's own optimiser; with another optimiser, 0 for presets
without decay (``seed``) and that optimiser's usual value (``DEFAULT_WEIGHT_DECAY``) otherwise. Decay
never applies to biases and BatchNorm parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .augment import augment_batch
from .datasets import FaceDataset, load_arrays, load_dataset, split_dataset
from .device import pick_device, seed_everything
from .evaluation import compute_metrics
from .inference import CHECKPOINT_FORMAT, CHECKPOINT_VERSION
from .models import Preset, create_model, get_preset, normalize
from .outputs import atomic_outputs
from .plots import plot_confusion, plot_learning_curves

OPTIMIZERS = ("sgd", "adadelta", "adagrad", "adam", "adamw", "rmsprop")
DISSERTATION_OPTIMIZERS = ("sgd", "adadelta", "adagrad", "adam", "rmsprop")
DEFAULT_LR = {"sgd": 0.01, "adadelta": 1.0, "adagrad": 0.01, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3}
DEFAULT_WEIGHT_DECAY = {"sgd": 5e-4, "adadelta": 5e-4, "adagrad": 5e-4, "adam": 5e-4, "adamw": 0.05, "rmsprop": 5e-4}
EVAL_BATCH_SIZE = 256

Log = Callable[[str], None]
OnEpoch = Callable[[dict], None]


@dataclass(frozen=True)
class TrainConfig:
    """Every hyper-parameter of one run, resolved from the preset and the caller's overrides."""

    arch: str
    optimizer: str
    lr: float
    epochs: int
    batch_size: int
    weight_decay: float
    label_smoothing: float
    augment: bool
    schedule: str
    normalization: str
    input_size: int
    seed: int


@dataclass
class TrainResult:
    """What ``train`` wrote and how the final model scored on the test split."""

    weights: Path
    report_path: Path
    curves_path: Path
    confusion_path: Path
    accuracy: float
    macro_f1: float
    history: list[dict]
    report: dict = field(repr=False)


@dataclass
class StartingPoint:
    """A trained model to fine-tune, with the input statistics it was trained with (kept: its layers expect them)."""

    model: nn.Module
    mean: list[float]
    std: list[float]


@dataclass
class FitResult:
    """A trained model with its history and final test metrics (nothing written)."""

    model: nn.Module
    config: TrainConfig
    mean: list[float]
    std: list[float]
    history: list[dict]
    metrics: dict
    device: str

    @property
    def seconds_per_epoch(self) -> float:
        return float(np.mean([row["seconds"] for row in self.history])) if self.history else 0.0


def resolve_config(arch: str = "toon", optimizer: str | None = None, epochs: int | None = None,
                   batch_size: int | None = None, lr: float | None = None, seed: int = 0) -> TrainConfig:
    """Fill the caller's None arguments from the preset (see the module docstring for the rules)."""
    preset = get_preset(arch)
    optimizer = (optimizer or preset.optimizer).lower()
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
    own = optimizer == preset.optimizer
    config = TrainConfig(
        arch=arch,
        optimizer=optimizer,
        lr=float(lr if lr is not None else preset.lr if own else DEFAULT_LR[optimizer]),
        epochs=int(epochs if epochs is not None else preset.epochs),
        batch_size=int(batch_size if batch_size is not None else preset.batch_size),
        weight_decay=_weight_decay(preset, optimizer),
        label_smoothing=preset.label_smoothing,
        augment=preset.augment,
        schedule=preset.schedule,
        normalization=preset.normalization,
        input_size=preset.input_size,
        seed=int(seed),
    )
    if config.epochs < 1 or config.batch_size < 1 or config.lr <= 0:
        raise ValueError(f"epochs and batch_size must be at least 1 and lr positive, got {config}")
    return config


def _weight_decay(preset: Preset, optimizer: str) -> float:
    if optimizer == preset.optimizer or preset.weight_decay == 0:
        return preset.weight_decay
    return DEFAULT_WEIGHT_DECAY[optimizer]


def make_optimizer(name: str, model: nn.Module, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """One of OPTIMIZERS over the model's parameters, decaying only weight matrices and kernels."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=0.9)
    if name == "adadelta":
        return torch.optim.Adadelta(groups, lr=lr, rho=0.95)
    if name == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=0.9)
    raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")


def make_schedule(
    optimizer: torch.optim.Optimizer, kind: str, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Per-batch learning-rate schedule: 'constant', or 'cosine' (5% linear warm-up, then cosine to zero)."""
    if kind == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    if kind != "cosine":
        raise ValueError(f"unknown schedule {kind!r}; expected 'constant' or 'cosine'")
    warmup = max(1, int(0.05 * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    # A LambdaLR works with every optimiser (OneCycleLR insists on momentum, which Adadelta lacks).
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def channel_stats(images: np.ndarray, chunk: int = 4096) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of uint8 N x H x W x 3 images, on the 0..1 scale, in chunks to bound memory."""
    total = np.zeros(3)
    squares = np.zeros(3)
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].reshape(-1, 3).astype(np.float64) / 255.0
        total += part.sum(axis=0)
        squares += (part**2).sum(axis=0)
    count = max(1, len(images) * images.shape[1] * images.shape[2])
    mean = total / count
    # Clamp: a constant channel (tiny synthetic sets) must not divide by zero.
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0)).clip(min=1 / 255)
    return mean.tolist(), std.tolist()


class TrainingRun:
    """A model, its optimiser and schedule, and the images (uint8, on the device) it learns from."""

    def __init__(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray, num_classes: int,
                 epoch_steps: int, mean: Sequence[float], std: Sequence[float], device: torch.device,
                 model: nn.Module | None = None, frozen_batchnorm: bool = False):
        self.config = config
        self.frozen_batchnorm = frozen_batchnorm
        self.device = device
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed input size: let cuDNN pick its fastest kernels
        self.images = torch.from_numpy(images).to(device)  # N x H x W x 3 uint8: 4x smaller than float
        self.labels = torch.from_numpy(labels).to(device)
        self.mean = torch.tensor(mean, dtype=torch.float32, device=device)
        self.std = torch.tensor(std, dtype=torch.float32, device=device)
        model = model if model is not None else create_model(config.arch, num_classes)
        self.model = model.to(device, memory_format=torch.channels_last)
        self.optimizer = make_optimizer(config.optimizer, self.model, config.lr, config.weight_decay)
        self.schedule = make_schedule(self.optimizer, config.schedule, config.epochs * epoch_steps)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        self.shuffle = torch.Generator().manual_seed(config.seed)
        # Augmentation draws on the batch's device, so a CUDA run does not ship noise over the bus.
        self.augment_rng = torch.Generator(device=device).manual_seed(config.seed + 1)

    def batches(self, indices: np.ndarray, batch_size: int, shuffle: bool) -> Iterator[torch.Tensor]:
        """Index batches; when shuffling, a ragged last batch is dropped (tiny batches upset BatchNorm)."""
        order = torch.from_numpy(np.asarray(indices, dtype=np.int64))
        if shuffle:
            order = order[torch.randperm(len(order), generator=self.shuffle)]
        stop = len(order) - len(order) % batch_size if shuffle and len(order) >= batch_size else len(order)
        for start in range(0, stop, batch_size):
            yield order[start : start + batch_size].to(self.device)

    def inputs(self, index: torch.Tensor, augment: bool) -> torch.Tensor:
        """Gather, scale to 0..1, optionally augment, and normalise one batch on the device."""
        x = self.images[index].permute(0, 3, 1, 2).float().div_(255.0)
        if augment:
            x = augment_batch(x, generator=self.augment_rng)
        return normalize(x, self.mean, self.std)

    def train_epoch(self, indices: np.ndarray, bar: tqdm | None = None) -> dict:
        """One pass over ``indices``; loss and accuracy are averaged over the (augmented) training batches."""
        self.model.train()
        if self.frozen_batchnorm:  # fine-tuning: keep the statistics the base model measured on thousands of faces
            for module in self.model.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        # Running sums stay on the device: reading them every step would stall a GPU once per batch.
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        seen = 0
        started = time.perf_counter()
        for step, index in enumerate(self.batches(indices, self.config.batch_size, shuffle=True), start=1):
            logits = self.model(self.inputs(index, augment=self.config.augment))
            loss = self.criterion(logits, self.labels[index])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.schedule.step()
            loss_sum += loss.detach() * len(index)
            correct += (logits.argmax(dim=1) == self.labels[index]).sum()
            seen += len(index)
            if bar is not None:
                bar.update(1)
                if step % 10 == 0:
                    bar.set_postfix(loss=f"{loss_sum.item() / seen:.3f}", acc=f"{correct.item() / seen:.3f}")
        loss_mean, accuracy = loss_sum.item() / max(1, seen), correct.item() / max(1, seen)  # waits for the device
        return {"loss": loss_mean, "accuracy": accuracy, "seconds": time.perf_counter() - started}

    @torch.inference_mode()
    def evaluate(self, indices: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss (same criterion as training, so the curves compare) and predicted labels."""
        self.model.eval()
        loss_sum, predictions = 0.0, []
        for index in self.batches(indices, EVAL_BATCH_SIZE, shuffle=False):
            logits = self.model(self.inputs(index, augment=False))
            loss_sum += self.criterion(logits, self.labels[index]).item() * len(index)
            predictions.append(logits.argmax(dim=1).cpu())
        labels = torch.cat(predictions).numpy() if predictions else np.zeros(0, dtype=np.int64)
        return loss_sum / max(1, len(indices)), labels


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Optimiser steps in one epoch, matching ``TrainingRun.batches`` (drop a ragged last batch)."""
    return max(1, n_train // batch_size) if n_train >= batch_size else 1


def fit(images: np.ndarray, labels: np.ndarray, classes: Sequence[str], train_idx: np.ndarray,
        test_idx: np.ndarray, config: TrainConfig, device: torch.device, progress: bool = True,
        log: Log = print, start: StartingPoint | None = None, on_epoch: OnEpoch | None = None) -> FitResult:
    """Train on ``train_idx`` for ``config.epochs``, scoring ``test_idx`` after every epoch; writes nothing.
    From scratch, or from ``start`` (fine-tuning: its model, its input statistics, its BatchNorm frozen).
    ``on_epoch`` gets each epoch's row (with ``epochs``, the total); an exception it raises stops training."""
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise ValueError(f"need training and test images, got {len(train_idx)} and {len(test_idx)}; add images")
    if len(classes) < 2:
        raise ValueError(f"need at least two emotions to learn, found only {', '.join(classes)}")
    seed_everything(config.seed)
    if start is not None:
        mean, std = start.mean, start.std
    elif config.normalization == "standardize":
        mean, std = channel_stats(images[train_idx])
    else:
        mean, std = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    steps = steps_per_epoch(len(train_idx), config.batch_size)
    run = TrainingRun(config, images, labels, len(classes), steps, mean, std, device,
                      model=start.model if start else None, frozen_batchnorm=start is not None)
    history: list[dict] = []
    for epoch in range(1, config.epochs + 1):
        with tqdm(total=steps, desc=f"{config.arch} epoch {epoch}/{config.epochs}", unit="batch",
                  disable=not progress, leave=False) as bar:
            trained = run.train_epoch(train_idx, bar)
        test_loss, predicted = run.evaluate(test_idx)
        row = {
            "epoch": epoch,
            "train_loss": trained["loss"],
            "train_accuracy": trained["accuracy"],
            "test_loss": test_loss,
            "test_accuracy": float(np.mean(predicted == labels[test_idx])),
            "seconds": trained["seconds"],
            "lr": run.optimizer.param_groups[0]["lr"],
        }
        history.append(row)
        if on_epoch is not None:
            on_epoch({**row, "epochs": config.epochs})
        log(f"{config.arch} epoch {epoch}/{config.epochs}: train loss {row['train_loss']:.4f} "
            f"acc {row['train_accuracy']:.3f} | test loss {row['test_loss']:.4f} acc {row['test_accuracy']:.3f} "
            f"| {row['seconds']:.1f}s")
    metrics = compute_metrics(labels[test_idx], predicted, classes)
    return FitResult(run.model, config, mean, std, history, metrics, str(device))


def train(dataset_dir: Path | str, out: Path | str, arch: str = "toon", optimizer: str | None = None,
          epochs: int | None = None, seed: int = 0, batch_size: int | None = None, lr: float | None = None,
          device=None, progress: bool = True, log: Log = print, test_fraction: float = 0.2,
          on_epoch: OnEpoch | None = None) -> TrainResult:
    """Train ``arch`` on a dataset folder and write weights, JSON report and two PNGs (see module docstring).

    The dataset's own training/testing split is used when it has one, else a stratified split holding out
    ``test_fraction`` (fixed by ``seed``). None arguments take the preset's defaults. All images are decoded
    once and held on the device as uint8 (12 KB per 64x64 face), so each batch is gathered there.
    """
    config = resolve_config(arch, optimizer, epochs, batch_size, lr, seed)
    paths = output_paths(out)
    device = pick_device(device)
    dataset = load_dataset(dataset_dir)
    images, labels = load_arrays(dataset, config.input_size)
    train_idx, test_idx = split_dataset(dataset, test_fraction, seed)
    log(f"training {arch} on {len(train_idx)} images, testing on {len(test_idx)} "
        f"({dataset.layout} layout, {', '.join(dataset.classes)}) with {config.optimizer} on {device}")
    result = fit(images, labels, dataset.classes, train_idx, test_idx, config, device, progress, log,
                 on_epoch=on_epoch)
    report = build_report(result, dataset, train_idx, test_idx, test_fraction, paths)
    checkpoint = build_checkpoint(result, dataset.classes, summary=_summary(report))
    with atomic_outputs(paths.values()) as temp:
        torch.save(checkpoint, temp[paths["weights"]])
        _write_json(temp[paths["report"]], report)
        title = f"{arch} / {config.optimizer}: test accuracy {result.metrics['accuracy']:.3f}"
        plot_learning_curves(result.history, temp[paths["curves"]], title=title)
        plot_confusion(result.metrics["confusion"], dataset.classes, temp[paths["confusion"]], title=title)
    log(f"test accuracy {result.metrics['accuracy']:.4f}, macro F1 {result.metrics['macro_f1']:.4f}; "
        f"wrote {paths['weights']}")
    return TrainResult(paths["weights"], paths["report"], paths["curves"], paths["confusion"],
                       result.metrics["accuracy"], result.metrics["macro_f1"], result.history, report)


def output_paths(out: Path | str) -> dict[str, Path]:
    """The four files ``train`` writes for weights path ``out``."""
    out = Path(out)
    if out.suffix.lower() in (".json", ".png"):
        raise ValueError(f"weights path {out} would clash with the report or charts; use e.g. {out.stem}.pt")
    return {
        "weights": out,
        "report": out.with_suffix(".json"),
        "curves": out.with_name(f"{out.stem}.curves.png"),
        "confusion": out.with_name(f"{out.stem}.confusion.png"),
    }


def build_checkpoint(result: FitResult, classes: Sequence[str], summary: dict) -> dict:
    """The checkpoint dict (format documented in ``inference``), with CPU tensors and plain Python values."""
    state = {k: v.detach().to("cpu", memory_format=torch.contiguous_format).clone()
             for k, v in result.model.state_dict().items()}
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "arch": result.config.arch,
        "classes": list(classes),
        "input_size": result.config.input_size,
        "state_dict": state,
        "mean": [float(v) for v in result.mean],
        "std": [float(v) for v in result.std],
        "trained": summary,
    }


def build_report(result: FitResult, dataset: FaceDataset, train_idx: np.ndarray, test_idx: np.ndarray,
                 test_fraction: float, paths: dict[str, Path]) -> dict:
    """Everything about a run as plain JSON-able data."""
    def counts(indices: np.ndarray) -> dict[str, int]:
        found = Counter(dataset.samples[i].emotion for i in indices)
        return {c: found[c] for c in dataset.classes}

    return {
        "format": "toonsite-emotion-report",
        "version": 1,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "arch": result.config.arch,
        "optimizer": result.config.optimizer,
        "epochs": result.config.epochs,
        "seed": result.config.seed,
        "device": result.device,
        "torch": str(torch.__version__),  # TorchVersion would not load with weights_only
        "config": asdict(result.config),
        "dataset": dataset.summary(),
        "split": {
            "source": "dataset folders" if dataset.has_own_split else f"stratified, test_fraction {test_fraction}",
            "train": counts(train_idx),
            "test": counts(test_idx),
            "n_train": int(len(train_idx)),
            "n_test": int(len(test_idx)),
        },
        "history": result.history,
        "seconds_per_epoch": result.seconds_per_epoch,
        "accuracy": result.metrics["accuracy"],
        "macro_f1": result.metrics["macro_f1"],
        "test": result.metrics,
        "skipped": [[str(p), reason] for p, reason in dataset.skipped],
        "kept_weights": "final epoch",
        "outputs": {name: path.name for name, path in paths.items()},
    }


def _summary(report: dict) -> dict:
    """The report's headline numbers, stored in the checkpoint's "trained" entry."""
    return {
        "created": report["created"],
        "arch": report["arch"],
        "optimizer": report["optimizer"],
        "lr": report["config"]["lr"],
        "epochs": report["epochs"],
        "batch_size": report["config"]["batch_size"],
        "seed": report["seed"],
        "device": report["device"],
        "torch": report["torch"],
        "dataset": report["dataset"]["root"],
        "layout": report["dataset"]["layout"],
        "n_train": report["split"]["n_train"],
        "n_test": report["split"]["n_test"],
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "seconds_per_epoch": report["seconds_per_epoch"],
    }


def compare_optimizers(dataset_dir: Path | str, out_dir: Path | str, arch: str = "seed",
                       optimizers: Sequence[str] = DISSERTATION_OPTIMIZERS, runs: int = 3, epochs: int | None = None,
                       seed: int = 0, batch_size: int | None = None, device=None, progress: bool = False,
                       log: Log = print, test_fraction: float = 0.2, on_epoch: OnEpoch | None = None) -> dict:
    """Rerun the dissertation's experiment: each optimiser ``runs`` times; writes optimizers.json and .md.
    ``on_epoch`` gets every epoch's row with ``optimizer``, ``run`` (1-based), ``runs`` and ``optimizers``.

    Run r uses seed ``seed + r`` for the split, initialisation and shuffling of every optimiser, so the
    optimisers are compared on identical footing within a run. Std is the sample std (0 for one run).
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    configs = {name: resolve_config(arch, name, epochs, batch_size, None, seed) for name in optimizers}
    device = pick_device(device)
    dataset = load_dataset(dataset_dir)
    images, labels = load_arrays(dataset, get_preset(arch).input_size)
    results: dict[str, dict] = {}
    for name, config in configs.items():
        per_run = []
        for r in range(runs):
            run_config = TrainConfig(**{**asdict(config), "seed": seed + r})
            train_idx, test_idx = split_dataset(dataset, test_fraction, seed + r)
            log(f"{name}: run {r + 1}/{runs} (seed {seed + r})")
            tell = None if on_epoch is None else (
                lambda row, name=name, r=r: on_epoch({**row, "optimizer": name, "run": r + 1, "runs": runs,
                                                      "optimizers": list(configs)}))
            fitted = fit(images, labels, dataset.classes, train_idx, test_idx, run_config, device, progress, log,
                         on_epoch=tell)
            per_run.append({"seed": seed + r, "accuracy": fitted.metrics["accuracy"],
                            "macro_f1": fitted.metrics["macro_f1"], "seconds_per_epoch": fitted.seconds_per_epoch,
                            "history": fitted.history})
        results[name] = {"lr": config.lr, **_aggregate(per_run), "runs": per_run}
    summary = {
        "arch": arch,
        "epochs": next(iter(configs.values())).epochs if configs else epochs,
        "runs": runs,
        "seed": seed,
        "device": str(device),
        "dataset": dataset.summary(),
        "results": results,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "optimizers.json", out_dir / "optimizers.md"
    with atomic_outputs([json_path, md_path]) as temp:
        _write_json(temp[json_path], summary)
        temp[md_path].write_text(optimizer_table(summary), encoding="utf-8")
    return summary


def _aggregate(per_run: list[dict]) -> dict:
    """Mean and sample std of accuracy and macro F1, mean seconds per epoch."""
    def mean_std(key: str) -> tuple[float, float]:
        values = np.array([r[key] for r in per_run], dtype=np.float64)
        return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0

    acc_mean, acc_std = mean_std("accuracy")
    f1_mean, f1_std = mean_std("macro_f1")
    return {"accuracy_mean": acc_mean, "accuracy_std": acc_std, "macro_f1_mean": f1_mean, "macro_f1_std": f1_std,
            "seconds_per_epoch": float(np.mean([r["seconds_per_epoch"] for r in per_run]))}


def optimizer_table(summary: dict) -> str:
    """The comparison as a Markdown table, best mean accuracy first."""
    lines = [
        f"# Optimiser comparison: `{summary['arch']}`, {summary['epochs']} epochs, {summary['runs']} run(s) each",
        "",
        f"Dataset `{summary['dataset']['root']}` ({summary['dataset']['layout']} layout, "
        f"{summary['dataset']['n']} images: {', '.join(summary['dataset']['classes'])}), device {summary['device']}.",
        "",
        "| optimizer | lr | test accuracy | macro F1 | s/epoch | runs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ranked = sorted(summary["results"].items(), key=lambda item: -item[1]["accuracy_mean"])
    for name, r in ranked:
        lines.append(f"| {name} | {r['lr']:g} | {r['accuracy_mean']:.3f} ± {r['accuracy_std']:.3f} | "
                     f"{r['macro_f1_mean']:.3f} ± {r['macro_f1_std']:.3f} | {r['seconds_per_epoch']:.2f} | "
                     f"{len(r['runs'])} |")
    return "\n".join(lines) + "\n"


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(_json_safe(data), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _json_safe(value):
    """Replace NaN and infinities (a diverged run's losses) with None, which JSON can hold."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
