import logging

import cv2
import numpy as np
import pytest

from toonvision.datasets import (
    LAYOUT_CHARACTER,
    LAYOUT_EMOTION,
    LAYOUT_SPLIT,
    DatasetError,
    load_arrays,
    load_dataset,
    split_dataset,
)


def test_emotion_layout(flat_dataset):
    dataset = load_dataset(flat_dataset)
    assert dataset.layout == LAYOUT_EMOTION
    assert dataset.classes == ["angry", "happy", "surprise"]
    assert dataset.counts() == {"angry": 6, "happy": 6, "surprise": 6}
    assert all(s.character is None and s.split is None for s in dataset.samples)
    assert not dataset.has_own_split and dataset.skipped == []


def test_character_layout(tmp_path, make_dataset):
    root = make_dataset(tmp_path / "d", "character/emotion", emotions=("sad", "fear"), per_class=3)
    dataset = load_dataset(root)
    assert dataset.layout == LAYOUT_CHARACTER
    assert dataset.classes == ["fear", "sad"]  # canonical order, not folder order
    assert dataset.characters == ["jerry", "tom"]
    assert len(dataset) == 2 * 2 * 3
    assert {(s.character, s.emotion) for s in dataset.samples} == {
        ("tom", "sad"), ("tom", "fear"), ("jerry", "sad"), ("jerry", "fear")
    }


def test_dissertation_split_layout_and_its_split_is_used(tmp_path, make_dataset):
    root = make_dataset(tmp_path / "d", "character/emotion/split", per_class=2)
    dataset = load_dataset(root)
    assert dataset.layout == LAYOUT_SPLIT
    assert dataset.has_own_split
    train, test = split_dataset(dataset, test_fraction=0.5, seed=3)
    assert {dataset.samples[i].split for i in test} == {"test"}
    assert {dataset.samples[i].split for i in train} == {"train"}
    assert all("testing" in str(dataset.samples[i].path) for i in test)
    assert len(test) == 2 * 3 * 2 and len(train) == 2 * 3 * 2


def test_emotion_folders_match_case_insensitively(tmp_path):
    (tmp_path / "Happy").mkdir()
    cv2.imwrite(str(tmp_path / "Happy" / "a.png"), np.zeros((4, 4, 3), np.uint8))
    assert load_dataset(tmp_path).classes == ["happy"]


@pytest.mark.parametrize("layout", ["emotion", "character/emotion"])
def test_unknown_emotion_folder_is_named(tmp_path, layout, make_dataset):
    root = make_dataset(tmp_path / "d", layout, per_class=1)
    bad = (root / "grumpy") if layout == "emotion" else (root / "tom" / "grumpy")
    bad.mkdir()
    with pytest.raises(DatasetError, match="grumpy") as caught:
        load_dataset(root)
    assert "angry, disgust, fear, happy, neutral, sad, surprise" in str(caught.value)


def test_missing_root_and_file_root(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DatasetError, match="not a folder"):
        load_dataset(tmp_path / "file.txt")


def test_empty_root(tmp_path):
    with pytest.raises(DatasetError, match="empty"):
        load_dataset(tmp_path)


def test_emotion_folders_without_images(tmp_path):
    (tmp_path / "happy").mkdir()
    (tmp_path / "sad").mkdir()
    (tmp_path / "sad" / "readme.txt").write_text("not an image")
    with pytest.raises(DatasetError, match="no images"):
        load_dataset(tmp_path)


def test_corrupt_and_empty_images_are_skipped_and_reported(flat_dataset, caplog):
    (flat_dataset / "happy" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (flat_dataset / "angry" / "zero.png").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="toonvision.datasets"):
        dataset = load_dataset(flat_dataset)
        images, labels = load_arrays(dataset, 16)
    skipped = {path.name: reason for path, reason in dataset.skipped}
    assert set(skipped) == {"broken.png", "zero.png"}
    assert skipped["zero.png"] == "empty file"
    assert "broken.png" in caplog.text and "zero.png" in caplog.text
    assert len(images) == len(labels) == len(dataset.samples) == 18
    assert all(s.path.name != "broken.png" for s in dataset.samples)


def test_load_arrays_resizes_and_keeps_bgr(tmp_path):
    for emotion, colour in (("angry", (255, 0, 0)), ("happy", (0, 0, 255))):
        (tmp_path / emotion).mkdir()
        cv2.imwrite(str(tmp_path / emotion / "x.png"), np.full((20, 30, 3), colour, np.uint8))
    dataset = load_dataset(tmp_path)
    images, labels = load_arrays(dataset, 12)
    assert images.shape == (2, 12, 12, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1]
    assert tuple(images[0, 5, 5]) == (255, 0, 0)  # angry was drawn blue in BGR: channel 0
    assert tuple(images[1, 5, 5]) == (0, 0, 255)


def test_random_split_is_stratified_and_deterministic(tmp_path, make_dataset):
    root = make_dataset(tmp_path / "d", "emotion", per_class=10)
    dataset = load_dataset(root)
    train, test = split_dataset(dataset, test_fraction=0.2, seed=7)
    again = split_dataset(dataset, test_fraction=0.2, seed=7)
    other = split_dataset(dataset, test_fraction=0.2, seed=8)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(test, again[1])
    assert not np.array_equal(test, other[1])
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(30))
    per_class = {c: sum(dataset.samples[i].emotion == c for i in test) for c in dataset.classes}
    assert per_class == {"angry": 2, "happy": 2, "surprise": 2}


def test_split_keeps_singletons_for_training(tmp_path, make_dataset):
    root = make_dataset(tmp_path / "d", "emotion", per_class=1)
    train, test = split_dataset(load_dataset(root), seed=0)
    assert len(train) == 3 and len(test) == 0
