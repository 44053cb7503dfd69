"""What a worker process keeps between range tasks: the emotion CNN and the characters' detectors are loaded once,
and loaded again when their file changes under the same name, so a run never reads with a stale model or cascade."""

import os
import shutil

import pytest
import torch
from django.core.files.storage import default_storage

from emotions.services.classifier import classifier_load
from emotions.services.ranges import _detector
from emotions.services.runs import episode_process
from tests.conftest import OPENCV_CASCADES
from tests.factories import upload

pytestmark = pytest.mark.django_db


def test_the_classifier_is_loaded_again_when_its_weights_are_written_again(settings, tmp_path):
    weights = tmp_path / "toon.pt"
    shutil.copyfile(settings.EMOTION_WEIGHTS, weights)
    first = classifier_load(weights=weights)
    assert classifier_load(weights=weights) is first  # loaded once

    checkpoint = torch.load(weights, weights_only=True)
    checkpoint["trained"] = {**(checkpoint.get("trained") or {}), "epochs": 12345}
    torch.save(checkpoint, weights)  # retrained in place: the same name, other weights

    again = classifier_load(weights=weights)
    assert again is not first and again.info["epochs"] == 12345
    assert classifier_load(weights=weights) is again


def test_the_classifier_computes_in_the_precision_the_setting_names(settings):
    settings.EMOTION_PRECISION = "fp32"
    assert classifier_load().precision == "fp32"
    settings.EMOTION_PRECISION = "bf16"
    assert classifier_load().precision == "bf16"  # another setting: another classifier, not the cached one


@pytest.fixture
def run(characters, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 24
    return episode_process(episode=upload(studio_episode), enqueue=False)


def test_a_run_s_detectors_are_loaded_once_per_process(run):
    entry = run.cascades[0]
    first = _detector(entry)
    assert _detector(dict(entry)) is first
    assert _detector({**entry, "params": {**entry["params"], "min_neighbors": 9}}) is not first


def test_a_cascade_written_again_under_its_name_is_loaded_anew(run):
    entry = run.cascades[0]
    first = _detector(entry)
    path = default_storage.path(entry["cascade"])
    stat = os.stat(path)
    shutil.copyfile(OPENCV_CASCADES / "haarcascade_frontalface_alt2.xml", path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later write, whatever the clock

    again = _detector(entry)
    assert again is not first
    assert again.cascade.getOriginalWindowSize() == (20, 20)  # OpenCV's face cascade, not the one first loaded
