"""Characters as detectors: third-party cascades load and run; anything else is refused clearly."""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from tests.toonvision.conftest import SHIPPED_CASCADES
from toonvision.detection import (
    CascadeError,
    CharacterDetector,
    DetectionParams,
    load_cascade,
    load_detectors,
    parse_cascade_arg,
    read_cast,
)

# The dissertation's cascades stay outside the repository (their README asks that): beside the checkout,
# or where HAKO_CASCADES points (a clone elsewhere, such as CI's, falls back to the workplace's copy).
_CANDIDATES = [
    os.environ.get("HAKO_CASCADES", ""),
    Path(__file__).resolve().parents[2].parent / "shared" / "third_party" / "hako-cascades",
    "/work/shared/third_party/hako-cascades",
]
HAKO = next((Path(c) for c in _CANDIDATES if c and (Path(c) / "tom.xml").exists()), Path(str(_CANDIDATES[1])))
needs_hako = pytest.mark.skipif(
    not (HAKO / "tom.xml").exists(), reason=f"the dissertation's cascades are not at {HAKO} on this machine"
)


@needs_hako
@pytest.mark.parametrize("name, boost", [("tom", "GAB"), ("jerry", "RAB")])
def test_the_dissertations_cascades_load_and_run(name, boost):
    assert f"<boostType>{boost}</boostType>" in (HAKO / f"{name}.xml").read_text()
    detector = CharacterDetector.load(name, HAKO / f"{name}.xml", DetectionParams(min_neighbors=40))
    assert detector.window == (24, 24) and detector.feature_type == "HAAR"
    gray = np.random.default_rng(0).integers(0, 256, (120, 160), np.uint8)
    boxes, counts = detector.detect_with_counts(gray, DetectionParams(min_neighbors=0))
    assert boxes.shape[1] == 4 and len(boxes) == len(counts)
    assert detector.detect(np.zeros((120, 160), np.uint8)).shape == (0, 4)  # a flat frame holds no face


@needs_hako
def test_named_cascades_replace_the_cast(tmp_path):
    detectors = load_detectors([f"tom={HAKO / 'tom.xml'}", f"jerry={HAKO / 'jerry.xml'}"], SHIPPED_CASCADES)
    assert [d.name for d in detectors] == ["tom", "jerry"]
    with pytest.raises(CascadeError, match="named twice"):
        load_detectors([f"tom={HAKO / 'tom.xml'}", f"tom={HAKO / 'jerry.xml'}"], SHIPPED_CASCADES)


@needs_hako
@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: s[: len(s) // 2], "not a cascade XML file"),
        (lambda s: "<root><child/></root>", "not an OpenCV cascade"),
        (lambda s: s.replace("<width>24</width>", "<width>0</width>"), "not a cascade OpenCV can load"),
        (lambda s: s.replace("<featureType>HAAR", "<featureType>SIFT"), "not a cascade OpenCV can load"),
        (lambda s: re.sub(r"<features>.*</features>", "<features></features>", s, flags=re.S), "defines only 0"),
    ],
)
def test_malformed_cascades_are_refused_with_the_reason(tmp_path, mutate, message):
    bad = tmp_path / "bad.xml"
    bad.write_text(mutate((HAKO / "jerry.xml").read_text()))
    with pytest.raises(CascadeError, match=message):
        load_cascade(bad)


@pytest.mark.parametrize("content, message", [(b"", "is empty"), (b"\x89PNG\r\n\x1a\n\x00\x00", "not a cascade XML")])
def test_files_that_are_not_cascades_are_refused(tmp_path, content, message):
    bad = tmp_path / "face.xml"
    bad.write_bytes(content)
    with pytest.raises(CascadeError, match=message):
        load_cascade(bad)
    with pytest.raises(CascadeError, match="does not exist"):
        load_cascade(tmp_path / "missing.xml")


@pytest.mark.parametrize("arg", ["tom", "=x.xml", "tom="])
def test_cascade_arguments_need_a_name_and_a_file(arg):
    with pytest.raises(CascadeError, match="NAME=FILE.xml"):
        parse_cascade_arg(arg)


@pytest.mark.parametrize("params", [dict(scale_factor=1.0), dict(min_neighbors=-1), dict(min_size=0)])
def test_detection_parameters_are_checked(params):
    with pytest.raises(CascadeError):
        DetectionParams(**params)


def test_character_names_are_slugs(tmp_path):
    with pytest.raises(CascadeError, match="bad character name"):
        CharacterDetector.load("Tom & Jerry", tmp_path / "x.xml")


def test_the_shipped_cast_file_reads_without_loading_cascades_and_bad_files_are_refused(tmp_path):
    cast = read_cast(SHIPPED_CASCADES)
    assert set(cast) == {"marmalade", "pip"}
    assert cast["pip"].cascade_path.name == "pip.xml" and cast["pip"].params.min_neighbors >= 1
    for content, message in [("{", "not valid JSON"), ('{"people": {}}', "not a cast file"),
                             ('{"characters": {"pip": {}}}', "not a cast file")]:
        (tmp_path / "cast.json").write_text(content)
        with pytest.raises(CascadeError, match=message):
            read_cast(tmp_path)
    with pytest.raises(CascadeError, match="no cast.json"):
        read_cast(tmp_path / "nowhere")
