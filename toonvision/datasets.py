"""One loader for the three folder layouts of labelled face images.

Layouts, detected automatically from the folder names:

- ``emotion``: ``DIR/<emotion>/*`` (no characters, no split);
- ``character/emotion``: ``DIR/<character>/<emotion>/*`` (what the studio writes);
- ``character/emotion/split``: the dissertation's ``DIR/<character>/<emotion>/{training,testing}/*``,
  whose ``testing`` folders are the held-out split (``train``/``test`` are accepted too; a plain
  ``DIR/<emotion>/{training,testing}/*`` is honoured the same way, under the ``emotion`` layout).

Emotion folder names are matched case-insensitively against ``EMOTIONS``. A top-level folder named after an
emotion means the ``emotion`` layout, so no character may be called e.g. "happy".
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from .emotions import EMOTIONS, emotion_order
from .images import IMAGE_SUFFIXES, ImageError, is_image_path, read_image

log = logging.getLogger(__name__)

LAYOUT_EMOTION = "emotion"
LAYOUT_CHARACTER = "character/emotion"
LAYOUT_SPLIT = "character/emotion/split"
LAYOUTS = (LAYOUT_EMOTION, LAYOUT_CHARACTER, LAYOUT_SPLIT)

# Folder names of the dissertation's split, and the split each one means.
SPLIT_FOLDERS = {"training": "train", "train": "train", "testing": "test", "test": "test"}

Split = Literal["train", "test"]


class DatasetError(ValueError):
    """A dataset folder that cannot be used: missing, wrongly laid out, or without images."""


@dataclass(frozen=True)
class Sample:
    """One labelled image file."""

    path: Path
    emotion: str
    character: str | None = None
    split: Split | None = None


@dataclass
class FaceDataset:
    """The labelled images found under ``root``; ``skipped`` lists (path, reason) for images that were left out."""

    root: Path
    layout: str
    samples: list[Sample]
    classes: list[str]
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def characters(self) -> list[str]:
        """The characters present, sorted (empty for the ``emotion`` layout)."""
        return sorted({s.character for s in self.samples if s.character is not None})

    @property
    def has_own_split(self) -> bool:
        """True when the folders themselves say which images are held out for testing."""
        return any(s.split is not None for s in self.samples)

    def counts(self) -> dict[str, int]:
        """Number of images per emotion, in class order."""
        return {c: sum(1 for s in self.samples if s.emotion == c) for c in self.classes}

    def summary(self) -> dict:
        """Plain-data description for reports: root, layout, counts, characters, splits, skipped."""
        splits = {name: sum(1 for s in self.samples if s.split == name) for name in ("train", "test")}
        return {
            "root": str(self.root),
            "layout": self.layout,
            "n": len(self.samples),
            "classes": list(self.classes),
            "counts": self.counts(),
            "characters": self.characters,
            "own_split": splits if self.has_own_split else None,
            "skipped": [[str(p), reason] for p, reason in self.skipped],
        }


def load_dataset(root: Path | str) -> FaceDataset:
    """List the labelled images under ``root`` (layout detected); images are not decoded here."""
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"dataset folder {root} does not exist")
    if not root.is_dir():
        raise DatasetError(f"dataset path {root} is not a folder")
    top = _subfolders(root)
    if not top:
        raise DatasetError(
            f"dataset folder {root} is empty: expected {root}/<emotion>/ or {root}/<character>/<emotion>/ folders"
        )
    if any(_emotion_name(d) for d in top):
        layout, samples, skipped = LAYOUT_EMOTION, *_scan_emotions(root, character=None)
    else:
        layout, samples, skipped = _scan_characters(root, top)
    splits = {s.split is not None for s in samples}
    if len(splits) == 2:
        raise DatasetError(
            f"dataset folder {root} mixes emotion folders that have training/testing sub-folders with ones that "
            "do not; use one layout throughout"
        )
    if not samples:
        unreadable = f"; {len(skipped)} unreadable file(s) skipped" if skipped else ""
        raise DatasetError(
            f"dataset folder {root} has no images (looked for {', '.join(sorted(IMAGE_SUFFIXES))} files "
            f"in its emotion folders){unreadable}"
        )
    for path, reason in skipped:
        log.warning("skipping %s: %s", path, reason)
    classes = emotion_order({s.emotion for s in samples})
    return FaceDataset(root=root, layout=layout, samples=samples, classes=classes, skipped=skipped)


def load_arrays(dataset: FaceDataset, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode every image once, resized to size x size: (uint8 N x size x size x 3 **BGR**, int64 labels).

    Labels index ``dataset.classes``. Images that fail to decode are removed from ``dataset.samples`` and
    added to ``dataset.skipped`` (with a logged warning), so the arrays stay aligned with ``dataset.samples``;
    call ``split_dataset`` after this.
    """
    # OpenCV decodes without holding the GIL, so threads decode in parallel.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        decoded = list(pool.map(lambda sample: _decode_resized(sample.path, size), dataset.samples))
    kept: list[Sample] = []
    images: list[np.ndarray] = []
    for sample, (image, reason) in zip(dataset.samples, decoded, strict=True):
        if image is None:
            log.warning("skipping %s: %s", sample.path, reason)
            dataset.skipped.append((sample.path, reason))
            continue
        kept.append(sample)
        images.append(image)
    if not kept:
        raise DatasetError(f"dataset folder {dataset.root} has no readable images")
    dataset.samples = kept
    dataset.classes = emotion_order({s.emotion for s in kept})
    index = {c: i for i, c in enumerate(dataset.classes)}
    labels = np.array([index[s.emotion] for s in kept], dtype=np.int64)
    return np.stack(images), labels


def _decode_resized(path: Path, size: int) -> tuple[np.ndarray | None, str]:
    """(resized image, "") or (None, why it could not be read)."""
    try:
        return resize_square(read_image(path), size), ""
    except ImageError as exc:
        return None, str(exc).removeprefix(f"{path}: ")


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Resize to size x size with INTER_AREA (the right filter for the usual downscaling of face crops)."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def split_dataset(dataset: FaceDataset, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted (train_indices, test_indices) into ``dataset.samples``.

    The dataset's own split when its folders define one; otherwise a stratified split holding out
    ``test_fraction`` of each emotion (at least one image of every emotion with two or more), fixed by ``seed``.
    """
    if dataset.has_own_split:
        test = np.array([i for i, s in enumerate(dataset.samples) if s.split == "test"], dtype=np.int64)
        train = np.array([i for i, s in enumerate(dataset.samples) if s.split != "test"], dtype=np.int64)
        return train, test
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    test_parts = []
    for emotion in dataset.classes:
        members = np.array([i for i, s in enumerate(dataset.samples) if s.emotion == emotion], dtype=np.int64)
        n_test = _held_out_count(len(members), test_fraction)
        test_parts.append(rng.permutation(members)[:n_test])
    test = np.sort(np.concatenate(test_parts)) if test_parts else np.zeros(0, dtype=np.int64)
    train = np.setdiff1d(np.arange(len(dataset.samples), dtype=np.int64), test)
    return train, test


def _held_out_count(n: int, test_fraction: float) -> int:
    """Images of one class to hold out: the rounded fraction, but never all of them and at least one of two."""
    if n < 2:
        return 0
    return int(min(max(round(n * test_fraction), 1), n - 1))


def _subfolders(folder: Path) -> list[Path]:
    """Visible sub-folders, sorted so that scans are deterministic."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _emotion_name(folder: Path) -> str | None:
    """The canonical emotion a folder name means, or None."""
    name = folder.name.strip().lower()
    return name if name in EMOTIONS else None


def _unknown_emotion(folder: Path) -> DatasetError:
    return DatasetError(
        f"unknown emotion folder {folder.name!r} ({folder}); "
        f"emotion folders must be named one of: {', '.join(EMOTIONS)}"
    )


def _scan_characters(root: Path, characters: list[Path]) -> tuple[str, list[Sample], list[tuple[Path, str]]]:
    """Scan DIR/<character>/<emotion>/... and tell whether the emotion folders hold a training/testing split."""
    samples: list[Sample] = []
    skipped: list[tuple[Path, str]] = []
    for character in characters:
        found, bad = _scan_emotions(character, character=character.name)
        if not found and not bad and not _subfolders(character):
            log.warning("character folder %s has no emotion folders", character)
        samples += found
        skipped += bad
    split_seen = any(s.split is not None for s in samples)
    return (LAYOUT_SPLIT if split_seen else LAYOUT_CHARACTER), samples, skipped


def _scan_emotions(folder: Path, character: str | None) -> tuple[list[Sample], list[tuple[Path, str]]]:
    """Scan folder/<emotion>/* or folder/<emotion>/{training,testing}/*."""
    samples: list[Sample] = []
    skipped: list[tuple[Path, str]] = []
    for emotion_dir in _subfolders(folder):
        emotion = _emotion_name(emotion_dir)
        if emotion is None:
            raise _unknown_emotion(emotion_dir)
        split_dirs = _subfolders(emotion_dir)
        if split_dirs:
            found, bad = _scan_split_folders(emotion_dir, split_dirs, emotion, character)
        else:
            found, bad = _scan_images(emotion_dir, emotion, character, split=None)
        if not found and not bad:
            log.warning("emotion folder %s has no images", emotion_dir)
        samples += found
        skipped += bad
    return samples, skipped


def _scan_split_folders(emotion_dir: Path, split_dirs: list[Path], emotion: str, character: str | None):
    """Scan <emotion>/{training,testing}/*: the dissertation's own train/test split."""
    loose = [p for p in emotion_dir.iterdir() if p.is_file() and is_image_path(p)]
    if loose:
        raise DatasetError(f"{emotion_dir} holds images beside its training/testing folders; move them into one")
    samples: list[Sample] = []
    skipped: list[tuple[Path, str]] = []
    for split_dir in split_dirs:
        split = SPLIT_FOLDERS.get(split_dir.name.lower())
        if split is None:
            raise DatasetError(
                f"unexpected folder {split_dir.name!r} in {emotion_dir}; inside an emotion folder only "
                "'training' and 'testing' folders are allowed"
            )
        found, bad = _scan_images(split_dir, emotion, character, split=split)
        samples += found
        skipped += bad
    return samples, skipped


def _scan_images(folder: Path, emotion: str, character: str | None, split: Split | None):
    """List one folder's image files; empty files are skipped here, corrupt ones when decoded."""
    samples: list[Sample] = []
    skipped: list[tuple[Path, str]] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or not is_image_path(path):
            continue
        if path.stat().st_size == 0:
            skipped.append((path, "empty file"))
            continue
        samples.append(Sample(path=path, emotion=emotion, character=character, split=split))
    return samples, skipped
