"""The Datasets page: for logged-in users; its download is the labelled faces' ZIP, its upload imports one."""
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.models import DatasetFace
from tests.factories import labelled_studio_faces
from tests.factories import png_noise as png
from tests.factories import zip_bytes as zip_of


@pytest.fixture
def labelled(db, media):
    return labelled_studio_faces()


@pytest.mark.django_db
def test_the_page_needs_a_login_and_is_linked_from_the_characters(client, user):
    assert client.get("/datasets/").status_code == 302
    assert client.get("/datasets/download.zip").status_code == 302
    client.force_login(user)
    assert 'href="/datasets/"' in client.get("/characters/").content.decode()
    page = client.get("/datasets/").content.decode()
    assert "Download dataset" in page and "No dataset imported yet" in page


@pytest.mark.django_db
def test_download_then_upload_reads_the_faces_back(logged_in, labelled):
    response = logged_in.get("/datasets/download.zip?confident=0.9")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    faces = len(zipfile.ZipFile(io.BytesIO(data)).namelist()) - 1
    assert faces == len(labelled)
    answer = logged_in.post("/datasets/", {"file": SimpleUploadedFile("site.zip", data), "name": ""}, follow=True)
    page = answer.content.decode()
    assert f"site: {faces} faces added (character/emotion/split layout), 0 it already had." in page
    assert DatasetFace.objects.filter(dataset="site").count() == faces
    assert logged_in.get("/datasets/download.zip?confident=7").status_code == 400


@pytest.mark.django_db
def test_a_bad_upload_says_why_and_keeps_nothing(logged_in, media):
    answer = logged_in.post("/datasets/", {"file": SimpleUploadedFile("d.zip", zip_of({"notes.txt": b"x"}))})
    assert answer.status_code == 400 and "holds no images" in answer.content.decode()
    answer = logged_in.post("/datasets/", {"file": SimpleUploadedFile("d.zip", zip_of({"happy/a.png": b"junk"}))})
    assert answer.status_code == 400 and "a.png" in answer.content.decode()
    assert logged_in.post("/datasets/", {}).status_code == 400
    assert not DatasetFace.objects.exists() and png()
