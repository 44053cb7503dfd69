"""`manage.py train_cascade`: a cascade OpenCV loads and a report, or a clear message and a nonzero exit."""
import json

import cv2
import numpy as np
import pytest

from tests.processes import command_refusal, manage_py


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from toonvision.studio import draw_face_image
    from toonvision.studio.scenery import background

    root = tmp_path_factory.mktemp("cascade-command")
    (root / "positives").mkdir()
    (root / "negatives").mkdir()
    for i in range(60):
        face = draw_face_image(np.random.default_rng([11, i]), "pip", "happy", size=40)
        cv2.imwrite(str(root / "positives" / f"{i:03d}.jpg"), face)  # colour jpgs of any size
    for i in range(10):
        cv2.imwrite(str(root / "negatives" / f"{i:03d}.png"), background(np.random.default_rng([12, i]), 200))
    return root


@pytest.mark.slow
def test_train_cascade_writes_a_cascade_and_its_report(folders, tmp_path):
    out = tmp_path / "models" / "pip.xml"
    result = manage_py("train_cascade", "--positives", str(folders / "positives"), "--negatives",
                       str(folders / "negatives"), "--out", str(out), "--stages", "3", "--features-per-stage", "500",
                       "--feature", "lbp", "--seed", "2")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["stages"] == 3 and summary["report"] == str(out.with_suffix(".json"))
    detector = cv2.CascadeClassifier(str(out))
    assert not detector.empty() and detector.getFeatureType() == 1  # LBP
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["params"]["stages"] == 3 and len(report["stages"]) == 3
    assert "stage 3/3" in result.stderr  # the per-stage log line


def test_an_empty_positives_folder_is_a_clear_error(folders, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "pip.xml"
    refusal = command_refusal("train_cascade", "--positives", str(empty), "--negatives", str(folders / "negatives"),
                              "--out", str(out))
    assert "contains no images" in refusal
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_bad_options_are_clear_errors(folders, tmp_path):
    common = ["--positives", str(folders / "positives"), "--negatives", str(folders / "negatives"),
              "--out", str(tmp_path / "pip.xml")]
    assert "window must be at least 8" in command_refusal("train_cascade", *common, "--window", "4")
    assert "invalid choice: 'hog'" in command_refusal("train_cascade", *common, "--feature", "hog")
