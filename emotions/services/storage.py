"""Media storage for the services: stored files as local paths, writes under exact names, deletes that log
instead of failing, and file checksums (cached by size and modification time)."""
from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


@contextmanager
def stored_file_local_path(name: str) -> Iterator[Path]:
    """A stored file as a local path: itself on a local filesystem storage, else a temporary copy."""
    try:
        local = default_storage.path(name)
    except NotImplementedError:
        local = None
    if local is not None:
        yield Path(local)
        return
    with tempfile.TemporaryDirectory(prefix="toonsite-media-") as folder:
        path = Path(folder) / Path(name).name
        with default_storage.open(name, "rb") as source, open(path, "wb") as out:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                out.write(chunk)
        yield path



def portable_path(path: Path) -> str:
    """A path relative to the project when it is inside it, so hosts with other checkouts find it too."""
    try:
        return str(path.resolve().relative_to(settings.BASE_DIR.resolve()))
    except ValueError:
        return str(path)


def file_stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise OSError(f"no weights file {path}") from None
    return stat.st_size, stat.st_mtime_ns


@lru_cache(maxsize=8)
def file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def storage_put(name: str, data: bytes) -> str:
    """Write bytes under exactly this name (replacing a leftover of an earlier attempt); the stored name."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def detection_file_names(detections) -> set[str]:
    names = set()
    for crop, frame in detections.values_list("crop", "frame_image"):
        names.update(n for n in (crop, frame) if n)
    return names


def storage_delete(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError as error:
            logger.warning("could not delete %s: %s", name, error)
