"""Labelled faces for the emotion-model tests: studio faces stored as the site stores them, as published detections
a person labelled (native-size crops at the stored margin, as segmentation keeps them) and as an imported dataset's
DatasetFace rows."""
import hashlib
import uuid

import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from emotions.models import DatasetFace, Detection, Episode, ProcessingRun, Status
from tests.factories import character
from toonvision.crops import STORED_CROP_MARGIN, STORED_MARGIN_KEY, crop_encode
from toonvision.segmentation import FastOptions
from toonvision.studio.dataset import draw_face_image, sample_rng

CNN_MARGIN = FastOptions.crop_margin


def studio_face(emotion: str, index: int, seed: int = 777, size: int = 64, look: str = "studio") -> np.ndarray:
    return draw_face_image(sample_rng(seed, "pip", emotion, index), "pip", emotion, size=size, look=look)


def as_stored_crop(face: np.ndarray) -> bytes:
    """The face (the CNN's square at the fast method's margin) as segmentation stores it: grown to
    STORED_CROP_MARGIN at its native size (edges repeated), JPEG."""
    side = face.shape[0]
    pad = int(round(side * (STORED_CROP_MARGIN / CNN_MARGIN - 1) / 2))
    return crop_encode(cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE))


def labelled_site_faces(per_emotion: int, emotions=("happy", "sad", "surprise"), seed: int = 777,
                        look: str = "line-art") -> list[Detection]:
    """Published detections of Pip, each with a stored crop and labelled by a person with its true emotion."""
    pip = character("pip")
    episode = Episode.objects.create(
        title=f"labelled-{uuid.uuid4().hex[:6]}", sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        size_bytes=1000, duration=60.0, fps=24.0, frame_count=1440, width=640, height=480,
        file="episodes/labelled.mp4", container="mov,mp4,m4a,3gp,3g2,mj2", status=Status.DONE, progress=1.0,
    )
    run = ProcessingRun.objects.create(episode=episode, weights_name="w", weights_sha256="s", range_frames=240,
                                       status=Status.DONE, method="fast",
                                       options={"crop_margin": CNN_MARGIN, STORED_MARGIN_KEY: STORED_CROP_MARGIN})
    rows = []
    for e, emotion in enumerate(emotions):
        for i in range(per_emotion):
            frame = e * per_emotion + i
            crop = default_storage.save(f"detections/t/{episode.pk}-{frame}.jpg",
                                        ContentFile(as_stored_crop(studio_face(emotion, i, seed, look=look))))
            rows.append(Detection(episode=episode, run=run, frame=frame, time=frame / 24, duration=1 / 24,
                                  character=pip, x=10, y=10, w=50, h=50, emotion=emotion, confidence=0.5,
                                  probabilities={emotion: 0.5}, labelled=True, crop=crop))
    Episode.objects.filter(pk=episode.pk).update(current_run=run)
    return Detection.objects.bulk_create(rows)


def imported_dataset(slug: str, per_emotion: int, emotions=("happy", "sad", "surprise"), seed: int = 778,
                     look: str = "poster") -> list[DatasetFace]:
    """An imported dataset's faces (every fifth in its testing split), as DatasetFace rows with stored PNGs."""
    made = []
    for emotion in emotions:
        for i in range(per_emotion):
            png = cv2.imencode(".png", studio_face(emotion, i, seed, look=look))[1].tobytes()
            face = DatasetFace(dataset=slug, emotion=emotion, sha256=hashlib.sha256(png).hexdigest(),
                               split="testing" if i % 5 == 4 else "training", source_name=f"{emotion}/{i}.png")
            face.image.save(f"{emotion}-{i}.png", ContentFile(png), save=False)
            face.save()
            made.append(face)
    return made
