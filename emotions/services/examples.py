"""A character's examples: faces (or non-faces) cut from episode frames, or uploaded as images and ZIPs of images.

Every example keeps its crop as a PNG in media storage (an uploaded image's alpha kept), so training never has to
decode a video again; one cut from a frame also keeps its box, re-cut when the box moves. Uploads are all or
nothing: one file that is not an image (or a ZIP too large once unpacked) refuses the lot, and nothing is kept.
"""
from __future__ import annotations

import logging
import struct
import uuid
from collections.abc import Iterable

import cv2
import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from emotions.access import can_add_examples, can_change_example
from emotions.exceptions import TeachingNotAllowed, TeachingRefused, storage_full_refused
from emotions.models import Character, CharacterExample, Episode
from emotions.services.archives import ArchiveRefused, zip_images
from emotions.services.storage import storage_delete, stored_file_local_path
from toonvision.cascade_training.character import CharacterTrainingOptions
from toonvision.images import ImageError, decode_image, to_bgr
from toonvision.video import VideoError, decode_frames

logger = logging.getLogger(__name__)

# The smallest face worth an example (pixels a side): the trainer's window, which it cannot learn a smaller face
# in; and the largest picture an example may be.
MIN_EXAMPLE_SIDE = CharacterTrainingOptions().window
MAX_EXAMPLE_PIXELS = 4096 * 4096
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"


# -- frames and boxes ------------------------------------------------------------------------------------------------
def box_check(episode: Episode, box) -> tuple[int, int, int, int]:
    """(x, y, w, h) as ints, inside the episode's frame and at least MIN_EXAMPLE_SIDE a side; TeachingRefused else."""
    try:
        x, y, w, h = (int(v) for v in box)
        if any(float(v) != int(v) for v in box):
            raise ValueError
    except (TypeError, ValueError):
        raise TeachingRefused(f"a box is four whole numbers [x, y, w, h] in video pixels, got {box!r}",
                              code="bad_box") from None
    if w < MIN_EXAMPLE_SIDE or h < MIN_EXAMPLE_SIDE:
        raise TeachingRefused(f"the box {[x, y, w, h]} is too small: a face needs at least {MIN_EXAMPLE_SIDE} pixels "
                              "a side to be learnt", code="bad_box")
    if x < 0 or y < 0 or x + w > episode.width or y + h > episode.height:
        raise TeachingRefused(f"the box {[x, y, w, h]} is outside the frame, which is {episode.width} x "
                              f"{episode.height} pixels", code="bad_box")
    return x, y, w, h


def frame_check(episode: Episode, frame: int | None = None, time: float | None = None) -> int:
    """The frame index asked for (or the one shown at `time` seconds), which must be in the episode."""
    if frame is None and time is None:
        raise TeachingRefused("say which frame: a frame index or a time in seconds", code="bad_frame")
    if frame is None:
        frame = int(float(time) * episode.fps + 1e-6)
    if not 0 <= int(frame) < episode.frame_count:
        raise TeachingRefused(f"frame {frame} is not in the episode, which has frames 0-{episode.frame_count - 1}",
                              code="bad_frame")
    return int(frame)


def episode_frames(episode: Episode, frames: Iterable[int]) -> dict[int, np.ndarray]:
    """These frames of the episode's video as BGR arrays, each decoded on its own (start=frame, stop=frame+1)."""
    wanted = sorted(set(frames))
    found: dict[int, np.ndarray] = {}
    with stored_file_local_path(episode.file.name) as path:
        for index in wanted:
            try:
                for decoded in decode_frames(path, start=index, stop=index + 1):
                    found[decoded.index] = decoded.bgr()
            except (VideoError, OSError) as error:
                raise TeachingRefused(f"frame {index} of episode {episode.pk} cannot be decoded: {error}",
                                      code="bad_frame") from None
    missing = [i for i in wanted if i not in found]
    if missing:
        raise TeachingRefused(f"frames {missing[:5]} of episode {episode.pk} cannot be decoded", code="bad_frame")
    return found


def _cut(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return np.ascontiguousarray(image[y:y + h, x:x + w])


def png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("could not encode a PNG")
    return data.tobytes()


def example_image(example: CharacterExample) -> np.ndarray:
    """The example's crop as stored: BGR, or BGRA for an upload with transparency."""
    try:
        with example.image.open("rb") as handle:
            data = handle.read()
    except OSError:
        data = b""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if image is None:
        raise ImageError(f"the stored picture of example {example.pk} ({example.image.name}) is missing or "
                         "unreadable: delete that example, or add it again")
    return image if image.ndim == 3 and image.shape[2] == 4 else to_bgr(image)


# -- adding, moving, deleting ------------------------------------------------------------------------------------------
def example_add_from_frame(*, character: Character, episode: Episode, frame: int | None = None, box,
                           kind: str = CharacterExample.Kind.POSITIVE, user,
                           source: str = CharacterExample.Source.FRAME, time: float | None = None) -> CharacterExample:
    """An example cut from a frame of an episode (by index, or the one shown at `time` seconds) inside `box`."""
    _may_add(user, character)
    _kind_check(kind)
    frame = frame_check(episode, frame, time)
    box = box_check(episode, box)
    image = episode_frames(episode, [frame])[frame]
    example = CharacterExample(character=character, kind=kind, episode=episode, frame=frame, x=box[0], y=box[1],
                               w=box[2], h=box[3], source=source, created_by=user)
    _examples_save(character, [(example, png(_cut(image, box)))])
    return example


def examples_add_from_files(*, character: Character, files, kind: str = CharacterExample.Kind.POSITIVE,
                            user) -> list[CharacterExample]:
    """Examples from uploaded files, each an image or a ZIP of images; all or nothing."""
    _may_add(user, character)
    _kind_check(kind)
    crops = images_from_files(files)
    examples = [
        (CharacterExample(character=character, kind=kind, source=CharacterExample.Source.UPLOAD, created_by=user),
         data)
        for data in crops
    ]
    _examples_save(character, examples)
    return [example for example, _ in examples]


def example_move(example: CharacterExample, box, *, user) -> CharacterExample:
    """Move or resize a frame example's box; its crop is cut again from the frame."""
    _may_change(user, example)
    if example.episode_id is None:
        raise TeachingRefused("only an example marked on an episode frame has a box to move; this one was uploaded",
                              code="no_box")
    episode = example.episode
    box = box_check(episode, box)
    image = episode_frames(episode, [example.frame])[example.frame]
    old = example.image.name
    example.x, example.y, example.w, example.h = box
    with storage_full_refused("the example"):
        example.image.save(_png_name(), ContentFile(png(_cut(image, box))), save=False)
    try:
        with transaction.atomic():
            example.save(update_fields=["x", "y", "w", "h", "image"])
            transaction.on_commit(lambda: storage_delete([old]))
    except BaseException:
        storage_delete([example.image.name])
        raise
    return example


def example_delete(example: CharacterExample, *, user) -> None:
    _may_change(user, example)
    name = example.image.name
    with transaction.atomic():
        example.delete()
        transaction.on_commit(lambda: storage_delete([name]))


def _may_add(user, character: Character) -> None:
    if not can_add_examples(user, character):
        raise TeachingNotAllowed("log in to add examples")


def _may_change(user, example: CharacterExample) -> None:
    if not can_change_example(user, example):
        raise TeachingNotAllowed(f"only whoever added this example, the creator of {example.character.name} or staff "
                                 "may change it")


def _kind_check(kind: str) -> None:
    if kind not in CharacterExample.Kind.values:
        raise TeachingRefused(f"an example is positive (a face of the character) or negative, not {kind!r}",
                              code="bad_kind")


def _png_name() -> str:
    return f"{uuid.uuid4().hex[:16]}.png"


def _examples_save(character: Character, examples: list[tuple[CharacterExample, bytes]]) -> None:
    """Store every crop, then every row in one transaction; on any failure no file or row is left."""
    stored: list[str] = []
    try:
        with storage_full_refused("the examples"):
            for example, data in examples:
                example.character = character
                example.image.save(_png_name(), ContentFile(data), save=False)
                stored.append(example.image.name)
        with transaction.atomic():
            for example, _ in examples:
                example.save()
    except BaseException:
        storage_delete(stored)
        raise
    logger.info("%d %s examples added to %s", len(examples), examples[0][0].kind if examples else "", character.slug)


# -- uploaded files --------------------------------------------------------------------------------------------------
def images_from_files(files) -> list[bytes]:
    """Each uploaded image (or each image inside an uploaded ZIP) as a PNG; TeachingRefused naming the bad one."""
    files = list(files or [])
    if not files:
        raise TeachingRefused("no files: send one or more images, or a ZIP of images", code="no_files")
    crops: list[bytes] = []
    unpacked = 0
    for upload in files:
        name = getattr(upload, "name", None) or "upload"
        head = upload.read(4)
        upload.seek(0)
        if head == _ZIP_MAGIC:
            for member, data in _zip_images(upload, name, budget=settings.MAX_EXAMPLE_UNPACKED_BYTES - unpacked):
                unpacked += len(data)
                crops.append(_image_png(data, f"{name}: {member}"))
        else:
            if upload.size > settings.MAX_IMAGE_UPLOAD_BYTES:
                raise TeachingRefused(f"{name} is {filesizeformat(upload.size)}; an example image may be "
                                      f"{filesizeformat(settings.MAX_IMAGE_UPLOAD_BYTES)}", code="too_large")
            crops.append(_image_png(upload.read(), name))
        if len(crops) > settings.MAX_EXAMPLE_FILES:
            raise TeachingRefused(f"more than {settings.MAX_EXAMPLE_FILES} images at once; send fewer",
                                  code="too_many")
    return crops


def _zip_images(upload, name: str, *, budget: int):
    """(member name, bytes) of the images in a ZIP, never unpacking more than `budget` bytes in all
    (services.archives reads it safely)."""
    try:
        for path, data in zip_images(upload, name, max_files=settings.MAX_EXAMPLE_FILES, budget=budget,
                                     total_limit=settings.MAX_EXAMPLE_UNPACKED_BYTES,
                                     hint="; send smaller images or fewer at once"):
            yield str(path), data
    except ArchiveRefused as error:
        raise TeachingRefused(str(error), code="too_large" if error.kind == "too_large" else
                              "too_many" if error.kind == "too_many" else "not_an_image") from None


def _image_png(data: bytes, source: str) -> bytes:
    """An uploaded image as PNG bytes (BGR, or BGRA when it has transparency); refused when it is not an image,
    claims more than MAX_EXAMPLE_PIXELS, or is smaller than MIN_EXAMPLE_SIDE a side."""
    declared = _declared_size(data)
    if declared and declared[0] * declared[1] > MAX_EXAMPLE_PIXELS:
        raise TeachingRefused(f"{source} is {declared[0]} x {declared[1]} pixels; an example may have at most "
                              f"{MAX_EXAMPLE_PIXELS} pixels", code="too_large")
    try:
        decode_image(data, source=source)  # refuses what is not an image, in the core's words
    except ImageError as error:
        raise TeachingRefused(str(error), code="not_an_image") from None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    keep_alpha = image is not None and image.ndim == 3 and image.shape[2] == 4 and image.dtype == np.uint8
    image = image if keep_alpha else decode_image(data, source=source)
    h, w = image.shape[:2]
    if h * w > MAX_EXAMPLE_PIXELS:
        raise TeachingRefused(f"{source} is {w} x {h} pixels; an example may have at most {MAX_EXAMPLE_PIXELS} pixels",
                              code="too_large")
    if min(h, w) < MIN_EXAMPLE_SIDE:
        raise TeachingRefused(f"{source} is {w} x {h} pixels: a face needs at least {MIN_EXAMPLE_SIDE} a side to be "
                              "learnt", code="too_small")
    return png(image)


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's or JPEG's declared width and height, read from its header before anything is decoded (so a small
    file that claims a huge picture is refused without allocating it)."""
    if data.startswith(_PNG_MAGIC) and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        at = 2
        while at + 9 <= len(data):
            if data[at] != 0xFF:
                return None
            marker = data[at + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                at += 2
                continue
            length = struct.unpack(">H", data[at + 2:at + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[at + 5:at + 9])
                return width, height
            at += 2 + length
    return None
