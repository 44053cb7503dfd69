"""Images out of an uploaded ZIP, read safely: the one place example uploads and dataset imports unpack archives.

A ZIP bomb declares small sizes or none, so each member is read with a cap rather than trusted; names that point
outside the archive (absolute, `..`, a drive) and symbolic links are refused; folders, macOS resource forks and
hidden files are skipped. Problems are raised as ArchiveRefused with a `kind`, which each caller turns into its own
refusal (and error code)."""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from toonvision.images import is_image_path

KINDS = ("unreadable", "no_images", "too_many", "too_large", "unsafe_name")


class ArchiveRefused(ValueError):
    """A ZIP that is refused; `kind` is one of KINDS and the message a sentence for the user."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def zip_images(upload, source: str, *, max_files: int, budget: int, total_limit: int,
               hint: str = "") -> Iterator[tuple[PurePosixPath, bytes]]:
    """(path inside the ZIP, bytes) of each image it holds, unpacking no more than `budget` bytes in all (the
    message names `total_limit`, the setting behind the budget) and no member over MAX_IMAGE_UPLOAD_BYTES."""
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ArchiveRefused(f"{source} is not a readable ZIP ({error})", "unreadable") from None
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    with archive:
        members = _image_members(archive, source)
        if not members:
            raise ArchiveRefused(f"{source} holds no images (PNG, JPEG, WebP, BMP, ...)", "no_images")
        if len(members) > max_files:
            raise ArchiveRefused(f"{source} holds {len(members)} images; at most {max_files} at once", "too_many")
        for member, path in members:
            try:
                with archive.open(member) as handle:
                    data = handle.read(min(limit, budget) + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
                raise ArchiveRefused(f"{source}: {member.filename} cannot be unpacked ({error})",
                                     "unreadable") from None
            if len(data) > budget:
                raise ArchiveRefused(f"{source} unpacks to more than {filesizeformat(total_limit)}{hint}", "too_large")
            if len(data) > limit:
                raise ArchiveRefused(f"{source}: {member.filename} is over {filesizeformat(limit)} once unpacked",
                                     "too_large")
            budget -= len(data)
            yield path, data


def _image_members(archive: zipfile.ZipFile, source: str) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    members = []
    for member in archive.infolist():
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise ArchiveRefused(f"{source}: {member.filename!r} points outside the ZIP", "unsafe_name")
        if (member.external_attr >> 16) & 0o170000 == 0o120000:
            raise ArchiveRefused(f"{source}: {member.filename!r} is a symbolic link", "unsafe_name")
        if not member.is_dir() and is_image_path(path.name) and "__MACOSX" not in path.parts \
                and not path.name.startswith("."):
            members.append((member, path))
    return members
