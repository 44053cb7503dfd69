"""Loading trained weights and classifying face images.

Checkpoint format (a dict saved with ``torch.save``; loads with ``torch.load(weights_only=True)``)::

    {"format": "toonsite-emotion-cnn", "version": 1,
     "arch": "toon" | "seed",            # a key of models.PRESETS
     "classes": ["angry", ...],          # output order, canonical emotion names
     "input_size": 64,                   # square side the images are resized to
     "mean": [b, g, r], "std": [b, g, r],  # per-channel, on pixels scaled to 0..1, BGR order
     "state_dict": {...},                # float32 CPU tensors
     "trained": {...}}                   # summary of the training run (plain data)

Models see BGR images, as OpenCV decodes them: (pixels / 255 - mean) / std, channels first.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .datasets import resize_square
from .device import inference_dtype, pick_device
from .emotions import EMOTIONS
from .images import to_bgr
from .models import PRESETS, create_model, fuse_for_inference, to_model_input

CHECKPOINT_FORMAT = "toonsite-emotion-cnn"
CHECKPOINT_VERSION = 1


class WeightsError(ValueError):
    """A weights file that is missing, corrupt, or not a ToonSite emotion checkpoint."""


class EmotionClassifier:
    """A trained emotion CNN on a device, with the preprocessing its checkpoint prescribes."""

    def __init__(self, model: torch.nn.Module, classes: Sequence[str], arch: str, input_size: int,
                 mean: Sequence[float], std: Sequence[float], device=None, info: dict | None = None,
                 precision: str = "auto"):
        self._device = pick_device(device)
        # bfloat16 autocast where the hardware has it (device.inference_dtype): weights stay float32, and the
        # probabilities differ from float32's by under 0.01, with the same emotion chosen.
        self._dtype = inference_dtype(self._device, precision)
        # Channels-last memory and folded BatchNorm: the two cheapest speed-ups for conv nets at inference.
        self._model = fuse_for_inference(model).to(self._device, memory_format=torch.channels_last)
        self._classes = tuple(classes)
        self._arch = arch
        self._input_size = int(input_size)
        self._mean = torch.tensor(mean, dtype=torch.float32, device=self._device)
        self._std = torch.tensor(std, dtype=torch.float32, device=self._device)
        self.info = dict(info or {})

    @classmethod
    def load(cls, path: Path | str, device=None, precision: str = "auto") -> EmotionClassifier:
        """Load a checkpoint written by ``training.train``; raise WeightsError if it is not one."""
        return cls.from_checkpoint(read_checkpoint(path), device=device, source=path, precision=precision)

    @classmethod
    def from_checkpoint(cls, checkpoint: dict, device=None, source: Path | str = "checkpoint",
                        precision: str = "auto") -> EmotionClassifier:
        """Build a classifier from an in-memory checkpoint dict (see the module docstring)."""
        _check_checkpoint(checkpoint, source)
        model = create_model(checkpoint["arch"], len(checkpoint["classes"]))
        try:
            model.load_state_dict(checkpoint["state_dict"])
        except (RuntimeError, KeyError, TypeError) as exc:
            raise WeightsError(f"{source}: weights do not fit the {checkpoint['arch']!r} model: {exc}") from exc
        return cls(model, checkpoint["classes"], checkpoint["arch"], checkpoint["input_size"],
                   checkpoint["mean"], checkpoint["std"], device=device, info=checkpoint.get("trained"),
                   precision=precision)

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    @property
    def arch(self) -> str:
        return self._arch

    @property
    def input_size(self) -> int:
        return self._input_size

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def precision(self) -> str:
        """What the convolutions run in: "bf16" or "fp32"."""
        return "bf16" if self._dtype == torch.bfloat16 else "fp32"

    @property
    def model(self) -> torch.nn.Module:
        """The network as run here: eval mode, BatchNorm folded into the convs."""
        return self._model

    def predict_proba(self, images, batch_size: int = 256) -> np.ndarray:
        """Probabilities (N x len(classes), float32) for BGR uint8 images of any size (a list or N x H x W x 3)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        images = _as_image_list(images)
        out = np.zeros((len(images), len(self._classes)), dtype=np.float32)
        autocast = torch.autocast(self._device.type, dtype=self._dtype, enabled=self._dtype != torch.float32)
        with torch.inference_mode(), autocast:
            for start in range(0, len(images), batch_size):
                batch = self._prepare(images[start : start + batch_size])
                logits = self._model(batch)
                out[start : start + len(logits)] = torch.softmax(logits.float(), dim=1).cpu().numpy()
        return out

    def predict(self, images, batch_size: int = 256) -> list[tuple[str, float]]:
        """The most likely emotion and its probability, per image."""
        probabilities = self.predict_proba(images, batch_size=batch_size)
        best = probabilities.argmax(axis=1)
        return [(self._classes[i], float(p[i])) for i, p in zip(best, probabilities, strict=True)]

    def _prepare(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        """Resize on the CPU (cv2), then convert and normalise on the model's device."""
        size = self._input_size
        stacked = np.stack([resize_square(to_bgr(image), size) for image in images])
        batch = torch.from_numpy(stacked).to(self._device, non_blocking=True)
        return to_model_input(batch, self._mean, self._std)


def read_checkpoint(path: Path | str) -> dict:
    """torch.load a checkpoint safely (weights_only) onto the CPU; WeightsError when that is impossible."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"weights file {path} not found")
    if not path.is_file():
        raise WeightsError(f"weights path {path} is not a file")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt files fail in many ways: pickle, zip, EOF, unsafe-global errors
        first_line = (str(exc).strip().splitlines() or [""])[0]
        raise WeightsError(
            f"{path} is not a readable weights file (corrupt, truncated or not a checkpoint): "
            f"{type(exc).__name__}: {first_line}"
        ) from exc
    _check_checkpoint(checkpoint, path)
    return checkpoint


def _check_checkpoint(checkpoint, source) -> None:
    """Raise WeightsError unless ``checkpoint`` has this module's format, a known arch and known emotions."""
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise WeightsError(f"{source} is not a ToonSite emotion checkpoint (no format {CHECKPOINT_FORMAT!r})")
    version = checkpoint.get("version")
    if version != CHECKPOINT_VERSION:
        raise WeightsError(f"{source} has checkpoint version {version!r}; this code reads version {CHECKPOINT_VERSION}")
    missing = [k for k in ("arch", "classes", "input_size", "state_dict", "mean", "std") if k not in checkpoint]
    if missing:
        raise WeightsError(f"{source} lacks {', '.join(missing)}")
    if checkpoint["arch"] not in PRESETS:
        raise WeightsError(f"{source} is for unknown model {checkpoint['arch']!r}; known: {', '.join(PRESETS)}")
    classes = list(checkpoint["classes"])
    if not classes or any(c not in EMOTIONS for c in classes):
        raise WeightsError(f"{source} has classes {classes}; expected names from {', '.join(EMOTIONS)}")
    if len(checkpoint["mean"]) != 3 or len(checkpoint["std"]) != 3:
        raise WeightsError(f"{source} needs 3 mean and 3 std values")


def _as_image_list(images) -> list[np.ndarray]:
    """Accept one N x H x W x 3 array or a sequence of images."""
    if isinstance(images, np.ndarray):
        if images.ndim == 4:
            return list(images)
        raise ValueError(f"expected a list of images or an N x H x W x 3 array, got an array of shape {images.shape}")
    return list(images)
