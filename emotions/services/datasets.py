"""Datasets in and out: the site's labelled faces exported in the dissertation's layout, and labelled datasets
imported (a ZIP upload or a server folder, in any layout toonvision.datasets knows) as DatasetFace rows.

Export: `<character>/<emotion>/{training,testing}/<face>.png` and `manifest.csv`. Each picture is the face as the
CNN reads it (the centre of its stored crop at the run's CNN margin, at native resolution, not resized): the loader
resizes whatever it is given to the input size, so a dataset of these trains on the very framing the CNN sees in
segmentation; the native crop's wider margin would teach another one. Each face's split is fixed by a hash of its
id (20% testing), so two exports of the same faces agree and models trained on them compare on the same test faces.

Import is all or nothing: a bad ZIP, an unsafe member name, a ZIP that unpacks past its limits, an unknown emotion
folder, no images or one unreadable image refuses the lot and keeps nothing; an image the dataset already holds
(same pixels) is skipped, so importing twice adds nothing.
"""
from __future__ import annotations

import csv
import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import cv2
import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify

from emotions.exceptions import DatasetRefused
from emotions.models import DatasetFace, Detection
from emotions.services.archives import ArchiveRefused, zip_images
from emotions.services.references import spreadsheet_safe
from emotions.services.storage import storage_delete, storage_put
from toonvision.crops import cnn_square, crop_decode
from toonvision.datasets import DatasetError, load_dataset
from toonvision.emotions import EMOTIONS
from toonvision.images import ImageError, read_image
from toonvision.segmentation import crop_margins

TEST_SHARE = 20  # percent of faces in the testing split
MANIFEST_FIELDS = ["face", "episode", "title", "time", "frame", "character", "emotion", "source", "confidence",
                   "box", "split", "file"]
SPLIT_FOLDERS = {DatasetFace.Split.TRAINING: "training", DatasetFace.Split.TESTING: "testing"}
_LOADER_SPLITS = {"train": DatasetFace.Split.TRAINING, "test": DatasetFace.Split.TESTING, None: None}


def face_split(*, detection_id: int) -> str:
    """A face's split, fixed by its id: the same in every export."""
    digest = hashlib.sha256(f"toonsite-split:{detection_id}".encode()).digest()
    return DatasetFace.Split.TESTING if int.from_bytes(digest[:4], "big") % 100 < TEST_SHARE else \
        DatasetFace.Split.TRAINING


def dataset_export_faces(*, confident: float | None = None):
    """The faces an export holds: every published face a person labelled with an emotion, and with `confident`,
    the model's own faces at or above that confidence; those with a stored crop only."""
    faces = Detection.objects.published().exclude(crop="")
    if confident is not None:
        if not 0 <= confident <= 1:
            raise DatasetRefused(f"--confident must be a probability between 0 and 1, not {confident}",
                                 code="bad_confidence")
        faces = faces.filter(labelled=True) | faces.filter(labelled=False, confidence__gte=confident)
    else:
        faces = faces.filter(labelled=True)
    return faces.select_related("character", "episode", "run").order_by("character__slug", "emotion", "pk")


def dataset_zip_write(*, out: BinaryIO, confident: float | None = None) -> dict:
    """Write the export to `out`; returns {"faces", "training", "testing", "skipped"} (skipped: crops missing
    from storage or unreadable, left out and counted)."""
    counts = {"faces": 0, DatasetFace.Split.TRAINING: 0, DatasetFace.Split.TESTING: 0, "skipped": 0}
    rows = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as pack:  # PNGs do not compress further
        for detection in dataset_export_faces(confident=confident).iterator(chunk_size=500):
            image = _cnn_face(detection)
            if image is None:
                counts["skipped"] += 1
                continue
            split = face_split(detection_id=detection.pk)
            name = (f"{detection.character.slug}/{detection.emotion}/{SPLIT_FOLDERS[split]}/"
                    f"{detection.pk}-e{detection.episode_id}-f{detection.frame}.png")
            pack.writestr(name, cv2.imencode(".png", image)[1].tobytes())
            rows.append(_manifest_row(detection, split, name))
            counts["faces"] += 1
            counts[split] += 1
        pack.writestr("manifest.csv", _manifest_csv(rows), compress_type=zipfile.ZIP_DEFLATED)
    return counts


def _cnn_face(detection: Detection) -> np.ndarray | None:
    try:
        with default_storage.open(detection.crop.name, "rb") as handle:
            crop = crop_decode(handle.read())
    except OSError:
        return None
    if crop is None:
        return None
    stored, cnn = crop_margins(detection.run.method, detection.run.options)
    return cnn_square(crop, stored_margin=stored, cnn_margin=cnn)


def _manifest_row(detection: Detection, split: str, name: str) -> dict:
    return {
        "face": detection.pk, "episode": detection.episode_id, "title": detection.episode.title,
        "time": round(detection.time, 3), "frame": detection.frame, "character": detection.character.slug,
        "emotion": detection.emotion, "source": "label" if detection.labelled else "model",
        "confidence": round(detection.confidence, 4), "box": f"{detection.x},{detection.y},{detection.w},{detection.h}",
        "split": split, "file": name,
    }


def _manifest_csv(rows: list[dict]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
    return text.getvalue()


# -- import ---------------------------------------------------------------------------------------------------------
@dataclass
class Imported:
    """What an import did: its dataset's name, the layout found, faces added, and those it already had."""

    dataset: str
    layout: str
    added: int = 0
    already: int = 0
    counts: dict = field(default_factory=dict)


def dataset_name_check(*, name: str) -> str:
    """The dataset's name as stored (a slug); DatasetRefused when nothing of it is left."""
    slug = slugify(name)[:64]
    if not slug:
        raise DatasetRefused(f"{name!r} cannot name a dataset: use letters, digits, - or _", code="bad_name")
    return slug


def dataset_import_folder(*, root: Path | str, name: str | None = None, user=None) -> Imported:
    """Import the labelled images under a server folder (any of the loader's three layouts)."""
    root = Path(root)
    return _import(_unwrapped(root), dataset_name_check(name=name or root.name), user, shown=str(root))


def dataset_import_zip(*, upload, name: str | None = None, user=None) -> Imported:
    """Import an uploaded ZIP of a dataset (any of the loader's layouts, at its root or inside one folder)."""
    source = getattr(upload, "name", "") or "dataset.zip"
    slug = dataset_name_check(name=name or PurePosixPath(source).stem)
    with tempfile.TemporaryDirectory(prefix="toonsite-dataset-") as tmp:
        _unzip(upload, source, Path(tmp))
        return _import(_unwrapped(Path(tmp)), slug, user, shown=source)


def _unzip(upload, source: str, into: Path) -> None:
    """Unpack the ZIP's images under `into` (services.archives reads it safely, within the dataset limits)."""
    codes = {"unreadable": "not_a_zip", "no_images": "no_images", "too_many": "too_many", "too_large": "too_large",
             "unsafe_name": "unsafe_name"}
    try:
        for path, data in zip_images(upload, source, max_files=settings.MAX_DATASET_FILES,
                                     budget=settings.MAX_DATASET_UNPACKED_BYTES,
                                     total_limit=settings.MAX_DATASET_UNPACKED_BYTES):
            target = into.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except ArchiveRefused as error:
        raise DatasetRefused(str(error), code=codes[error.kind]) from None


def _unwrapped(root: Path) -> Path:
    """The dataset's own folder: `root`, or the one folder it holds when the layouts start one level down (a ZIP
    of a folder) — that is, when nothing under `root` is an emotion folder but something two levels down is."""
    if not root.is_dir():
        return root
    top = [d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "__MACOSX"))]
    if len(top) != 1 or _has_emotions(top[0]):
        return root
    second = [d for d in top[0].iterdir() if d.is_dir()]
    return top[0] if any(_has_emotions(d) for d in second) and not any(_has_emotions(d) for d in top) else root


def _has_emotions(folder: Path) -> bool:
    return folder.is_dir() and any(d.is_dir() and d.name.lower() in EMOTIONS for d in folder.iterdir())


def _import(root: Path, slug: str, user, shown: str) -> Imported:
    """Import the dataset under root (shown as `shown` in messages: a ZIP's name, never a temporary folder)."""
    try:
        dataset = load_dataset(root)
    except DatasetError as error:
        raise DatasetRefused(str(error).replace(str(root), shown), code="bad_layout") from None
    if dataset.skipped:
        path, reason = dataset.skipped[0]
        raise DatasetRefused(f"{shown}: {_relative(path, root)}: {reason}", code="not_an_image")
    result = Imported(dataset=slug, layout=dataset.layout)
    known = set(DatasetFace.objects.filter(dataset=slug).values_list("sha256", flat=True))
    pending: list[tuple[DatasetFace, bytes]] = []
    for sample in dataset.samples:
        try:
            image = read_image(sample.path)
        except ImageError as error:
            raise DatasetRefused(f"{shown}: {str(error).replace(str(root) + '/', '')}", code="not_an_image") from None
        digest = hashlib.sha256(f"{image.shape}".encode() + image.tobytes()).hexdigest()
        if digest in known:
            result.already += 1
            continue
        known.add(digest)
        pending.append((DatasetFace(
            dataset=slug, character=(sample.character or "")[:64], emotion=sample.emotion,
            split=_LOADER_SPLITS[sample.split] or DatasetFace.Split.TRAINING, sha256=digest,
            source_name=_relative(sample.path, root)[:255], created_by=user,
        ), cv2.imencode(".png", image)[1].tobytes()))
    _save(pending)
    result.added = len(pending)
    for face, _ in pending:
        result.counts[face.emotion] = result.counts.get(face.emotion, 0) + 1
    return result


def _save(pending: list[tuple[DatasetFace, bytes]]) -> None:
    """Store the images and their rows together: when a row cannot be written, no image is left behind."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            for face, data in pending:
                name = storage_put(f"datasets/{face.dataset}/{face.sha256[:2]}/{face.sha256}.png", data)
                stored.append(name)
                face.image.name = name
            DatasetFace.objects.bulk_create([face for face, _ in pending], batch_size=1000)
    except BaseException:
        storage_delete(stored)
        raise


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return Path(path).name
