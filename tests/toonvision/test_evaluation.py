import numpy as np
import pytest

from toonvision.datasets import load_dataset
from toonvision.emotions import EMOTIONS
from toonvision.evaluation import EvaluationError, compute_metrics, evaluate
from toonvision.inference import EmotionClassifier


class FixedClassifier:
    """Duck-typed classifier that gives every image the same probabilities."""

    def __init__(self, probabilities: dict[str, float]):
        self.classes = EMOTIONS
        self.input_size = 16
        self.row = np.array([probabilities.get(c, 0.0) for c in EMOTIONS], dtype=np.float32)

    def predict_proba(self, images, batch_size=256):
        return np.tile(self.row, (len(images), 1))


def test_evaluate_output_shape(trained_seed, make_dataset, tmp_path):
    data = make_dataset(tmp_path / "held_out", "emotion", per_class=4, seed=9)
    result = evaluate(EmotionClassifier.load(trained_seed), load_dataset(data))
    assert set(result) == {"accuracy", "macro_f1", "n", "classes", "per_class", "confusion"}
    assert result["n"] == 12  # every sample, not a split
    assert result["classes"] == ["angry", "happy", "surprise"]
    assert set(result["per_class"]["happy"]) == {"precision", "recall", "f1", "n"}
    assert result["per_class"]["happy"]["n"] == 4
    assert np.array(result["confusion"]).shape == (3, 3) and np.array(result["confusion"]).sum() == 12
    assert 0.0 <= result["accuracy"] <= 1.0


def test_predictions_are_restricted_to_the_datasets_emotions(make_dataset, tmp_path):
    # "surprise" wins overall, but the dataset only has happy and sad faces, so "happy" must be predicted.
    data = make_dataset(tmp_path / "d", "emotion", emotions=("happy", "sad"), per_class=3)
    result = evaluate(FixedClassifier({"surprise": 0.5, "happy": 0.3, "sad": 0.2}), data)
    assert result["classes"] == ["happy", "sad"]
    assert result["confusion"] == [[3, 0], [3, 0]]
    assert result["accuracy"] == pytest.approx(0.5)
    assert result["per_class"]["happy"]["recall"] == 1.0 and result["per_class"]["sad"]["recall"] == 0.0


def test_unknown_emotions_in_the_dataset_are_an_error(trained_seed, make_dataset, tmp_path):
    data = make_dataset(tmp_path / "d", "emotion", emotions=("happy", "fear"), per_class=1)
    with pytest.raises(EvaluationError, match="fear"):
        evaluate(EmotionClassifier.load(trained_seed), data)


def test_compute_metrics_by_hand():
    # true:      a a a b b c
    # predicted: a a b b c c
    result = compute_metrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ["a", "b", "c"])
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["confusion"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    a, b, c = (result["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"], a["n"]) == (1.0, pytest.approx(2 / 3), 3)
    assert (b["precision"], b["recall"]) == (0.5, 0.5)
    assert (c["precision"], c["recall"]) == (0.5, 1.0)
    f1 = [0.8, 0.5, 2 / 3]
    assert [a["f1"], b["f1"], c["f1"]] == pytest.approx(f1)
    assert result["macro_f1"] == pytest.approx(np.mean(f1))


def test_compute_metrics_class_never_predicted():
    result = compute_metrics([0, 1], [0, 0], ["a", "b"])
    assert result["per_class"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "n": 1}
