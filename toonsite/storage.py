"""The media storage and the upload spool. The storage is Django's FileSystemStorage, except that a file appears
under its name only once it is whole: each write goes to a hidden partial file beside it and is linked into place
when complete, so a write that fails (the disk full) leaves nothing behind and no reader ever sees a truncated
file. Likewise an upload that cannot be spooled leaves no partial copy."""
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadhandler import TemporaryFileUploadHandler

PARTIAL_PREFIX = ".partial-"
# The process's umask, read once: reading it means setting it, which must not race other threads' file creation.
_UMASK = os.umask(0)
os.umask(_UMASK)


class MediaStorage(FileSystemStorage):
    def _save(self, name, content):
        full_path = Path(self.path(name))
        full_path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=PARTIAL_PREFIX, dir=full_path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    out.write(chunk.encode() if isinstance(chunk, str) else chunk)
            if self.file_permissions_mode is not None:
                os.chmod(partial, self.file_permissions_mode)
            else:  # mkstemp makes 0600; a normal save honours the umask
                os.chmod(partial, 0o666 & ~_UMASK)
            while True:
                try:
                    os.link(partial, full_path)  # never replaces a file already there (O_EXCL's rule)
                    break
                except FileExistsError:
                    if self._allow_overwrite:
                        os.replace(partial, full_path)
                        break
                    name = self.get_available_name(name)
                    full_path = Path(self.path(name))
        finally:
            if os.path.lexists(partial):
                os.unlink(partial)
        self._ensure_location_group_id(str(full_path))
        return os.path.relpath(full_path, self.location).replace("\\", "/")


class SpoolUploadHandler(TemporaryFileUploadHandler):
    """Django's handler that spools a large upload to FILE_UPLOAD_TEMP_DIR, except that a chunk it cannot write (the
    disk full) deletes the partial file there and then (Django's own leaves it until the request is collected)."""

    def receive_data_chunk(self, raw_data, start):
        try:
            return super().receive_data_chunk(raw_data, start)
        except BaseException:
            try:
                self.file.close()  # a NamedTemporaryFile: closing it deletes it
            except OSError:
                pass
            raise


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
