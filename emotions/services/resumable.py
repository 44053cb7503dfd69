"""Resumable episode uploads (the tus protocol's server side): an upload is created with its length, its bytes
arrive in any number of appends that each start where the last stopped, and a connection lost mid-way costs only
the append under way. The complete file becomes an episode through episode_upload, all or nothing.

Each upload is a folder under RESUMABLE_UPLOAD_DIR named by a random id: `info.json` (owner, length, name,
title, created) and `data` (the bytes so far; its size is the offset). Files rather than rows, because the bytes
are files anyway and the folder is all a sweep needs to remove. An append holds an exclusive lock on `data`, so two
requests for one upload never interleave. Several web hosts need the folder on a shared filesystem.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import File

from emotions.exceptions import EpisodeRejected, ResumableUploadConflict, ResumableUploadMissing, storage_full_refused
from emotions.models import Episode
from emotions.services.episodes import episode_upload


@dataclass(frozen=True)
class ResumableUpload:
    id: str
    owner_id: int
    length: int
    name: str
    title: str
    created: float
    offset: int = 0

    @property
    def complete(self) -> bool:
        return self.offset == self.length


def resumable_create(*, owner, length: int, name: str, title: str = "") -> ResumableUpload:
    """Start an upload of `length` bytes; refused (413) over MAX_EPISODE_UPLOAD_BYTES, or when empty."""
    limit = settings.MAX_EPISODE_UPLOAD_BYTES
    shown = Path(name or "").name or "episode"
    if length > limit:
        raise EpisodeRejected(f"{shown} is {length / 2**20:.1f} MiB; the largest episode accepted is "
                              f"{limit / 2**20:.1f} MiB", code="too_large")
    if length < 1:
        raise EpisodeRejected(f"{shown} is empty", code="empty")
    upload = ResumableUpload(id=uuid.uuid4().hex, owner_id=owner.pk, length=length, name=shown,
                             title=(title or "").strip()[:200], created=time.time())
    folder = _folder(upload.id)
    with storage_full_refused(shown):
        folder.mkdir(parents=True)
        (folder / "data").touch()
        (folder / "info.json").write_text(json.dumps({k: v for k, v in asdict(upload).items() if k != "offset"}))
    return upload


def resumable_get(*, owner, upload_id: str) -> ResumableUpload:
    """The upload with its offset; someone else's, an expired or an unknown one is ResumableUploadMissing."""
    folder = _folder(upload_id)
    try:
        info = json.loads((folder / "info.json").read_text())
        offset = (folder / "data").stat().st_size
    except (OSError, ValueError):
        raise ResumableUploadMissing() from None
    upload = ResumableUpload(**info, offset=offset)
    if upload.owner_id != owner.pk or _expired(upload):
        raise ResumableUploadMissing()
    return upload


def resumable_append(*, owner, upload_id: str, offset: int, chunks: Iterable[bytes]) -> tuple[ResumableUpload,
                                                                                               Episode | None]:
    """Append the bytes to the upload, which must be at `offset` (409 otherwise). Bytes past the declared length
    are refused and not kept. Once complete, the file becomes an episode (episode_upload: kept and queued, or
    refused with nothing kept) and the upload is gone either way. (the upload, the episode or None)."""
    upload = resumable_get(owner=owner, upload_id=upload_id)
    data = _folder(upload_id) / "data"
    with open(data, "r+b") as out, storage_full_refused(upload.name):
        try:
            fcntl.flock(out, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResumableUploadConflict("another request is sending this upload's bytes now") from None
        current = os.fstat(out.fileno()).st_size
        if offset != current:
            raise ResumableUploadConflict(f"the upload is at byte {current}, not {offset}: send from there")
        out.seek(current)
        written = _append(out, chunks, start=current, upload=upload)
        out.flush()
        os.fsync(out.fileno())
    upload = ResumableUpload(**{**asdict(upload), "offset": current + written})
    if not upload.complete:
        return upload, None
    try:
        with open(data, "rb") as handle:
            episode = episode_upload(owner=owner, file=_SpooledFile(handle, upload.name, data), title=upload.title)
    finally:
        _remove(upload_id)
    return upload, episode


def resumable_delete(*, owner, upload_id: str) -> None:
    """Give up an upload (the tus termination): its bytes are removed."""
    resumable_get(owner=owner, upload_id=upload_id)
    _remove(upload_id)


def resumable_sweep() -> list[Path]:
    """Remove the uploads not completed within RESUMABLE_UPLOAD_EXPIRY_SECONDS; the folders removed."""
    root = Path(settings.RESUMABLE_UPLOAD_DIR)
    if not root.is_dir():
        return []
    cutoff, removed = time.time() - settings.RESUMABLE_UPLOAD_EXPIRY_SECONDS, []
    for folder in sorted(root.iterdir()):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.lstat().st_mtime <= cutoff \
                    and (folder / "data").stat().st_mtime <= cutoff:
                shutil.rmtree(folder)
                removed.append(folder)
        except FileNotFoundError:
            continue
    return removed


def resumable_expires(upload: ResumableUpload) -> float:
    """When an unfinished upload is swept (seconds since the epoch)."""
    return upload.created + settings.RESUMABLE_UPLOAD_EXPIRY_SECONDS


class _SpooledFile(File):
    """The assembled upload as a Django File that episode_upload hashes and probes where it lies."""

    def __init__(self, handle, name: str, path: Path):
        super().__init__(handle, name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def _append(out, chunks: Iterable[bytes], *, start: int, upload: ResumableUpload) -> int:
    """Write the chunks from `start`; the count written. A connection lost mid-way keeps what arrived (the
    client resumes from there); bytes past the declared length refuse the whole request's bytes."""
    written = 0
    for chunk in chunks:
        if start + written + len(chunk) > upload.length:
            out.truncate(start)
            raise EpisodeRejected(f"more bytes were sent than the {upload.length} declared for {upload.name}",
                                  code="too_large")
        out.write(chunk)
        written += len(chunk)
    return written


def _expired(upload: ResumableUpload) -> bool:
    return time.time() > resumable_expires(upload)


def _folder(upload_id: str) -> Path:
    try:
        canonical = uuid.UUID(hex=upload_id).hex
    except (TypeError, ValueError):
        raise ResumableUploadMissing() from None
    if canonical != upload_id:
        raise ResumableUploadMissing()
    return Path(settings.RESUMABLE_UPLOAD_DIR) / canonical


def _remove(upload_id: str) -> None:
    shutil.rmtree(_folder(upload_id), ignore_errors=True)
