import cv2
import numpy as np
import pytest

from toonvision.images import IMAGE_SUFFIXES, ImageError, decode_image, is_image_path, read_image, to_bgr


def test_reads_png_as_bgr(tmp_path):
    image = np.zeros((5, 7, 3), np.uint8)
    image[:, :, 0] = 200  # blue in OpenCV's order
    path = tmp_path / "blue.png"
    cv2.imwrite(str(path), image)
    loaded = read_image(path)
    assert loaded.dtype == np.uint8 and loaded.shape == (5, 7, 3)
    np.testing.assert_array_equal(loaded, image)


def test_grayscale_becomes_three_channels(tmp_path):
    path = tmp_path / "gray.png"
    cv2.imwrite(str(path), np.full((4, 4), 90, np.uint8))
    loaded = read_image(path)
    assert loaded.shape == (4, 4, 3)
    assert (loaded == 90).all()


def test_bgra_is_flattened_onto_white(tmp_path):
    image = np.zeros((2, 2, 4), np.uint8)
    image[0, 0] = (0, 0, 255, 255)  # opaque red
    image[1, 1] = (0, 0, 0, 0)  # fully transparent black
    path = tmp_path / "alpha.png"
    cv2.imwrite(str(path), image)
    loaded = read_image(path)
    assert loaded.shape == (2, 2, 3)
    assert tuple(loaded[0, 0]) == (0, 0, 255)
    assert tuple(loaded[1, 1]) == (255, 255, 255)


def test_sixteen_bit_is_scaled_to_uint8(tmp_path):
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), np.full((3, 3, 3), 65535, np.uint16))
    loaded = read_image(path)
    assert loaded.dtype == np.uint8 and (loaded == 255).all()


def test_non_ascii_path(tmp_path):
    folder = tmp_path / "Tôm & Jérry ñ"
    folder.mkdir()
    path = folder / "visage é.jpg"
    ok, encoded = cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))
    assert ok
    path.write_bytes(encoded.tobytes())
    assert read_image(path).shape == (8, 8, 3)


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("corrupt.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "not a readable image"),
        ("empty.png", b"", "empty file"),
        ("notes.jpg", b"this is a text file, not a picture", "not a readable image"),
    ],
)
def test_unreadable_files_raise_image_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageError, match=reason) as caught:
        read_image(path)
    assert name in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="not a file"):
        read_image(tmp_path)


def test_to_bgr_rejects_odd_shapes():
    with pytest.raises(ImageError, match="shape"):
        to_bgr(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ImageError, match="shape"):
        to_bgr(np.zeros((0, 4, 3), np.uint8))


def test_image_suffixes():
    assert {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"} == set(IMAGE_SUFFIXES)
    assert is_image_path("a/B.PNG") and is_image_path("x.webp")
    assert not is_image_path("a/notes.txt") and not is_image_path("a/.hidden.png")


def test_decode_image_gives_uploads_what_read_image_gives_files(tmp_path):
    transparent = np.zeros((8, 8, 4), dtype=np.uint8)
    transparent[2:6, 2:6] = (0, 0, 255, 255)  # an opaque red square on a fully transparent field
    path = tmp_path / "face.png"
    cv2.imwrite(str(path), transparent)

    decoded = decode_image(path.read_bytes(), source="upload")

    assert np.array_equal(decoded, read_image(path))
    assert tuple(decoded[0, 0]) == (255, 255, 255)  # transparency becomes white, as in the CLI
    assert tuple(decoded[3, 3]) == (0, 0, 255)


def test_decode_image_names_the_source_of_empty_and_non_image_bytes():
    with pytest.raises(ImageError, match="upload: empty file"):
        decode_image(b"", source="upload")
    with pytest.raises(ImageError, match="upload: not a readable image"):
        decode_image(b"GIF89a but not really", source="upload")
