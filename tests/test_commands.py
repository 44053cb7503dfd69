"""The commands a user runs: studio faces, training, evaluation, classification, and their bad input. One run of each
command is a real manage.py process (its exit status and output); the rest run in this process through call_command."""
import json

import pytest

from tests.processes import command_output, command_refusal, manage_py

# With no --weights the commands read the active model from the registry (emotions.services.classifier).
pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_synth_faces_writes_the_character_emotion_layout(tmp_path):
    result = manage_py("synth_faces", str(tmp_path / "faces"), "--per-class", "2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["count"] == 2 * 7 * 3
    assert len(list((tmp_path / "faces" / "pip" / "angry").glob("*.png"))) == 2


def test_synth_faces_refuses_a_non_positive_count(tmp_path):
    assert "per_class" in command_refusal("synth_faces", str(tmp_path), "--per-class", "0")


def test_synth_faces_draws_in_the_styles_asked_for(tmp_path):
    summary = json.loads(command_output("synth_faces", str(tmp_path), "--per-class", "1", "--size", "32",
                                        "--characters", "pip", "--emotions", "sad", "--style", "chibi", "people"))
    assert summary["styles"] == ["chibi", "people"] and summary["count"] == 2
    assert sorted(p.name for p in (tmp_path / "pip" / "sad").glob("*.png")) == [
        "pip-sad-chibi-0-00000.png", "pip-sad-people-0-00000.png"]
    assert "cubist" in command_refusal("synth_faces", str(tmp_path), "--per-class", "1", "--style", "cubist")


@pytest.mark.slow
def test_shipped_weights_recognise_unseen_studio_faces(studio_faces):
    result = manage_py("evaluate_emotions", "--dataset", str(studio_faces), "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert set(metrics) >= {"accuracy", "macro_f1", "n", "classes", "per_class", "confusion"}
    assert metrics["n"] == 3 * 7 * 6
    assert metrics["classes"] == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    assert metrics["accuracy"] >= 0.97


def test_evaluation_restricts_predictions_to_the_emotions_present(studio_faces, tmp_path):
    for emotion in ("angry", "happy", "surprise"):  # the dissertation's three-emotion task
        (tmp_path / emotion).symlink_to(studio_faces / "marmalade" / emotion)
    metrics = json.loads(command_output("evaluate_emotions", "--dataset", str(tmp_path), "--json"))
    assert metrics["classes"] == ["angry", "happy", "surprise"]
    assert len(metrics["confusion"]) == 3 and all(len(row) == 3 for row in metrics["confusion"])


@pytest.mark.slow
def test_classify_prints_the_emotion_and_probabilities(studio_faces):
    face = sorted((studio_faces / "pip" / "happy").glob("*.png"))[0]
    result = manage_py("classify", str(face), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["emotion"] == "happy"
    assert sum(answer["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_classify_refuses_a_corrupt_image(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert "broken.png" in command_refusal("classify", str(broken))


def test_evaluate_refuses_an_empty_folder(tmp_path):
    assert command_refusal("evaluate_emotions", "--dataset", str(tmp_path), "--json")


def test_training_names_an_unknown_emotion_folder(studio_faces, tmp_path):
    (tmp_path / "happy").symlink_to(studio_faces / "pip" / "happy")
    (tmp_path / "smug").symlink_to(studio_faces / "pip" / "sad")
    assert "smug" in command_refusal("train_emotions", "--dataset", str(tmp_path), "--out", str(tmp_path / "w.pt"))
    assert not (tmp_path / "w.pt").exists()


@pytest.mark.slow
def test_training_writes_weights_report_and_plots_that_classify_can_use(studio_faces, tmp_path, settings):
    weights = tmp_path / "tiny.pt"
    result = manage_py("train_emotions", "--dataset", str(studio_faces), "--out", str(weights),
                       "--arch", "seed", "--epochs", "1", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert weights.exists()
    report = json.loads(weights.with_suffix(".json").read_text())
    assert report["arch"] == "seed" and len(report["history"]) == 1
    assert (tmp_path / "tiny.curves.png").stat().st_size > 0
    assert (tmp_path / "tiny.confusion.png").stat().st_size > 0

    face = sorted((studio_faces / "pip" / "sad").glob("*.png"))[0]
    settings.EMOTION_WEIGHTS = weights
    classified = command_output("classify", str(face), "--json")
    assert json.loads(classified)["emotion"] in report["dataset"]["classes"]


def test_classify_refuses_a_weights_file_that_is_not_one(studio_faces, tmp_path, settings):
    fake = tmp_path / "weights.pt"
    fake.write_bytes(b"definitely not a checkpoint")
    face = sorted((studio_faces / "pip" / "happy").glob("*.png"))[0]
    settings.EMOTION_WEIGHTS = fake
    assert "weights.pt" in command_refusal("classify", str(face))


@pytest.mark.slow
def test_compare_optimizers_writes_the_dissertations_table(studio_faces, tmp_path):
    command_output("train_emotions", "--dataset", str(studio_faces / "pip"), "--out", str(tmp_path / "cmp"),
                   "--compare-optimizers", "--runs", "1", "--epochs", "1")
    table = (tmp_path / "cmp" / "optimizers.md").read_text()
    for optimizer in ("sgd", "adadelta", "adagrad", "adam", "rmsprop"):
        assert f"| {optimizer} |" in table
    assert set(json.loads((tmp_path / "cmp" / "optimizers.json").read_text())["results"]) == {
        "sgd", "adadelta", "adagrad", "adam", "rmsprop"}
