"""Shared fixtures for the vision tests: tiny cv2-drawn datasets, one per layout, and a small trained model."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

# The vision core never resolves the repository's layout: its tests name the shipped files themselves.
REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CASCADES = REPO_ROOT / "cascades"  # the shipped cast: cast.json and its XML files
SHIPPED_WEIGHTS = REPO_ROOT / "emotions" / "weights" / "toon.pt"  # the shipped default emotion model

# One clearly different shape per emotion, so a small CNN can learn them in a few epochs.
SHAPES = {
    "angry": "square",
    "happy": "circle",
    "surprise": "triangle",
    "sad": "bar",
    "fear": "cross",
    "disgust": "ring",
    "neutral": "diamond",
}


def draw_face(emotion: str, rng: np.random.Generator, size: int = 32) -> np.ndarray:
    """A BGR image of the emotion's shape, with random colours, position and size."""
    background = rng.integers(0, 90, 3)
    image = np.empty((size, size, 3), np.uint8)
    image[:] = background
    colour = tuple(int(c) for c in rng.integers(150, 256, 3))
    cx, cy = (int(v) for v in size / 2 + rng.integers(-size // 10, size // 10 + 1, 2))
    r = int(size * rng.uniform(0.25, 0.35))
    shape = SHAPES[emotion]
    if shape == "square":
        cv2.rectangle(image, (cx - r, cy - r), (cx + r, cy + r), colour, -1)
    elif shape == "circle":
        cv2.circle(image, (cx, cy), r, colour, -1)
    elif shape == "triangle":
        cv2.fillPoly(image, [np.array([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], np.int32)], colour)
    elif shape == "bar":
        cv2.rectangle(image, (cx - r, cy - r // 4), (cx + r, cy + r // 4), colour, -1)
    elif shape == "cross":
        cv2.line(image, (cx - r, cy - r), (cx + r, cy + r), colour, max(2, size // 12))
        cv2.line(image, (cx - r, cy + r), (cx + r, cy - r), colour, max(2, size // 12))
    elif shape == "ring":
        cv2.circle(image, (cx, cy), r, colour, max(2, size // 12))
    else:
        cv2.fillPoly(image, [np.array([(cx, cy - r), (cx - r, cy), (cx, cy + r), (cx + r, cy)], np.int32)], colour)
    return image


def write_dataset(root: Path, layout: str = "emotion", emotions=("angry", "happy", "surprise"), per_class: int = 6,
                  characters=("tom", "jerry"), seed: int = 0, size: int = 32) -> Path:
    """Write a tiny dataset in one of the three layouts; per_class counts per character (and per split)."""
    rng = np.random.default_rng(seed)
    folders = []
    for emotion in emotions:
        if layout == "emotion":
            folders.append((root / emotion, emotion))
        for character in characters if layout != "emotion" else ():
            base = root / character / emotion
            if layout == "character/emotion":
                folders.append((base, emotion))
            else:
                folders += [(base / "training", emotion), (base / "testing", emotion)]
    for folder, emotion in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            cv2.imwrite(str(folder / f"{i:03d}.png"), draw_face(emotion, rng, size))
    return root


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny models run fastest on one thread, and the test machine's cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def make_dataset():
    """The ``write_dataset`` helper: make_dataset(root, layout, emotions=..., per_class=..., ...)."""
    return write_dataset


@pytest.fixture
def flat_dataset(tmp_path) -> Path:
    return write_dataset(tmp_path / "flat", "emotion")


@pytest.fixture(scope="session")
def trained_seed(tmp_path_factory) -> Path:
    """A 'seed' model trained for 2 epochs on three shapes: weights path (with its report and charts beside it)."""
    from toonvision.training import train

    data = write_dataset(tmp_path_factory.mktemp("train") / "data", "emotion", per_class=10, seed=1)
    out = tmp_path_factory.mktemp("model") / "seed.pt"
    train(data, out, arch="seed", epochs=2, batch_size=8, progress=False, log=lambda message: None)
    return out
