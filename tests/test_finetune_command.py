"""`train_emotions --from WEIGHTS`: fine-tuning the shipped weights on a few faces of a look they never saw, with
studio faces rehearsed, writes a model that still reads the studio; bad combinations are a clear message."""
import hashlib
import json

import pytest

from tests.processes import ROOT, command_refusal, manage_py
from toonvision.finetuning import FINE_TUNE_EPOCHS
from toonvision.inference import EmotionClassifier
from toonvision.studio import write_face_dataset

SHIPPED = ROOT / "emotions" / "weights" / "toon.pt"


@pytest.fixture(scope="module")
def line_art(tmp_path_factory):
    """Five line-art faces per emotion: another artist's look, kept out of every training set."""
    out = tmp_path_factory.mktemp("line-art")
    write_face_dataset(out, per_class=5, seed=77001, characters=["extras"], look="line-art")
    return out


@pytest.mark.slow
def test_fine_tuning_starts_from_the_weights_and_keeps_reading_the_studio(line_art, studio_faces, tmp_path):
    out = tmp_path / "line-art.pt"
    result = manage_py("train_emotions", "--dataset", str(line_art), "--out", str(out), "--from", str(SHIPPED),
                       "--mix", str(studio_faces))  # the defaults, as a user runs it

    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["fine_tuned_from"]["weights"] == "toon.pt"
    assert report["fine_tuned_from"]["sha256"] == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert report["arch"] == "toon" and len(report["history"]) == FINE_TUNE_EPOCHS  # the preset came from the weights
    assert report["rehearsal"]["accuracy"] >= 0.95, report["rehearsal"]  # the studio is not forgotten
    tuned, shipped = EmotionClassifier.load(out), EmotionClassifier.load(SHIPPED)
    assert tuned.classes == shipped.classes and tuned.arch == shipped.arch


def test_fine_tuning_refuses_what_does_not_fit(line_art, tmp_path):
    out = str(tmp_path / "w.pt")
    assert "missing.pt" in command_refusal("train_emotions", "--dataset", str(line_art), "--out", out,
                                           "--from", str(tmp_path / "missing.pt"))
    assert "its preset is toon" in command_refusal("train_emotions", "--dataset", str(line_art), "--out", out,
                                                   "--from", str(SHIPPED), "--arch", "seed")
    assert "use it with --from" in command_refusal("train_emotions", "--dataset", str(line_art), "--out", out,
                                                   "--mix", str(line_art))
    assert not (tmp_path / "w.pt").exists()
