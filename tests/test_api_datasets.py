"""The datasets API: the labelled faces as a ZIP for logged-in users, imported datasets listed, a ZIP imported
(all or nothing; bad ones a 400 that says why)."""
import io
import zipfile

import pytest
from rest_framework.test import APIClient

from emotions.models import DatasetFace, Detection
from tests.factories import labelled_studio_faces
from tests.factories import png_noise as png
from tests.factories import zip_bytes as zip_of


@pytest.fixture
def labelled(db, media):
    return labelled_studio_faces()


@pytest.mark.django_db
def test_the_export_is_for_logged_in_users_and_reads_back_through_the_import(api, labelled):
    assert APIClient().get("/api/datasets/export.zip").status_code in (401, 403)
    response = api.get("/api/datasets/export.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "manifest.csv" in names
    assert len(names) - 1 == Detection.objects.filter(labelled=True).count()

    answer = api.post("/api/datasets/", {"file": io.BytesIO(data), "name": "ours"}, format="multipart")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["added"] == len(names) - 1 and answer.json()["layout"] == "character/emotion/split"
    again = api.post("/api/datasets/", {"file": io.BytesIO(data), "name": "ours"}, format="multipart")
    assert again.status_code == 201 and again.json()["added"] == 0
    listed = api.get("/api/datasets/").json()
    assert [(d["name"], d["faces"]) for d in listed] == [("ours", len(names) - 1)]
    assert api.get("/api/datasets/export.zip?confident=2").status_code == 400
    assert api.get("/api/datasets/export.zip?confident=x").status_code == 400


@pytest.mark.django_db
def test_a_bad_zip_is_a_400_that_says_why_and_keeps_nothing(api, media):
    def post(data, name="d.zip"):
        upload = io.BytesIO(data)
        upload.name = name
        return api.post("/api/datasets/", {"file": upload}, format="multipart")

    answer = post(zip_of({"pip/joyful/a.png": png()}))
    assert answer.status_code == 400 and "unknown emotion folder 'joyful'" in str(answer.json())
    answer = post(zip_of({"../../happy/a.png": png()}))
    assert answer.status_code == 400 and "points outside the ZIP" in str(answer.json())
    assert post(b"hello").status_code == 400
    assert api.post("/api/datasets/", {}, format="multipart").status_code == 400
    assert APIClient().post("/api/datasets/", {"file": io.BytesIO(b"x")}, format="multipart").status_code in (401, 403)
    assert not DatasetFace.objects.exists()
