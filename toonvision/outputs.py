"""Writing results all at once or not at all."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_outputs(paths) -> Iterator[dict[Path, Path]]:
    """Map each final path to a temp name beside it; rename them all into place only if the block succeeds."""
    token = uuid.uuid4().hex[:8]
    temps: dict[Path, Path] = {}
    for path in map(Path, paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        temps[path] = path.with_name(f".{path.name}.{token}.tmp")  # same folder, so the rename is atomic
    try:
        yield temps
        for path, temp in temps.items():
            os.replace(temp, path)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
