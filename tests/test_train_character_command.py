"""`manage.py train_character`: a cascade and its FILE.json from folders of a guest's faces, or a clear message
and a nonzero exit; and `segment --cascade NAME=FILE.xml` running it with the parameters of that JSON."""
import json
import shutil

import cv2
import numpy as np
import pytest

from tests.processes import assert_clean_failure, command_refusal, manage_py
from tests.test_segment_command import episode, segment_here, segment_refusal  # noqa: F401 (a fixture)
from tests.toonvision.conftest import SHIPPED_CASCADES


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from toonvision.cascade_training.character import blank_faces
    from toonvision.studio import render_face, sample_face_spec
    from toonvision.studio.cascade_data import marked_crop, star_frames

    root = tmp_path_factory.mktemp("character-command")
    (root / "examples").mkdir()
    (root / "negatives").mkdir()
    n = 0
    for seed in range(500, 506):
        for frame, faces in star_frames("clover", seed=seed, count=3):
            crop = marked_crop(frame, faces, "clover")
            if crop is not None:
                cv2.imwrite(str(root / "examples" / f"{n:03d}.jpg"), crop)  # colour jpgs of any size
                n += 1
            boxes = [f["box"] for f in faces if f["character"] == "clover"]
            cv2.imwrite(str(root / "negatives" / f"{seed}-{n}.png"), blank_faces(frame, boxes))
    for i in range(4):  # and RGBA pngs: transparent around the head
        head = render_face(sample_face_spec(np.random.default_rng(i), "clover", "happy"), 48)
        cv2.imwrite(str(root / "examples" / f"rgba-{i}.png"), head)
    return root


@pytest.mark.slow
def test_train_character_writes_the_cascade_and_its_json(folders, tmp_path):
    out = tmp_path / "models" / "clover.xml"
    result = manage_py("train_character", "clover", "--examples", str(folders / "examples"), "--negatives",
                       str(folders / "negatives"), "--out", str(out), "--seed", "2", "--stages", "6",
                       "--device", "cpu")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["character"] == "clover" and summary["json"] == str(out.with_suffix(".json"))
    assert 1 <= summary["stages_trained"] <= 6 and summary["device"] == "cpu"
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["character"] == "clover" and data["detection"] == summary["detection"]
    assert set(data["detection"]) == {"scale_factor", "min_neighbors", "min_size", "max_size"}
    assert data["report"]["examples"] >= 16 and data["report"]["negatives_source"] == "given"
    assert not cv2.CascadeClassifier(str(out)).empty()
    assert "Traceback" not in result.stderr


def refusal(folders, tmp_path, *args, examples=None, name="clover") -> str:
    out = tmp_path / "out" / "clover.xml"
    message = command_refusal("train_character", name, "--examples", str(examples or folders / "examples"),
                              "--out", str(out), *args)
    assert not out.exists() and not out.with_suffix(".json").exists()
    return message


def test_no_examples_is_a_clear_error(folders, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "contains no images" in refusal(folders, tmp_path, examples=empty)
    few = tmp_path / "few"
    few.mkdir()
    for path in sorted((folders / "examples").glob("*.jpg"))[:4]:
        shutil.copy(path, few)
    assert "at least 10 are needed" in refusal(folders, tmp_path, examples=few)


def test_an_unreadable_example_is_named(folders, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(folders / "examples", broken)
    (broken / "zz.png").write_bytes(b"not a png at all")
    assert "zz.png" in refusal(folders, tmp_path, examples=broken)


def test_examples_smaller_than_the_window_are_refused(folders, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    for i, path in enumerate(sorted((folders / "examples").glob("*.jpg"))[:12]):
        cv2.imwrite(str(small / f"{i}.png"), cv2.resize(cv2.imread(str(path)), (16, 16)))
    assert "smaller than the 24x24 window" in refusal(folders, tmp_path, examples=small)


def test_an_empty_negatives_folder_is_refused(folders, tmp_path):
    empty = tmp_path / "no-negatives"
    empty.mkdir()
    assert "negatives folder" in refusal(folders, tmp_path, "--negatives", str(empty))
    assert "does not exist" in refusal(folders, tmp_path, "--negatives", str(tmp_path / "nowhere"))


@pytest.mark.slow
def test_a_bad_name_and_bad_options_are_refused(folders, tmp_path):
    assert "bad character name" in refusal(folders, tmp_path, name="Clover Duck")
    assert "OpenCV XML" in command_refusal("train_character", "clover", "--examples", str(folders / "examples"),
                                           "--out", str(tmp_path / "clover.txt"))
    result = manage_py("train_character", "clover", "--examples", str(folders / "examples"), "--out",
                       str(tmp_path / "c.xml"), "--device", "tpu")
    assert_clean_failure(result, "invalid choice: 'tpu'")


@pytest.mark.slow
@pytest.mark.django_db  # segment reads which emotion model is active
def test_segment_runs_a_cascade_with_the_parameters_of_the_json_beside_it(episode, tmp_path):  # noqa: F811
    xml = tmp_path / "pip.xml"
    shutil.copy(SHIPPED_CASCADES / "pip.xml", xml)
    window = ("--method", "seed", "--start", "0", "--stop", "24")  # seed runs each character's min_neighbors
    segment_here(episode, tmp_path / "plain.json", "--cascade", f"pip={xml}", *window)
    plain = json.loads((tmp_path / "plain.json").read_text())["detections"]
    assert plain, "pip's own cascade finds pip on the first second"
    detection = {"scale_factor": 1.1, "min_neighbors": 500, "min_size": 24, "max_size": 0}
    xml.with_suffix(".json").write_text(json.dumps({"character": "pip", "detection": detection, "report": {}}))
    segment_here(episode, tmp_path / "sized.json", "--cascade", f"pip={xml}", *window)
    assert json.loads((tmp_path / "sized.json").read_text())["detections"] == []  # no face has 500 neighbours


def test_segment_refuses_a_malformed_json_beside_the_cascade(episode, tmp_path):  # noqa: F811
    xml = tmp_path / "pip.xml"
    shutil.copy(SHIPPED_CASCADES / "pip.xml", xml)
    xml.with_suffix(".json").write_text('{"detection": {"scale_factor": ')
    assert "not valid JSON" in segment_refusal(episode, tmp_path / "out.json", "--cascade", f"pip={xml}")
    xml.with_suffix(".json").write_text(json.dumps({"detection": {"min_neighbors": 3}}))
    assert "must hold" in segment_refusal(episode, tmp_path / "out.json", "--cascade", f"pip={xml}")
