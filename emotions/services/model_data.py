"""What an emotion model learns from and is tested on, written out for the vision core.

Three sources: the site's labelled faces (published Detections a person labelled), imported datasets (DatasetFace
rows) and studio faces drawn on the spot (so a model trained on a few labels still reads the faces it read
before). They are written as PNGs in the loader's `character/emotion/split` layout (toonvision.datasets), one
"character" folder per source: `site/`, `dataset-<slug>/`, `studio/`. Every face's split is fixed by the face
itself, never by the run: a site face is held out when a hash of its detection id says so (a fifth of them), an
imported face keeps its dataset's split (a fifth by a hash of its pixels when the dataset has none), the studio
draws the same faces every time. So every model is tested on the same held-out faces and their scores compare.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings

from emotions.models import DatasetFace, Detection
from toonvision.crops import cnn_square, crop_decode
from toonvision.datasets import FaceDataset, load_dataset
from toonvision.emotions import EMOTIONS
from toonvision.evaluation import evaluate
from toonvision.images import ImageError
from toonvision.segmentation import crop_margins
from toonvision.studio.cast import CHARACTERS
from toonvision.studio.dataset import draw_face_image, sample_rng

logger = logging.getLogger(__name__)

SITE, STUDIO = "site", "studio"
TEST_SHARE = 5  # one face in five is held out
STUDIO_SEED = 4242  # not seed 1 (the shipped weights' training faces), so the studio test is of unseen faces
FACE_SIZE = 64


@dataclass
class TrainingData:
    """The folders written and what is in them: {source: {"training": n, "testing": n}}."""

    train_dir: Path
    studio_dir: Path | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def faces(self, source: str | None = None, split: str | None = None) -> int:
        return sum(n for s, splits in self.counts.items() if source in (None, s)
                   for k, n in splits.items() if split in (None, k))


def held_out(key: str) -> bool:
    """Whether the face with this key is in the fixed test split (a fifth of all keys)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % TEST_SHARE == 0


def site_faces():
    """The site's labelled faces: published detections whose emotion a person gave."""
    return Detection.objects.published().filter(labelled=True).exclude(crop="").select_related("run")


def detection_face(detection: Detection) -> np.ndarray:
    """The face as the CNN read it during segmentation, from the detection's stored crop alone (BGR, not resized:
    the loader resizes it as segmentation did): toonvision.crops.cnn_square at the run's recorded margins."""
    with detection.crop.open("rb") as handle:
        image = crop_decode(handle.read())
    if image is None:
        raise ImageError(f"the crop of face {detection.pk} is not an image")
    stored_margin, cnn_margin = crop_margins(detection.run.method, detection.run.options or {})
    return cnn_square(image, stored_margin=stored_margin, cnn_margin=cnn_margin)


def training_data_write(*, root: Path, site: bool, datasets: list[str], studio: bool, studio_apart: bool,
                        studio_faces: int | None = None) -> TrainingData:
    """Write the chosen sources under root/train (and the studio's under root/studio when studio_apart, for
    fine-tuning's rehearsal); what was written is counted."""
    data = TrainingData(train_dir=root / "train", studio_dir=None)
    data.train_dir.mkdir(parents=True)
    if site:
        data.counts[SITE] = _write_site(data.train_dir / SITE)
    for slug in datasets:
        data.counts[f"dataset-{slug}"] = _write_dataset(data.train_dir / f"dataset-{slug}", slug)
    if studio:
        folder = root / STUDIO if studio_apart else data.train_dir / STUDIO
        data.counts[STUDIO] = _write_studio(folder, studio_faces or settings.EMOTION_TRAINING_STUDIO_FACES)
        data.studio_dir = folder if studio_apart else None
    return data


def _empty() -> dict[str, int]:
    return {"training": 0, "testing": 0}


def _write(folder: Path, emotion: str, split: str, name: str, image: np.ndarray, counts: dict) -> None:
    target = folder / emotion / split
    target.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(target / f"{name}.png"), image):
        raise OSError(f"could not write {target / name}.png")
    counts[split] += 1


def _write_site(folder: Path) -> dict[str, int]:
    counts = _empty()
    for detection in site_faces().order_by("pk").iterator(chunk_size=500):
        try:
            face = detection_face(detection)
        except (ImageError, OSError) as error:
            logger.warning("labelled face %s left out: %s", detection.pk, error)
            continue
        split = "testing" if held_out(f"detection-{detection.pk}") else "training"
        _write(folder, detection.emotion, split, f"face-{detection.pk}", face, counts)
    return counts


def _write_dataset(folder: Path, slug: str) -> dict[str, int]:
    counts = _empty()
    faces = DatasetFace.objects.filter(dataset=slug).order_by("pk")
    own_split = faces.filter(split=DatasetFace.Split.TESTING).exists()
    for face in faces.iterator(chunk_size=500):
        with face.image.open("rb") as handle:
            image = cv2.imdecode(np.frombuffer(handle.read(), np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            logger.warning("dataset face %s left out: not an image", face.pk)
            continue
        testing = face.split == DatasetFace.Split.TESTING if own_split else held_out(f"dataset-{face.sha256}")
        _write(folder, face.emotion, "testing" if testing else "training", f"face-{face.pk}", image, counts)
    return counts


def _write_studio(folder: Path, per_emotion: int) -> dict[str, int]:
    """per_emotion studio faces of each emotion (the cast and extras in turn), the same ones every time."""
    counts = _empty()
    for emotion in EMOTIONS:
        for index in range(per_emotion):
            character = CHARACTERS[index % len(CHARACTERS)]
            image = draw_face_image(sample_rng(STUDIO_SEED, character, emotion, index), character, emotion,
                                    size=FACE_SIZE)
            split = "testing" if index % TEST_SHARE == TEST_SHARE - 1 else "training"
            _write(folder, emotion, split, f"{character}-{index:04d}", image, counts)
    return counts


def test_sets(data: TrainingData) -> dict[str, FaceDataset]:
    """The held-out faces of each source, as datasets to score a model on: "site", "studio" and "imported"
    (every imported dataset's together)."""
    groups: dict[str, list] = {}
    roots = [data.train_dir] + ([data.studio_dir] if data.studio_dir else [])
    for root in roots:
        if not any(root.iterdir()):
            continue
        dataset = load_dataset(root)
        for sample in dataset.samples:
            if sample.split != "test":
                continue
            source = STUDIO if root == data.studio_dir else sample.character
            group = "imported" if source and source.startswith("dataset-") else source
            groups.setdefault(group, []).append(sample)
    return {name: FaceDataset(root=data.train_dir, layout=dataset.layout, samples=samples,
                              classes=[e for e in EMOTIONS if any(s.emotion == e for s in samples)], skipped=[])
            for name, samples in groups.items()}


def tests_score(classifier, data: TrainingData) -> dict[str, dict]:
    """The classifier's metrics on each held-out set (accuracy, macro F1, per emotion, confusion)."""
    return {name: evaluate(classifier, dataset) for name, dataset in test_sets(data).items()}
