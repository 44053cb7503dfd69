"""emotions.services.cast called directly: syncing the shipped cast is idempotent, and a character is only made from
a cascade that loads, leaving nothing behind otherwise."""
import json
from pathlib import Path

import cv2
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.models import Character
from emotions.services.cast import character_create, character_sync_cast
from tests.checks import media_files
from toonvision.detection import CascadeError

OPENCV_CASCADES = Path(cv2.data.haarcascades)


@pytest.mark.django_db
def test_the_shipped_cast_is_synced_into_characters_idempotently(media, tmp_path):
    cast = tmp_path / "cast"
    cast.mkdir()
    (cast / "pip.xml").write_bytes((OPENCV_CASCADES / "haarcascade_frontalface_alt2.xml").read_bytes())
    spec = {"characters": {"pip": {"cascade": "pip.xml", "scale_factor": 1.15, "min_neighbors": 4, "min_size": 30}}}
    (cast / "cast.json").write_text(json.dumps(spec))

    (pip,) = character_sync_cast(folder=cast)
    assert (pip.name, pip.slug, pip.shipped, pip.scale_factor, pip.min_neighbors, pip.min_size) == (
        "Pip", "pip", True, 1.15, 4, 30)
    assert default_storage.open(pip.cascade.name).read() == (cast / "pip.xml").read_bytes()
    stored = media_files(media)

    assert [c.pk for c in character_sync_cast(folder=cast)] == [pip.pk]
    assert media_files(media) == stored  # nothing copied again

    spec["characters"]["pip"]["min_neighbors"] = 6
    (cast / "cast.json").write_text(json.dumps(spec))
    character_sync_cast(folder=cast)
    assert Character.objects.get().min_neighbors == 6 and media_files(media) == stored

    (cast / "pip.xml").write_text("<opencv_storage><oops/></opencv_storage>")
    with pytest.raises(CascadeError, match="not a cascade"):
        character_sync_cast(folder=cast)


@pytest.mark.django_db
def test_a_character_made_from_an_upload_must_have_a_cascade_that_loads(media):
    bad = SimpleUploadedFile("broken.xml", b"<html>nope</html>")
    with pytest.raises(ValidationError, match="broken.xml is not an OpenCV cascade"):
        character_create(name="Bad", slug="bad", cascade=bad)
    assert not Character.objects.exists() and media_files(media) == []
