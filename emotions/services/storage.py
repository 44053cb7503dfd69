"""Media storage for the services: stored files as local paths, writes under exact names, deletes that log
instead of failing, file checksums (cached by size and modification time), and the upload spool's sweep."""
from __future__ import annotations

import hashlib
import logging
import shutil
import time
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from toonsite.storage import PARTIAL_PREFIX, stored_file_local_path  # noqa: F401 (re-exported for the services)

logger = logging.getLogger(__name__)


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


def upload_spool_sweep(*, older_than: float = 0.0) -> list[Path]:
    """Remove what is in the upload spool (FILE_UPLOAD_TEMP_DIR, a folder of the site's own) and was last written
    over `older_than` seconds ago: the spooled uploads of a web process killed mid-request. The paths removed."""
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    if not spool.is_dir():
        return []
    removed, cutoff = [], time.time() - older_than
    for entry in sorted(spool.iterdir()):
        try:
            if entry.lstat().st_mtime > cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue  # gone meanwhile: its request finished
        removed.append(entry)
    return removed


def media_partials_sweep(*, older_than: float = 3600.0) -> list[Path]:
    """Remove the hidden partial files (toonsite.storage's `.partial-*`) that a process killed mid-write left in
    MEDIA_ROOT, last written over `older_than` seconds ago: a live write finishes or removes its own long before.
    The paths removed."""
    media = Path(settings.MEDIA_ROOT)
    if not media.is_dir():
        return []
    removed, cutoff = [], time.time() - older_than
    for entry in sorted(media.rglob(f"{PARTIAL_PREFIX}*")):
        try:
            if entry.is_file() and not entry.is_symlink() and entry.lstat().st_mtime <= cutoff:
                entry.unlink()
                removed.append(entry)
        except FileNotFoundError:
            continue  # linked into place or removed meanwhile
    return removed
