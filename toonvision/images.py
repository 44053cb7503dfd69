"""Reading image files into the package's one image format: uint8 H x W x 3 BGR numpy arrays."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})

_JPEG_MAGIC = b"\xff\xd8\xff"


class ImageError(ValueError):
    """An image file that is missing, empty, corrupt or not an image at all."""


def is_image_path(path: Path | str) -> bool:
    """True for a visible file name ending in one of IMAGE_SUFFIXES (any case)."""
    path = Path(path)
    return not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES


def read_image(path: Path | str, alpha: bool = False) -> np.ndarray:
    """Decode an image file into a uint8 H x W x 3 BGR array (H x W x 4 BGRA when alpha and it has
    transparency); raise ImageError naming the file otherwise."""
    path = Path(path)
    # np.fromfile + imdecode instead of cv2.imread: imread silently fails on non-ASCII paths on Windows.
    return decode_image(_read_bytes(path), source=path, alpha=alpha)


def decode_image(data: bytes | np.ndarray, source: Path | str = "image", alpha: bool = False) -> np.ndarray:
    """Decode an encoded image (a file's contents) into uint8 H x W x 3 BGR, judging the content, not a name;
    with alpha, an image with an alpha channel stays uint8 H x W x 4 BGRA."""
    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes | bytearray | memoryview) else data
    if buffer.size == 0:
        raise ImageError(f"{source}: empty file")
    flags = cv2.IMREAD_COLOR if _is_jpeg(buffer) else cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:  # some decoders raise instead of returning None on truncated data
        raise ImageError(f"{source}: not a readable image (the decoder failed: corrupt or truncated)") from exc
    if image is None or image.size == 0:
        raise ImageError(f"{source}: not a readable image (corrupt, truncated or an unsupported format)")
    if alpha and image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(_to_uint8(image, f"{source}: "))
    return to_bgr(image, source=source)


def _is_jpeg(buffer: np.ndarray) -> bool:
    """JPEGs carry no alpha, so they decode in colour mode, which also applies their EXIF rotation."""
    return bytes(buffer[:3]) == _JPEG_MAGIC


def to_bgr(image: np.ndarray, source: Path | str | None = None) -> np.ndarray:
    """Normalise a decoded or caller-supplied image to uint8 H x W x 3 BGR (gray, BGRA and 16-bit accepted)."""
    name = f"{source}: " if source is not None else ""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)) or min(image.shape[:2]) == 0:
        raise ImageError(f"{name}expected an H x W, H x W x 3 or H x W x 4 image, got shape {image.shape}")
    image = _to_uint8(image, name)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return _composite_on_white(image)
    return np.ascontiguousarray(image)


def _read_bytes(path: Path) -> np.ndarray:
    """Read a file's bytes, turning the usual filesystem failures into ImageError."""
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if not path.is_file():
        raise ImageError(f"{path}: not a file")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if data.size == 0:
        raise ImageError(f"{path}: empty file")
    return data


def _to_uint8(image: np.ndarray, name: str) -> np.ndarray:
    """Scale 16-bit and float images into uint8 so every caller sees one dtype."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        # Float images (EXR, float TIFF) are taken as 0..1 intensities.
        return (np.clip(np.nan_to_num(image), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    raise ImageError(f"{name}unsupported pixel type {image.dtype}")


def _composite_on_white(bgra: np.ndarray) -> np.ndarray:
    """Flatten a BGRA image onto white: transparent pixels' stored colours are arbitrary (often black)."""
    alpha = bgra[:, :, 3:4].astype(np.float32) / 255.0
    bgr = bgra[:, :, :3].astype(np.float32)
    return (bgr * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
