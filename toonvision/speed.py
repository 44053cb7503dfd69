"""Speed measurements for BENCHMARKS: training seconds per epoch and inference faces per second."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Sequence

import numpy as np
import torch

from .device import pick_device, seed_everything
from .emotions import EMOTIONS
from .inference import EmotionClassifier
from .models import count_parameters, create_model, get_preset
from .training import TrainingRun, resolve_config, steps_per_epoch


def measure_speed(arch: str, images: np.ndarray, labels: np.ndarray, epochs: int = 2,
                  batch_sizes: Sequence[int] = (1, 256), repeats: int = 20, device=None, seed: int = 0) -> dict:
    """Training s/epoch on ``images`` and inference faces/s per batch size for one preset, as plain data.

    ``images`` are uint8 N x S x S x 3 BGR at the preset's input size; ``labels`` index the first
    ``labels.max() + 1`` emotions. Each figure is a median over repeats after a warm-up. Inference runs in the
    precision the classifier picks here (device.inference_dtype), and again in float32 when that is another.
    """
    device = pick_device(device)
    num_classes = int(labels.max()) + 1
    model = create_model(arch, num_classes)

    def classifier(precision: str) -> EmotionClassifier:
        return EmotionClassifier(model, EMOTIONS[:num_classes], arch, get_preset(arch).input_size,
                                 [0.5] * 3, [0.25] * 3, device=device, precision=precision)

    chosen, exact = classifier("auto"), classifier("fp32")

    def inference(c: EmotionClassifier) -> dict:
        return {f"batch_{b}": measure_inference(c, images, b, repeats=repeats) for b in batch_sizes}

    return {
        "arch": arch,
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "parameters": count_parameters(model),
        "weights_bytes": state_dict_bytes(model),
        "train": measure_training(arch, images, labels, epochs=epochs, device=device, seed=seed),
        "precision": chosen.precision,
        "inference": inference(chosen),
        "inference_fp32": inference(exact) if chosen.precision != "fp32" else None,
    }


def measure_training(arch: str, images: np.ndarray, labels: np.ndarray, epochs: int = 2, batch_size: int | None = None,
                     device=None, seed: int = 0) -> dict:
    """Median seconds per training epoch (the preset's batch size, augmentation and optimiser) over ``epochs``."""
    device = pick_device(device)
    config = resolve_config(arch, epochs=epochs, batch_size=batch_size, seed=seed)
    indices = np.arange(len(images))
    seed_everything(seed)
    run = TrainingRun(config, images, labels, int(labels.max()) + 1, steps_per_epoch(len(indices), config.batch_size),
                      [0.5] * 3, [0.25] * 3, device)
    # Warm-up: the first steps build oneDNN/cuDNN kernels and would inflate the first epoch.
    run.train_epoch(indices[: min(len(indices), 4 * config.batch_size)])
    seconds = [run.train_epoch(indices)["seconds"] for _ in range(epochs)]
    per_epoch = statistics.median(seconds)
    return {"images": len(images), "batch_size": config.batch_size, "seconds_per_epoch": per_epoch,
            "images_per_second": len(images) / per_epoch if per_epoch > 0 else float("inf")}


def measure_inference(classifier: EmotionClassifier, images: np.ndarray, batch_size: int, repeats: int = 20,
                      warmup: int = 3) -> dict:
    """Median faces per second of ``classifier.predict_proba`` (preprocessing included) at one batch size."""
    batch = np.resize(images, (batch_size, *images.shape[1:])) if len(images) < batch_size else images[:batch_size]
    for _ in range(warmup):
        classifier.predict_proba(batch, batch_size=batch_size)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        classifier.predict_proba(batch, batch_size=batch_size)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    return {"batch_size": batch_size, "repeats": repeats, "median_seconds": median,
            "faces_per_second": batch_size / median if median > 0 else float("inf")}


def state_dict_bytes(model: torch.nn.Module) -> int:
    """Size of the model's saved float32 state_dict."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell()
