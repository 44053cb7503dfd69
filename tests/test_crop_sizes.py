"""Reference-size crops (issue 14.2): a processed episode's face crops are kept at native resolution, the pages and
the API say their size, and the references ZIP carries them as they are stored."""
import io
import zipfile

import cv2
import numpy as np
import pytest
from django.core.files.storage import default_storage

from emotions.models import Detection, Moment
from emotions.services.ranges import episode_process_here
from emotions.services.references import references_zip_write
from tests.factories import upload
from toonvision.crops import STORED_CROP_MARGIN, stored_crop_side
from toonvision.segmentation import FastOptions


def pixels(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@pytest.mark.django_db
def test_crops_are_native_size_and_the_zip_pages_and_api_say_so(cast, settings, studio_episode, logged_in, api):
    settings.EPISODE_RANGE_FRAMES = 1000
    run = episode_process_here(episode=upload(studio_episode))
    faces = list(Detection.objects.filter(run=run).select_related("character", "episode", "run").order_by("pk"))
    assert faces
    sides = {d.pk: stored_crop_side(d.box, stored_margin=STORED_CROP_MARGIN, cnn_margin=FastOptions().crop_margin)
             for d in faces}
    assert max(sides.values()) > 128 or min(sides.values()) != 128  # native, not the old fixed 128 px

    out = io.BytesIO()
    rows = references_zip_write(detections=faces, out=out)
    pack = zipfile.ZipFile(out)
    for d, row in zip(faces, rows):
        crop = pixels(pack.read(row["crop_file"]))
        assert crop.shape == (sides[d.pk], sides[d.pk], 3)
        assert pack.read(row["crop_file"]) == default_storage.open(d.crop.name).read()  # as stored, not redone

    shown = Moment.objects.filter(run=run).select_related("best").order_by("pk").first().best  # pages list moments
    side = sides[shown.pk]
    size = f'<span class="crop-size" title="the best face crop\'s own size, never enlarged">{side}×{side} px</span>'
    page = logged_in.get(f"/characters/{shown.character.slug}/?emotion={shown.emotion}").content.decode()
    assert size in page
    episode_page = logged_in.get(f"/episodes/{shown.episode_id}/").content.decode()
    assert size in episode_page
    listed = api.get(f"/api/detections/?episode={shown.episode_id}&page_size=200").json()["results"]
    assert {row["id"]: row["crop_size"] for row in listed} == {pk: side for pk, side in sides.items()
                                                               if pk in {row["id"] for row in listed}}
