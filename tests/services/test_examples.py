"""emotions.services.examples called directly: examples cut from real episode frames, uploads of images and ZIPs
(all or nothing, bombs and non-images refused), moving and deleting, and who may do which."""
import io
import zipfile

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.exceptions import TeachingNotAllowed, TeachingRefused
from emotions.models import Character, CharacterExample
from emotions.services.examples import (
    example_add_from_frame,
    example_delete,
    example_image,
    example_move,
    examples_add_from_files,
)
from tests.factories import studio_face_png, upload, user_make
from toonvision.video import decode_frames

pytestmark = pytest.mark.django_db


@pytest.fixture
def bramble(ana, media):
    return Character.objects.create(name="Bramble", slug="bramble", creator=ana, active=False)


@pytest.fixture
def episode(media, studio_episode):
    return upload(studio_episode)


def stored_files(media) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*.png"))


def png_file(name="face.png", data=None):
    return SimpleUploadedFile(name, data or studio_face_png(), content_type="image/png")


def test_a_face_marked_on_a_frame_is_cut_from_that_very_frame(episode, bramble, ana, studio_episode):
    example = example_add_from_frame(character=bramble, episode=episode, frame=30, box=[100, 50, 64, 48], user=ana)
    frame = next(iter(decode_frames(studio_episode, start=30, stop=31))).bgr()
    assert example.box == (100, 50, 64, 48) and example.source == "frame" and example.kind == "positive"
    assert np.array_equal(example_image(example), frame[50:98, 100:164])


def test_a_time_picks_the_frame_shown_then(episode, bramble, ana):
    example = example_add_from_frame(character=bramble, episode=episode, time=1.0, box=[0, 0, 32, 32], user=ana)
    assert example.frame == round(1.0 * episode.fps)


@pytest.mark.parametrize("box, words", [
    ([-1, 0, 32, 32], "outside the frame"),
    ([800, 0, 100, 32], "outside the frame"),
    ([0, 0, 4, 4], "too small"),
    ([0, 0, 23, 40], "at least 24 pixels a side"),
    (["a", 0, 4, 4], "four whole numbers"),
    ([0, 0, 32], "four whole numbers"),
])
def test_a_bad_box_is_refused_and_nothing_is_kept(episode, bramble, ana, media, box, words):
    with pytest.raises(TeachingRefused, match=words):
        example_add_from_frame(character=bramble, episode=episode, frame=0, box=box, user=ana)
    assert not CharacterExample.objects.exists() and stored_files(media) == []


def test_a_frame_outside_the_episode_is_refused(episode, bramble, ana):
    with pytest.raises(TeachingRefused, match="not in the episode"):
        example_add_from_frame(character=bramble, episode=episode, frame=episode.frame_count, box=[0, 0, 32, 32],
                               user=ana)


def test_images_and_a_zip_of_images_become_examples_and_alpha_is_kept(bramble, ana):
    rgba = np.zeros((40, 30, 4), np.uint8)
    rgba[5:35, 5:25] = (20, 120, 200, 255)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("faces/a.png", studio_face_png(seed=1))
        z.writestr("faces/b.jpg", cv2.imencode(".jpg", np.full((50, 50, 3), 90, np.uint8))[1].tobytes())
        z.writestr("faces/notes.txt", "not an image, not named as one: left out")
        z.writestr("__MACOSX/faces/._a.png", b"resource fork")
    files = [png_file("rgba.png", cv2.imencode(".png", rgba)[1].tobytes()),
             SimpleUploadedFile("faces.zip", archive.getvalue())]
    examples = examples_add_from_files(character=bramble, files=files, user=ana)
    assert len(examples) == 3 and {e.source for e in examples} == {"upload"}
    assert example_image(examples[0]).shape == (40, 30, 4)
    assert example_image(examples[2]).shape == (50, 50, 3)


def test_one_bad_file_refuses_the_whole_upload(bramble, ana, media):
    files = [png_file(), SimpleUploadedFile("evil.png", b"<script>alert(1)</script>")]
    with pytest.raises(TeachingRefused, match="evil.png: not a readable image"):
        examples_add_from_files(character=bramble, files=files, user=ana)
    assert not CharacterExample.objects.exists() and stored_files(media) == []


def test_no_files_is_refused(bramble, ana):
    with pytest.raises(TeachingRefused, match="no files"):
        examples_add_from_files(character=bramble, files=[], user=ana)


def test_a_zip_bomb_is_refused_without_being_unpacked(bramble, ana, media, settings):
    settings.MAX_EXAMPLE_UNPACKED_BYTES = 1024 * 1024
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.png", studio_face_png())
        z.writestr("bomb.png", b"\0" * (8 * 1024 * 1024))
    assert len(archive.getvalue()) < 64 * 1024
    with pytest.raises(TeachingRefused, match="unpacks to more than 1.0") as refused:
        examples_add_from_files(character=bramble, files=[SimpleUploadedFile("b.zip", archive.getvalue())], user=ana)
    assert refused.value.code == "too_large"
    assert not CharacterExample.objects.exists() and stored_files(media) == []


def test_a_picture_that_claims_a_huge_size_is_refused_before_decoding(bramble, ana):
    header = bytearray(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    header[16:24] = (60000).to_bytes(4, "big") + (60000).to_bytes(4, "big")
    with pytest.raises(TeachingRefused, match="60000 x 60000 pixels"):
        examples_add_from_files(character=bramble, files=[png_file("huge.png", bytes(header))], user=ana)


def test_a_crop_smaller_than_the_trainers_window_is_refused(bramble, ana):
    small = cv2.imencode(".png", np.zeros((16, 30, 3), np.uint8))[1].tobytes()
    with pytest.raises(TeachingRefused, match="small.png is 30 x 16 pixels: a face needs at least 24") as refused:
        examples_add_from_files(character=bramble, files=[png_file("small.png", small)], user=ana)
    assert refused.value.code == "too_small"


def test_an_oversize_image_is_refused(bramble, ana, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1000
    with pytest.raises(TeachingRefused, match="an example image may be") as refused:
        examples_add_from_files(character=bramble, files=[png_file()], user=ana)
    assert refused.value.code == "too_large"


def test_moving_a_box_cuts_the_crop_again_and_removes_the_old_one(episode, bramble, ana, media,
                                                                  django_capture_on_commit_callbacks):
    example = example_add_from_frame(character=bramble, episode=episode, frame=3, box=[0, 0, 32, 32], user=ana)
    old = example.image.name
    with django_capture_on_commit_callbacks(execute=True):
        example_move(example, [10, 20, 40, 30], user=ana)
    example.refresh_from_db()
    assert example.box == (10, 20, 40, 30) and example_image(example).shape == (30, 40, 3)
    assert stored_files(media) == [example.image.name] and example.image.name != old


def test_an_uploaded_example_has_no_box_to_move(bramble, ana):
    example = examples_add_from_files(character=bramble, files=[png_file()], user=ana)[0]
    with pytest.raises(TeachingRefused, match="uploaded"):
        example_move(example, [0, 0, 32, 32], user=ana)


def test_anyone_logged_in_adds_examples_but_only_the_adder_or_the_creator_changes_them(bramble, ana, bob, media,
                                                                                      django_capture_on_commit_callbacks):
    carol = user_make("carol")
    by_bob = examples_add_from_files(character=bramble, files=[png_file()], user=bob)[0]
    by_ana = examples_add_from_files(character=bramble, files=[png_file()], user=ana)[0]
    with pytest.raises(TeachingNotAllowed):
        example_delete(by_ana, user=bob)  # bob may not change ana's character's examples
    with pytest.raises(TeachingNotAllowed):
        example_delete(by_bob, user=carol)
    with django_capture_on_commit_callbacks(execute=True):
        example_delete(by_bob, user=ana)  # the creator may
        example_delete(by_ana, user=ana)
    assert not CharacterExample.objects.exists() and stored_files(media) == []
