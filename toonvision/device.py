"""The one place that decides where tensors live, and how runs are seeded."""

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


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch (every CUDA device too); returns a CPU generator seeded the same."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds all CUDA devices
    return torch.Generator().manual_seed(seed)
