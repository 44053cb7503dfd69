"""Makers of the rows and files tests need: users, characters, crafted and uploaded episodes, face images."""
import hashlib
import io
import uuid
import zipfile
from pathlib import Path

import av
import cv2
import numpy as np
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from emotions.models import Character, Detection, Episode, ProcessingRun, Status
from emotions.services.episodes import episode_create
from emotions.services.summaries import episode_emotions_build
from toonvision.crops import STORED_CROP_MARGIN, STORED_MARGIN_KEY, crop_encode, stored_crop
from toonvision.segmentation import FastOptions
from toonvision.studio import render_face, sample_face_spec


def user_make(username: str = "ana", password: str = "x", **fields):
    return get_user_model().objects.create_user(username, password=password, **fields)


def character(slug: str, name: str | None = None) -> Character:
    """A character row for crafted data (its cascade is never run)."""
    return Character.objects.get_or_create(slug=slug, defaults={"name": name or slug.title(),
                                                                "cascade": f"cascades/{slug}.xml"})[0]


def jpeg(colour=(40, 160, 220), size=32) -> bytes:
    return cv2.imencode(".jpg", np.full((size, size, 3), colour, np.uint8))[1].tobytes()


def episode_row(**fields) -> Episode:
    """An episode row with plausible probe fields and no file behind it."""
    values = dict(title="t", sha256="a" * 64, size_bytes=10, duration=1.0, fps=24.0, frame_count=24, width=64,
                  height=64, file="episodes/x.mp4", container="mov,mp4,m4a,3gp,3g2,mj2")
    values.update(fields)
    return Episode.objects.create(**values)


def run_row(episode: Episode, **fields) -> ProcessingRun:
    values = dict(weights_name="w", weights_sha256="s", range_frames=24)
    values.update(fields)
    return ProcessingRun.objects.create(episode=episode, **values)


def crafted_episode(title: str, faces, owner=None, duration: float = 20.0, fps: float = 24.0, pictures=False):
    """An episode whose finished run holds exactly these faces, (character, emotion, time, duration, confidence),
    with its summaries built by the real service; with pictures, each face has a crop and a frame in storage."""
    episode = Episode.objects.create(
        title=title, owner=owner, sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest(), size_bytes=1000,
        duration=duration, fps=fps, frame_count=int(duration * fps), width=640, height=480,
        file=f"episodes/{title}.mp4", container="mov,mp4,m4a,3gp,3g2,mj2", status=Status.DONE, progress=1.0,
    )
    run = ProcessingRun.objects.create(episode=episode, weights_name="w", weights_sha256="s", range_frames=240,
                                       status=Status.DONE)
    rows = []
    for n, (who, emotion, time, seconds, confidence) in enumerate(faces):
        crop = frame = ""
        if pictures:
            crop = default_storage.save(f"detections/t/{episode.pk}-{n}-crop.jpg", ContentFile(jpeg()))
            frame = default_storage.save(f"detections/t/{episode.pk}-{n}-frame.jpg", ContentFile(jpeg(size=64)))
        rows.append(Detection(
            episode=episode, run=run, frame=round(time * fps), time=time, duration=seconds, character=who, x=10,
            y=10, w=50, h=50, emotion=emotion, confidence=confidence, probabilities={emotion: confidence},
            track=None, crop=crop, frame_image=frame,
        ))
    Detection.objects.bulk_create(rows)
    episode_emotions_build(episode=episode, run=run)
    Episode.objects.filter(pk=episode.pk).update(current_run=run)
    episode.refresh_from_db()
    return episode


def frame_at_video_size(face: Detection) -> np.ndarray:
    """Store a frame as large as the face's video (black, the face's box red) as its frame picture; returns it."""
    episode = face.episode
    image = np.zeros((episode.height, episode.width, 3), np.uint8)
    image[face.y:face.y + face.h, face.x:face.x + face.w] = (0, 0, 255)
    name = default_storage.save(f"detections/t/frame-{face.pk}.png", ContentFile(cv2.imencode(".png", image)[1]))
    Detection.objects.filter(pk=face.pk).update(frame_image=name)
    face.frame_image.name = name
    return image


def held(who, emotion, start, end, step=0.125, confidence=0.9):
    """One character holding an emotion from start to end: a face every `step` seconds, each standing for it."""
    count = round((end - start) / step)
    return [(who, emotion, start + i * step, step, confidence) for i in range(count)]


def studio_face_png(character_slug="pip", emotion="happy", seed=4242) -> bytes:
    spec = sample_face_spec(np.random.default_rng(seed), character_slug, emotion)
    face = render_face(spec, 96)
    flat = np.full((96, 96, 3), 255, np.uint8)
    alpha = face[:, :, 3:4].astype(np.float32) / 255
    flat = (face[:, :, :3] * alpha + flat * (1 - alpha)).astype(np.uint8)
    return cv2.imencode(".png", flat)[1].tobytes()


def upload(path: Path, title="Episode", owner=None) -> Episode:
    """An episode made from a video file through the real service, as an upload makes it."""
    with open(path, "rb") as handle:
        return episode_create(owner=owner, file=File(handle, name=path.name), title=title)


def truncated_copy(source: Path, out: Path) -> Path:
    data = source.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def video_with_title(source: Path, out: Path, title: str) -> Path:
    """A copy of an MP4 (its streams as they are) whose metadata title is `title`: a real video a hostile uploader
    can hide markup in (and then name out `evil.html`)."""
    with av.open(str(source)) as reading, av.open(str(out), "w", format="mp4") as writing:
        writing.metadata["title"] = title
        stream = reading.streams.video[0]
        copy = writing.add_stream_from_template(stream)
        for packet in reading.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = copy
            writing.mux(packet)
    return out


LABELLED_EMOTIONS = ["angry", "happy", "sad", "surprise"]


def studio_frame(rng, who, emotion, w):
    """A 3w x 3w frame of one colour with a studio head drawn w x w in its middle."""
    frame = np.full((3 * w, 3 * w, 3), rng.integers(0, 255, 3), np.uint8)
    face = render_face(sample_face_spec(rng, who, emotion), w)
    alpha = face[:, :, 3:4].astype(np.float32) / 255
    frame[w:2 * w, w:2 * w] = (face[:, :, :3] * alpha + frame[w:2 * w, w:2 * w] * (1 - alpha)).astype(np.uint8)
    return frame


def labelled_studio_faces():
    """Two episodes of studio faces with native crops as processing stores them; most labelled by a person."""
    rng = np.random.default_rng(5)
    faces = []
    for title, who in (("Sunny", "pip"), ("Rainy", "marmalade")):
        episode = crafted_episode(title, held(character(who), "neutral", 0, 3, step=0.25, confidence=0.5))
        run = episode.current_run
        run.options = {STORED_MARGIN_KEY: STORED_CROP_MARGIN}
        run.save(update_fields=["options"])
        for n, d in enumerate(Detection.objects.filter(episode=episode).order_by("pk")):
            w = int(rng.integers(50, 120))
            emotion = LABELLED_EMOTIONS[n % len(LABELLED_EMOTIONS)]
            crop = stored_crop(studio_frame(rng, who, emotion, w), (w, w, w, w), stored_margin=STORED_CROP_MARGIN,
                               cnn_margin=FastOptions().crop_margin)
            d.crop.name = default_storage.save(f"detections/t/{d.pk}.jpg", ContentFile(crop_encode(crop)))
            d.x = d.y = d.w = d.h = w
            d.emotion, d.labelled, d.confidence = emotion, n % 6 != 5, 0.95 if n % 6 == 5 else 0.5
            d.save()
            faces.append(d)
    return faces


def zip_bytes(files: dict) -> bytes:
    """A ZIP (deflated) of these {name: bytes}."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as pack:  # a bomb packs small
        for name, data in files.items():
            pack.writestr(name, data)
    return out.getvalue()


def png_noise(seed=0, size=40):
    """A PNG of random pixels: an image no other one equals."""
    return cv2.imencode(".png", np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8))[1]\
        .tobytes()
