"""Fill the database with a realistic catalogue of processed episodes, for measuring the API at scale.

    python manage.py bulk_detections --episodes 200 --detections 1000000 [--seed 0]

Each episode (5-22 minutes at 24 fps) gets a finished run and its share of the detections, drawn like the
pipeline's output: faces followed along tracks (a face every 2nd frame, each standing for 2/24 s), holding an
emotion for about two seconds at a time, chosen from a mood profile of the character in that episode (a Dirichlet
draw, so some episodes are much happier than others); confidences from a Beta(6, 2). The cast (cascades/cast.json)
appears most, with two extra characters (inactive: never looked for when a real episode is processed). Crops and
frames point at a small pool of studio pictures in media storage, so their URLs answer. The rows go in by COPY on
PostgreSQL (bulk_create elsewhere), then each episode's emotion summaries are built by the recommender's service.
"""
import hashlib
import io
import json
import time

import cv2
import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import CommandError
from django.db import connection, transaction

from emotions.management.base import ToonCommand
from emotions.models import Character, Detection, Episode, ProcessingRun, Status
from emotions.services.cast import character_sync_cast
from emotions.services.summaries import episode_emotions_build
from toonvision.emotions import EMOTIONS
from toonvision.studio import render_face, sample_face_spec
from toonvision.studio.episode import backdrop

FPS = 24.0
STRIDE = 2  # frames between analysed frames
WIDTH, HEIGHT = 854, 480
EXTRAS = {"bruno": "Bruno", "clover": "Clover"}
CHARACTER_WEIGHTS = {"pip": 0.4, "marmalade": 0.35, "bruno": 0.15, "clover": 0.1}
TRACK_MEAN = 48  # detections per track (about 4 s)
HOLD = 24  # detections per held emotion (about 2 s)
COLUMNS = ["episode_id", "run_id", "frame", "time", "duration", "character_id", "x", "y", "w", "h", "emotion",
           "confidence", "probabilities", "track", "interpolated", "labelled", "rejected", "crop", "frame_image"]
PICTURE_VARIANTS = 3
FRAME_POOL = 6


class Command(ToonCommand):
    help = "Fill the database with processed episodes and their detections, for benchmarks (see the module doc)."

    def add_arguments(self, parser):
        parser.add_argument("--episodes", type=int, default=100)
        parser.add_argument("--detections", type=int, default=1_000_000, help="in all, across the episodes")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--owner", metavar="USER", help="username owning the episodes (created if missing)")

    def handle(self, *args, **options):
        if options["episodes"] < 1 or options["detections"] < 0:
            raise CommandError("--episodes must be at least 1 and --detections at least 0")
        began = time.perf_counter()
        rng = np.random.default_rng(options["seed"])
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.get_or_create(username=options["owner"])[0]
        characters = self._characters()
        crops, frames = self._pictures(characters)
        made = 0
        counts = self._split(rng, options["episodes"], options["detections"])
        durations = rng.uniform(5 * 60, 22 * 60, len(counts))
        for index, (count, duration) in enumerate(zip(counts, durations)):
            episode, run = self._episode(rng, index, float(duration), owner, options["seed"])
            rows = self._detections(rng, episode, run, characters, crops, frames, int(count))
            self._insert(rows)
            with transaction.atomic():
                run.detection_count = len(rows)
                run.save(update_fields=["detection_count"])
                episode_emotions_build(episode=episode, run=run)
            made += len(rows)
            if (index + 1) % 10 == 0 or index + 1 == len(counts):
                self.stdout.write(f"{index + 1}/{len(counts)} episodes, {made} detections "
                                  f"({made / (time.perf_counter() - began):,.0f}/s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # the planner needs the new rows' statistics to pick the indexes
        self.stdout.write(f"made {len(counts)} episodes and {made} detections in {time.perf_counter() - began:.1f} s")

    def _characters(self) -> dict[str, Character]:
        cast = {c.slug: c for c in character_sync_cast()}
        if not cast:
            raise CommandError("no shipped cast (cascades/cast.json) to draw the catalogue's characters from")
        template = next(iter(cast.values()))
        for slug, name in EXTRAS.items():
            extra, _ = Character.objects.get_or_create(
                slug=slug, defaults={"name": name, "cascade": template.cascade.name, "active": False,
                                     "cascade_sha256": template.cascade_sha256})
            cast[slug] = extra
        return {slug: cast[slug] for slug in CHARACTER_WEIGHTS if slug in cast}

    def _pictures(self, characters) -> tuple[dict, list[str]]:
        """A pool of studio crops per (character, emotion) and a few frames, stored once."""
        crops: dict[tuple[str, str], list[str]] = {}
        for slug in characters:
            drawn_as = slug if slug in ("pip", "marmalade") else "extras"
            for emotion in EMOTIONS:
                names = []
                for variant in range(PICTURE_VARIANTS):
                    name = f"bulk/faces/{slug}-{emotion}-{variant}.jpg"
                    if not default_storage.exists(name):
                        seed = [sum(map(ord, slug)), EMOTIONS.index(emotion), variant]
                        face = render_face(sample_face_spec(np.random.default_rng(seed), drawn_as, emotion), 128)
                        alpha = face[:, :, 3:4].astype(np.float32) / 255
                        flat = (face[:, :, :3] * alpha + 235 * (1 - alpha)).astype(np.uint8)
                        name = default_storage.save(name, ContentFile(cv2.imencode(".jpg", flat)[1].tobytes()))
                    names.append(name)
                crops[(slug, emotion)] = names
        frames = []
        for n in range(FRAME_POOL):
            name = f"bulk/frames/{n}.jpg"
            if not default_storage.exists(name):
                picture = backdrop(np.random.default_rng([n, 99]), WIDTH, HEIGHT)
                name = default_storage.save(name, ContentFile(cv2.imencode(".jpg", picture)[1].tobytes()))
            frames.append(name)
        return crops, frames

    @staticmethod
    def _split(rng, episodes: int, detections: int) -> np.ndarray:
        weights = rng.uniform(0.5, 1.5, episodes)
        return rng.multinomial(detections, weights / weights.sum())

    @staticmethod
    def _episode(rng, index: int, duration: float, owner, seed: int) -> tuple[Episode, ProcessingRun]:
        digest = hashlib.sha256(f"bulk {seed} {index} {rng.random()}".encode()).hexdigest()
        frames = int(duration * FPS)
        with transaction.atomic():
            episode = Episode.objects.create(
                title=f"Bulk episode {index + 1:04d}", owner=owner, sha256=digest, size_bytes=int(duration * 150_000),
                duration=frames / FPS, fps=FPS, frame_count=frames, width=WIDTH, height=HEIGHT, codec="h264",
                file=f"bulk/episodes/{digest}.mp4", status=Status.DONE, progress=1.0,
            )
            run = ProcessingRun.objects.create(
                episode=episode, weights_name="emotions/weights/toon.pt", weights_sha256="bulk", method="fast",
                range_frames=240, status=Status.DONE,
            )
            episode.current_run = run
            episode.save(update_fields=["current_run"])
        return episode, run

    @staticmethod
    def _detections(rng, episode, run, characters, crops, frames, count: int) -> list[tuple]:
        slugs = list(characters)
        weights = np.array([CHARACTER_WEIGHTS[s] for s in slugs])
        weights /= weights.sum()
        # This episode's mood for each character: a few emotions dominate, differently per episode.
        moods = {slug: rng.dirichlet(np.full(len(EMOTIONS), 0.6)) for slug in slugs}
        rows: list[tuple] = []
        track = 0
        last_frame = max(1, episode.frame_count - STRIDE)
        while len(rows) < count:
            slug = slugs[rng.choice(len(slugs), p=weights)]
            length = min(count - len(rows), 1 + int(rng.geometric(1 / TRACK_MEAN)))
            start = int(rng.integers(0, last_frame))
            length = min(length, (episode.frame_count - 1 - start) // STRIDE + 1)
            side = int(rng.uniform(40, 170))
            x, y = int(rng.uniform(0, WIDTH - side)), int(rng.uniform(0, HEIGHT - side))
            character = characters[slug]
            emotion = None
            confidences = np.clip(rng.beta(6, 2, length), 0.15, 1.0)
            holds = rng.choice(len(EMOTIONS), size=length // HOLD + 1, p=moods[slug])
            for i in range(length):
                emotion = EMOTIONS[holds[i // HOLD]]
                frame = start + i * STRIDE
                confidence = float(confidences[i])
                rest = (1.0 - confidence) / (len(EMOTIONS) - 1)
                probabilities = {e: round(confidence if e == emotion else rest, 6) for e in EMOTIONS}
                rows.append((
                    episode.pk, run.pk, frame, frame / FPS, STRIDE / FPS, character.pk,
                    min(WIDTH - 1, x + i % 7), y, side, side, emotion, round(confidence, 6),
                    json.dumps(probabilities), track, False, False, False,
                    crops[(slug, emotion)][track % PICTURE_VARIANTS], frames[track % len(frames)],
                ))
            track += 1
        return rows

    @staticmethod
    def _insert(rows: list[tuple]) -> None:
        if not rows:
            return
        if connection.vendor != "postgresql":
            Detection.objects.bulk_create(
                [Detection(**{**dict(zip(COLUMNS, row)), "probabilities": json.loads(row[12])}) for row in rows],
                batch_size=5000,
            )
            return
        buffer = io.StringIO()
        for row in rows:  # COPY's text format: tab-separated, \N for NULL (the values hold no tabs or backslashes)
            buffer.write("\t".join("\\N" if v is None else "t" if v is True else "f" if v is False else str(v)
                                   for v in row))
            buffer.write("\n")
        connection.ensure_connection()
        with transaction.atomic(), connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY emotions_detection ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
