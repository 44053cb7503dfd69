"""A taught character's colours: learnt from its marked faces, they keep its faces and turn away other characters'
faces that its gray cascade cannot tell apart; stored in the character's JSON and applied where faces are found."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.toonvision.conftest import SHIPPED_CASCADES as CASCADE_DIR
from toonvision.appearance import MAX_THRESHOLD, Appearance, AppearanceError, face_region, learn_appearance
from toonvision.detection import CascadeError, load_cast, load_detectors, read_character_json
from toonvision.segmentation import FastOptions, detect_characters
from toonvision.studio.cascade_data import marked_crop, star_frames


def marked(guest: str, count: int, seed: int = 300) -> list[np.ndarray]:
    crops = []
    while len(crops) < count:
        crops += [c for c in (marked_crop(f, faces, guest) for f, faces in star_frames(guest, seed=seed, count=4))
                  if c is not None]
        seed += 1
    return crops[:count]


def unseen_faces(guest: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The guest's faces and every other face (extras) on frames of episodes no example came from."""
    mine, others = [], []
    for seed in (9601, 9602):
        for frame, faces in star_frames(guest, seed=seed, count=15):
            for face in faces:
                (mine if face["character"] == guest else others).append(face_region(frame, face["box"]))
    return mine, others


@pytest.mark.parametrize("guest", ["clover", "juniper"])
def test_the_colours_keep_the_characters_faces_and_turn_away_other_faces(guest):
    crops = marked(guest, 20)
    appearance, figures = learn_appearance(crops[:15], crops[15:])
    assert 0.0 < appearance.threshold <= MAX_THRESHOLD and figures["holdout_pass_rate"] == 1.0
    mine, others = unseen_faces(guest)
    assert len(mine) >= 20 and len(others) >= 10
    assert sum(map(appearance.accepts, mine)) >= 0.95 * len(mine)
    assert sum(map(appearance.accepts, others)) <= 0.1 * len(others)


def test_a_character_drawn_in_gray_is_never_turned_away():
    gray = [cv2.cvtColor(cv2.cvtColor(c, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR) for c in marked("clover", 12)]
    appearance, _ = learn_appearance(gray[:9], gray[9:])
    _, others = unseen_faces("clover")
    grayed = [cv2.cvtColor(cv2.cvtColor(o, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR) for o in others]
    assert all(map(appearance.accepts, grayed))


def test_the_json_round_trips_and_malformed_appearances_are_refused(tmp_path):
    crops = marked("juniper", 12)
    appearance, _ = learn_appearance(crops[:9], crops[9:])
    again = Appearance.from_json(json.loads(json.dumps(appearance.as_json())))
    assert again.threshold == pytest.approx(appearance.threshold, abs=1e-4)
    assert [again.similarity(c) for c in crops] == pytest.approx([appearance.similarity(c) for c in crops], abs=1e-3)
    for bad in ({}, {"bins": [4, 4], "threshold": 0.3, "histograms": [[0.0] * 16]},
                {"bins": [18, 8], "threshold": 2.0, "histograms": [[0.0] * 144]},
                {"bins": [18, 8], "threshold": 0.3, "histograms": [[0.0] * 10]}):
        with pytest.raises(AppearanceError):
            Appearance.from_json(bad)
    xml = tmp_path / "juniper.xml"
    xml.write_text((CASCADE_DIR / "pip.xml").read_text())
    detection = {"scale_factor": 1.1, "min_neighbors": 3, "min_size": 24, "max_size": 0}
    xml.with_suffix(".json").write_text(json.dumps({"character": "juniper", "detection": detection,
                                                    "appearance": {"bins": [18, 8], "threshold": "high"}}))
    with pytest.raises(CascadeError, match="appearance"):
        read_character_json(xml)
    xml.with_suffix(".json").write_text(json.dumps({"character": "juniper", "detection": detection,
                                                    "appearance": appearance.as_json()}))
    [detector] = load_detectors([f"juniper={xml}"], tmp_path)
    assert detector.appearance is not None and detector.appearance.threshold == pytest.approx(appearance.threshold,
                                                                                              abs=1e-4)


def test_faces_found_without_the_characters_colours_are_dropped_where_the_frame_is_in_colour():
    """Pip's own cascade given clover's colours: on Pip's frames it finds Pip, and the colours turn him away."""
    [pip] = [d for d in load_cast(CASCADE_DIR) if d.name == "pip"]
    crops = marked("clover", 12)
    pip.appearance, _ = learn_appearance(crops[:9], crops[9:])
    options, kept, found = FastOptions(), 0, 0
    for frame, _ in star_frames("pip", seed=9701, count=12):
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        found += len(detect_characters(gray, [pip], options))
        kept += len(detect_characters(gray, [pip], options, bgr=frame))
    assert found >= 6 and kept == 0
