"""Datasets in and out: the labelled faces exported in the dissertation's layout read back through import as the
same faces and labels; imports in every layout, twice adding nothing; bad ZIPs refused with nothing kept."""
import csv
import hashlib
import io
import zipfile

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from emotions.exceptions import DatasetRefused
from emotions.models import DatasetFace, Detection
from emotions.services.datasets import (
    dataset_import_folder,
    dataset_import_zip,
    dataset_zip_write,
    face_split,
)
from tests.factories import labelled_studio_faces
from tests.factories import png_noise as png
from tests.factories import zip_bytes as zip_of
from toonvision.crops import STORED_CROP_MARGIN, cnn_square
from toonvision.segmentation import FastOptions


@pytest.fixture
def labelled(db, media):
    return labelled_studio_faces()


def export(**kwargs) -> zipfile.ZipFile:
    out = io.BytesIO()
    dataset_zip_write(out=out, **kwargs)
    out.seek(0)
    return zipfile.ZipFile(out)


def upload(data: bytes, name="faces.zip"):
    return ContentFile(data, name=name)


@pytest.mark.django_db
def test_an_export_reads_back_through_import_as_the_same_faces_and_labels(labelled):
    pack = export()
    mine = [d for d in labelled if d.labelled]
    rows = list(csv.DictReader(io.StringIO(pack.read("manifest.csv").decode())))
    assert len(rows) == len(mine) and {r["source"] for r in rows} == {"label"}
    for row in rows:
        d = next(f for f in mine if f.pk == int(row["face"]))
        split = face_split(detection_id=d.pk)
        assert row["file"] == f"{d.character.slug}/{d.emotion}/{split}/{d.pk}-e{d.episode_id}-f{d.frame}.png"
        assert (row["emotion"], row["split"], row["box"]) == (d.emotion, split, f"{d.x},{d.y},{d.w},{d.h}")
        # The face as the CNN reads it: the centre of the stored crop at the CNN's margin, native size.
        crop = cv2.imdecode(np.frombuffer(default_storage.open(d.crop.name).read(), np.uint8), cv2.IMREAD_COLOR)
        expected = cnn_square(crop, stored_margin=STORED_CROP_MARGIN, cnn_margin=FastOptions().crop_margin)
        got = cv2.imdecode(np.frombuffer(pack.read(row["file"]), np.uint8), cv2.IMREAD_COLOR)
        assert np.array_equal(got, expected)
    splits = [r["split"] for r in rows]
    assert "testing" in splits and "training" in splits

    pack.fp.seek(0)
    done = dataset_import_zip(upload=upload(pack.fp.read(), "site-labels.zip"))
    assert (done.dataset, done.layout, done.added, done.already) == ("site-labels", "character/emotion/split",
                                                                     len(mine), 0)
    imported = {(f.character, f.emotion, f.split) for f in DatasetFace.objects.all()}
    assert sorted((f.character, f.emotion, f.split) for f in DatasetFace.objects.all()) == sorted(
        (r["character"], r["emotion"], r["split"]) for r in rows) and imported
    for face in DatasetFace.objects.all():
        image = cv2.imdecode(np.frombuffer(default_storage.open(face.image.name).read(), np.uint8), cv2.IMREAD_COLOR)
        assert face.sha256 == hashlib.sha256(f"{image.shape}".encode() + image.tobytes()).hexdigest()
        assert np.array_equal(image, cv2.imdecode(np.frombuffer(pack.read(face.source_name), np.uint8),
                                                  cv2.IMREAD_COLOR))

    pack.fp.seek(0)
    again = dataset_import_zip(upload=upload(pack.fp.read(), "site-labels.zip"))
    assert (again.added, again.already) == (0, len(mine)) and DatasetFace.objects.count() == len(mine)


@pytest.mark.django_db
def test_the_split_is_fixed_per_face_and_confident_adds_the_model_s_faces(labelled):
    first = sorted(export().namelist())
    assert first == sorted(export().namelist())
    assert sum(face_split(detection_id=n) == "testing" for n in range(10_000)) == pytest.approx(2000, abs=150)
    with_model = export(confident=0.9)
    rows = list(csv.DictReader(io.StringIO(with_model.read("manifest.csv").decode())))
    assert {r["source"] for r in rows} == {"label", "model"}
    assert len(rows) == len(labelled)  # the unlabelled faces are the confident ones
    Detection.objects.filter(pk=labelled[0].pk).update(rejected=True)  # "not a face": never in a dataset
    assert str(labelled[0].pk) not in {r["face"] for r in csv.DictReader(io.StringIO(
        export(confident=0.9).read("manifest.csv").decode()))}
    with pytest.raises(DatasetRefused, match="between 0 and 1"):
        export(confident=1.5)


@pytest.mark.django_db
@pytest.mark.parametrize("layout, files", [
    ("emotion", {"happy/a.png": png(1), "sad/b.png": png(2)}),
    ("character/emotion", {"pip/happy/a.png": png(1), "pip/sad/b.png": png(2)}),
    ("character/emotion/split", {"pip/happy/training/a.png": png(1), "pip/sad/testing/b.png": png(2)}),
])
def test_every_layout_the_loader_knows_imports_from_a_folder(media, tmp_path, layout, files):
    root = tmp_path / "cartoons"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    done = dataset_import_folder(root=root)
    assert (done.dataset, done.layout, done.added) == ("cartoons", layout, 2)
    faces = {f.source_name: f for f in DatasetFace.objects.all()}
    assert set(faces) == set(files)
    expected_split = {"a.png": "training", "b.png": "testing" if layout.endswith("split") else "training"}
    for name, face in faces.items():
        assert face.emotion == ("happy" if name.endswith("a.png") else "sad")
        assert face.character == ("" if layout == "emotion" else "pip")
        assert face.split == expected_split[name.rsplit("/", 1)[-1]]
    # A ZIP of the folder (one level down) imports the same faces: nothing new.
    wrapped = zip_of({f"cartoons/{name}": data for name, data in files.items()})
    assert dataset_import_zip(upload=upload(wrapped, "cartoons.zip")).already == 2


@pytest.mark.django_db
@pytest.mark.parametrize("data, words", [
    (b"not a zip at all", "is not a readable ZIP"),
    (zip_of({"../evil/happy/x.png": png()}), "points outside the ZIP"),
    (zip_of({"/etc/happy/x.png": png()}), "points outside the ZIP"),
    (zip_of({"notes.txt": b"hello"}), "holds no images"),
    (zip_of({"pip/joyful/x.png": png()}), "unknown emotion folder 'joyful'"),
    (zip_of({"pip/happy/good.png": png(), "pip/sad/bad.png": b"\x89PNG garbage"}), "bad.png"),
    (zip_of({"pip/happy/a.png": png(1), "pip/sad/b.png": np.zeros(300_000, np.uint8).tobytes()}), "unpacks to more"),
])
def test_bad_zips_are_refused_and_leave_nothing(media, settings, data, words):
    settings.MAX_DATASET_UNPACKED_BYTES = 200_000  # the last one's second member is a (small) bomb past it
    with pytest.raises(DatasetRefused, match=words):
        dataset_import_zip(upload=upload(data))
    assert not DatasetFace.objects.exists()
    assert not (media / "datasets").exists() or not any((media / "datasets").rglob("*.*"))


@pytest.mark.django_db
def test_too_many_images_and_bad_names_are_refused(media, settings, tmp_path):
    settings.MAX_DATASET_FILES = 1
    with pytest.raises(DatasetRefused, match="at most 1"):
        dataset_import_zip(upload=upload(zip_of({"happy/a.png": png(1), "happy/b.png": png(2)})))
    with pytest.raises(DatasetRefused, match="cannot name a dataset"):
        dataset_import_zip(upload=upload(zip_of({"happy/a.png": png(1)})), name="!!!")
    with pytest.raises(DatasetRefused, match="does not exist"):
        dataset_import_folder(root=tmp_path / "nowhere")
    assert not DatasetFace.objects.exists()
