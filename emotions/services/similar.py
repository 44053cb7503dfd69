"""Stored faces alike a drawing: the dissertation's "drawing -> cartoons with similar emotions".

A drawing is classified by the active emotion CNN; the faces showing its emotion (or the one the user chose
instead) come first, then the others, each group by how alike they look; "by look only" drops the emotion and
ranks every face by look alone. Results come in pages (offset and limit). The drawing search of the site lists
moments (moment_similar_page: each moment by its best face, so a shot held for seconds is one result, not dozens,
and each page dealt out by episode); the API lists faces (detection_similar_page). Looks are compared with a small
appearance vector per image:

- the CNN's penultimate features (the input of its last linear layer: 256 numbers for `toon`, 512 for
  `seed`), read with a forward hook during the same pass that classifies, so no second network runs;
- a hue/saturation colour histogram (12 x 4 bins, square-rooted: the Hellinger form), so a ginger cat is
  nearer a ginger cat than a grey mouse with the same grin.

Each half is L2-normalised and weighted so that the dot product of two vectors is
APPEARANCE_WEIGHT * cosine(CNN features) + (1 - APPEARANCE_WEIGHT) * cosine(colour histograms).

Cost stays flat at a million faces: a search compares the drawing with at most SIMILAR_CANDIDATES stored faces,
the most confident of its emotion for each character (the (character, emotion, -confidence) index reads them
in order; by look only, the most confident of each emotion), and each stored face's vector is computed once per
process from its crop and kept in an LRU cache, so a repeated search costs one CNN pass over the drawing and a
matrix product (a kept drawing's next page, none: emotions.services.drawings keeps its vector).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import QuerySet

from emotions.models import Character, Detection, Moment
from emotions.selectors.detections import detection_list
from emotions.selectors.moments import moment_list, moments_interleave
from emotions.services.classifier import Classification, active_weights, classifier_load
from toonvision.emotions import EMOTIONS
from toonvision.images import ImageError, decode_image

APPEARANCE_WEIGHT = 0.6  # of the CNN features; the rest is colour
HUE_BINS, SATURATION_BINS = 12, 4
CACHE_SIZE = 50_000  # stored faces' vectors kept per process (about 1.2 KB each)
MIN_PER_CHARACTER = 32
# A handful of 64x64 images is too little work to split between threads: on a busy machine torch's threads wait
# for each other, and one image took 100 ms on two threads against 2 ms on one (a web process serves one request
# at a time; gunicorn scales with processes).
SINGLE_THREAD_BATCH = 8

_hook_lock = threading.Lock()
_cache: OrderedDict[tuple[int, str, str], np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def colour_histogram(image: np.ndarray) -> np.ndarray:
    """A BGR image's hue/saturation histogram over its coloured pixels, square-rooted and L2-normalised."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    mask = (hsv[:, :, 2] > 40).astype(np.uint8)  # near-black outlines and shadows carry no hue
    histogram = cv2.calcHist([hsv], [0, 1], mask, [HUE_BINS, SATURATION_BINS], [0, 180, 0, 256]).ravel()
    histogram = np.sqrt(histogram / max(histogram.sum(), 1.0))
    return histogram / max(np.linalg.norm(histogram), 1e-12)


def images_describe(*, images: list[np.ndarray]) -> tuple[list[Classification], np.ndarray]:
    """Classify BGR images with the active model and return, with each classification, its appearance vector."""
    classifier = classifier_load()
    last_linear = [m for m in classifier.model.modules() if isinstance(m, torch.nn.Linear)][-1]
    captured: list[torch.Tensor] = []
    with _hook_lock, _torch_threads(1 if len(images) <= SINGLE_THREAD_BATCH else None):
        # The hook sees every forward pass while it is registered, hence the lock.
        hook = last_linear.register_forward_hook(lambda module, inputs, output: captured.append(inputs[0].detach()))
        try:
            probabilities = classifier.predict_proba(images)
        finally:
            hook.remove()
    features = torch.cat(captured).float().cpu().numpy().reshape(len(images), -1)
    features /= np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    colours = np.stack([colour_histogram(image) for image in images])
    vectors = np.hstack([features * np.sqrt(APPEARANCE_WEIGHT), colours * np.sqrt(1 - APPEARANCE_WEIGHT)])
    classifications = []
    for row in probabilities:
        best = int(np.argmax(row))
        classifications.append(Classification(
            emotion=classifier.classes[best], confidence=float(row[best]),
            probabilities={name: float(p) for name, p in zip(classifier.classes, row)},
        ))
    return classifications, vectors.astype(np.float32)


@contextmanager
def _torch_threads(count: int | None):
    before = torch.get_num_threads()
    if count and count != before:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if count and count != before:
            torch.set_num_threads(before)


def _crop_vectors(detections: list[Detection]) -> dict[int, np.ndarray]:
    """Appearance vectors of stored faces, from the cache or their crops (a crop that cannot be read is left out)."""
    found: dict[int, np.ndarray] = {}
    missing: list[tuple[Detection, np.ndarray]] = []
    model = str(active_weights())  # a vector is the model's: another one activated describes faces anew
    with _cache_lock:
        for detection in detections:
            vector = _cache.get((detection.pk, detection.crop.name, model))
            if vector is not None:
                _cache.move_to_end((detection.pk, detection.crop.name, model))
                found[detection.pk] = vector
    for detection in detections:
        if detection.pk in found:
            continue
        try:
            with default_storage.open(detection.crop.name, "rb") as handle:
                missing.append((detection, decode_image(handle.read(), source=detection.crop.name)))
        except (OSError, ImageError):
            continue
    if missing:
        _, vectors = images_describe(images=[image for _, image in missing])
        with _cache_lock:
            for (detection, _), vector in zip(missing, vectors):
                found[detection.pk] = vector
                _cache[(detection.pk, detection.crop.name, model)] = vector
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return found


def _candidates(rows_of: Callable[[Character], QuerySet], emotion: str, character: Character | None, which: str,
                budget: int) -> list:
    """The most confident of `rows_of(member)` (stored faces, or moments), spread over characters: of the emotion
    (which="same"), not of it ("other"), or of every emotion, spread over them too ("any")."""
    characters = [character] if character else list(Character.objects.all())
    if not characters:
        return []
    per_character = max(MIN_PER_CHARACTER, budget // len(characters))
    chosen: list = []
    for member in characters:
        rows = rows_of(member)
        if which == "any":
            for each in EMOTIONS:
                chosen += list(rows.filter(emotion=each)[: per_character // len(EMOTIONS) + 1])
        else:
            rows = rows.exclude(emotion=emotion) if which == "other" else rows.filter(emotion=emotion)
            chosen += list(rows[:per_character])
    return chosen


def _alike(query: np.ndarray, emotion: str, by_look: bool, wanted: int, candidates_of: Callable[[str], list],
           face_of: Callable, found: Callable) -> list:
    """Up to `wanted` results by look: the candidates of `emotion` first (closest first), then the others; with
    by_look, all of them by look alone. `face_of` gives a candidate's stored face, `found` makes its result."""
    results: list = []
    for which in (("any",) if by_look else ("same", "other")):
        if len(results) >= wanted:
            break
        candidates = candidates_of(which)
        vectors = _crop_vectors([face_of(candidate) for candidate in candidates])
        scored = [(float(vectors[face_of(c).pk] @ query), c) for c in candidates if face_of(c).pk in vectors]
        scored.sort(key=lambda pair: (-pair[0], pair[1].pk))
        results += [found(c, similarity, c.emotion == emotion) for similarity, c in scored[: wanted - len(results)]]
    return results


def _detection_rows(member: Character) -> QuerySet:
    return detection_list().filter(character=member).exclude(crop="").order_by("-confidence", "id")


def _moment_rows(member: Character) -> QuerySet:
    return moment_list().filter(character=member).exclude(best__crop="").order_by("-best_confidence", "-id")


@dataclass(frozen=True)
class SimilarDetection:
    """A stored face (its Detection) and how alike it is to the drawing searched with."""

    detection: Detection
    similarity: float
    same_emotion: bool


def detection_similar_page(
    *, query: np.ndarray, emotion: str, by_look: bool = False, character: Character | None = None,
    limit: int = 20, offset: int = 0,
) -> tuple[list[SimilarDetection], bool]:
    """A page of the stored faces most alike the appearance vector `query` (from images_describe), and whether
    another page follows. The faces showing `emotion` come first, then the others, each group by look; with
    by_look, every face by look alone (`same_emotion` still says which show `emotion`)."""
    wanted = offset + limit + 1  # one past the page: is there another?
    budget = max(wanted, settings.SIMILAR_CANDIDATES)
    results = _alike(query, emotion, by_look, wanted,
                     lambda which: _candidates(_detection_rows, emotion, character, which, budget),
                     face_of=lambda detection: detection, found=SimilarDetection)
    return results[offset: offset + limit], len(results) > offset + limit


@dataclass(frozen=True)
class SimilarMoment:
    """A stored moment (shown by its best face) and how alike that face is to the drawing searched with."""

    moment: Moment
    similarity: float
    same_emotion: bool


def moment_similar_page(
    *, query: np.ndarray, emotion: str, by_look: bool = False, character: Character | None = None,
    limit: int = 20, offset: int = 0,
) -> tuple[list[SimilarMoment], bool]:
    """A page of the stored moments whose best face is most alike the appearance vector `query`, and whether
    another page follows: as detection_similar_page (the moments of `emotion` first, then the others, each group
    by look; by_look, all by look), but one result per moment, and each group on the page dealt out round-robin
    by episode (moments_interleave), so one episode's shots cannot fill the top rows."""
    wanted = offset + limit + 1
    budget = max(wanted, settings.SIMILAR_CANDIDATES)
    results = _alike(query, emotion, by_look, wanted,
                     lambda which: _candidates(_moment_rows, emotion, character, which, budget),
                     face_of=lambda moment: moment.best, found=SimilarMoment)
    page = results[offset: offset + limit]
    by_moment = {found.moment.pk: found for found in page}
    first = [found.moment for found in page if found.same_emotion or by_look]
    then = [found.moment for found in page if not (found.same_emotion or by_look)]
    dealt = [by_moment[moment.pk] for group in (first, then) for moment in moments_interleave(group)]
    return dealt, len(results) > offset + limit


def similarity_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()
