"""The characters the workers look for: the shipped cast synced from cascades/cast.json, and characters added
with a cascade file of their own (which must load before anything is kept)."""
from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from emotions.models import Character
from toonvision.detection import CAST_FILE, CascadeError, DetectionParams, load_cascade, read_cast

logger = logging.getLogger(__name__)


def character_sync_cast(*, folder: Path | None = None) -> list[Character]:
    """Make the shipped cast (folder/cast.json, default settings.CAST_DIR) Character rows; idempotent.

    A shipped character's cascade and detection parameters follow cast.json (its cascade is copied into media
    storage, so workers on other hosts read it there); its name is set when it is first created.
    """
    folder = Path(folder or settings.CAST_DIR)
    if not (folder / CAST_FILE).is_file():
        return []
    synced = []
    for slug, entry in read_cast(folder).items():
        load_cascade(entry.cascade_path)  # refuses a broken cascade with a clear message
        data = entry.cascade_path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        synced.append(_character_upsert(slug, entry.name or _cast_name(slug), data, sha256, asdict(entry.params)))
    return synced


def _cast_name(slug: str) -> str:
    """A name for a cast.json entry that gives none: its slug in words."""
    return slug.replace("-", " ").replace("_", " ").title()


def _character_upsert(slug: str, name: str, data: bytes, sha256: str, params: dict) -> Character:
    for _ in range(2):  # a concurrent sync may create the row first
        try:
            with transaction.atomic():
                character = Character.objects.select_for_update().filter(slug=slug).first()
                if character is None:
                    character = Character(slug=slug, name=name)
                unchanged = (
                    character.pk and character.shipped and character.cascade_sha256 == sha256
                    and character.detection_params() == params
                )
                if unchanged:
                    return character
                if character.cascade_sha256 != sha256 or not character.cascade:
                    character.cascade.save(f"{slug}-{sha256[:12]}.xml", ContentFile(data), save=False)
                    character.cascade_sha256 = sha256
                for key, value in params.items():
                    setattr(character, key, value)
                character.shipped = True
                character.save()
                logger.info("cast member %s synced from the shipped cascades", slug)
                return character
        except IntegrityError:
            continue
    raise CascadeError(f"could not sync cast member {slug!r}")


def cascade_check(*, file) -> str:
    """Prove an uploaded cascade file loads as a detector; its SHA-256, or ValidationError saying why not."""
    data = b"".join(file.chunks()) if hasattr(file, "chunks") else file.read()
    with tempfile.TemporaryDirectory(prefix="toonsite-cascade-") as folder:
        path = Path(folder) / "cascade.xml"
        path.write_bytes(data)
        try:
            load_cascade(path)
        except CascadeError as error:
            raise ValidationError(str(error).replace(str(path), Path(file.name or "cascade").name),
                                  code="bad_cascade") from None
    if hasattr(file, "seek"):
        file.seek(0)
    return hashlib.sha256(data).hexdigest()


def character_create(*, name: str, slug: str, cascade, **params) -> Character:
    """A new character from an uploaded cascade, which must load; params are DetectionParams' fields."""
    sha256 = cascade_check(file=cascade)
    try:
        DetectionParams(**params)
    except (CascadeError, TypeError) as error:
        raise ValidationError(str(error), code="bad_params") from None
    character = Character(name=name, slug=slug, cascade_sha256=sha256, **params)
    character.full_clean(exclude=["cascade"])
    character.cascade.save(f"{slug}-{sha256[:12]}.xml", cascade, save=False)
    try:
        with transaction.atomic():
            character.save()
    except BaseException:
        default_storage.delete(character.cascade.name)
        raise
    return character

