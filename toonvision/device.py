"""The one place that decides where tensors live, in what precision inference runs, and how runs are seeded."""

from __future__ import annotations

import random

import numpy as np
import torch


def pick_device(prefer: str | torch.device | None = None) -> torch.device:
    """The requested device, else CUDA when available, else CPU; asking for an absent CUDA is an error."""
    if prefer is None or str(prefer) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(prefer)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {prefer!r} was requested but CUDA is not available here; use 'cpu' or leave it unset")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {prefer!r} was requested but MPS is not available here; use 'cpu' or leave it unset")
    return device


PRECISIONS = ("auto", "fp32", "bf16")


def inference_dtype(device: torch.device, precision: str = "auto") -> torch.dtype:
    """The dtype a network's convolutions run in at inference on ``device``.

    "auto" is bfloat16 where the hardware does it natively (CUDA devices that support it; CPUs with AVX512-BF16
    or AMX, through oneDNN) and float32 elsewhere: on these EPYC cores it runs the emotion CNN about twice as
    fast with the same predictions (BENCHMARKS.md, "Emotion CNN"). "fp32" and "bf16" force one.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}")
    if precision != "auto":
        return torch.bfloat16 if precision == "bf16" else torch.float32
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if device.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return torch.float32


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch (every CUDA device too); returns a CPU generator seeded the same."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds all CUDA devices
    return torch.Generator().manual_seed(seed)
