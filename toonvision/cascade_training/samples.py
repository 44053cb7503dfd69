"""Reading the training images: positives as window-sized gray patches, negatives as whole gray images."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..images import ImageError, is_image_path, read_image
from .params import CascadeTrainingError


def image_files(folder: Path | str, role: str) -> list[Path]:
    """The image files directly in ``folder`` (sorted), or a clear error when there are none."""
    folder = Path(folder)
    if not folder.exists():
        raise CascadeTrainingError(f"{role} folder {folder} does not exist")
    if not folder.is_dir():
        raise CascadeTrainingError(f"{role} folder {folder} is not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p))
    if not files:
        raise CascadeTrainingError(f"{role} folder {folder} contains no images (png, jpg, ...)")
    return files


def read_gray_images(folder: Path | str, role: str) -> tuple[list[np.ndarray], list[Path], list[tuple[str, str]]]:
    """Every readable image in ``folder`` as uint8 gray, the files they came from, and (file, reason) skips."""
    images, used, skipped = [], [], []
    files = image_files(folder, role)
    for path in files:
        try:
            images.append(cv2.cvtColor(read_image(path), cv2.COLOR_BGR2GRAY))
            used.append(path)
        except ImageError as error:
            skipped.append((str(path), str(error)))
    if not images:
        raise CascadeTrainingError(f"none of the {len(files)} images in {role} folder {folder} could be read; "
                                   f"first problem: {skipped[0][1]}")
    return images, used, skipped


def read_colour_images(folder: Path | str, role: str, alpha: bool = False) -> list[np.ndarray]:
    """Every image in ``folder`` as uint8 BGR (BGRA when alpha and the file has transparency); a clear
    error naming the file when any cannot be read, and when there are none."""
    images = []
    for path in image_files(folder, role):
        try:
            images.append(read_image(path, alpha=alpha))
        except ImageError as error:
            raise CascadeTrainingError(f"{role}: {error}") from None
    return images


def to_window(gray: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a crop to the window: INTER_AREA when shrinking (no aliasing), INTER_LINEAR when enlarging."""
    shrinking = gray.shape[1] > width or gray.shape[0] > height
    return cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def positive_patches(images: list[np.ndarray], width: int, height: int, flip: bool) -> np.ndarray:
    """N x H x W uint8 patches, followed by their mirror images when ``flip`` (faces turn both ways)."""
    patches = np.stack([to_window(image, width, height) for image in images])
    return np.concatenate([patches, patches[:, :, ::-1]]) if flip else patches
