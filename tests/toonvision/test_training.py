import json

import numpy as np
import pytest
import torch

from toonvision import training
from toonvision.inference import EmotionClassifier
from toonvision.training import compare_optimizers, output_paths, resolve_config, train

QUIET = {"progress": False, "log": lambda message: None}


def test_training_writes_weights_report_and_charts(trained_seed):
    paths = output_paths(trained_seed)
    for path in paths.values():
        assert path.is_file() and path.stat().st_size > 0
    assert paths["report"].name == "seed.json"
    assert paths["curves"].name == "seed.curves.png" and paths["confusion"].name == "seed.confusion.png"
    assert paths["curves"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(trained_seed.parent.glob("*.tmp"))


def test_report_has_the_documented_keys(trained_seed):
    report = json.loads(trained_seed.with_suffix(".json").read_text())
    for key in ("arch", "optimizer", "epochs", "seed", "device", "dataset", "split", "history",
                "seconds_per_epoch", "accuracy", "macro_f1", "test", "skipped"):
        assert key in report, key
    assert report["arch"] == "seed" and report["optimizer"] == "adam" and report["epochs"] == 2
    assert report["dataset"]["layout"] == "emotion" and report["dataset"]["counts"] == {
        "angry": 10, "happy": 10, "surprise": 10
    }
    assert report["split"]["n_train"] == 24 and report["split"]["n_test"] == 6
    assert [row["epoch"] for row in report["history"]] == [1, 2]
    assert set(report["history"][0]) >= {"train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds"}
    assert set(report["test"]) == {"accuracy", "macro_f1", "n", "classes", "per_class", "confusion"}
    assert report["test"]["accuracy"] == report["accuracy"] == report["history"][-1]["test_accuracy"]


def test_checkpoint_format_and_reload(trained_seed):
    checkpoint = torch.load(trained_seed, weights_only=True)
    assert checkpoint["format"] == "toonsite-emotion-cnn" and checkpoint["version"] == 1
    assert checkpoint["arch"] == "seed" and checkpoint["input_size"] == 60
    assert checkpoint["classes"] == ["angry", "happy", "surprise"]
    assert len(checkpoint["mean"]) == 3 and len(checkpoint["std"]) == 3
    assert checkpoint["trained"]["n_test"] == 6
    classifier = EmotionClassifier.load(trained_seed)
    assert classifier.classes == ("angry", "happy", "surprise") and classifier.arch == "seed"
    images = [np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in ((60, 60), (33, 90))]
    probabilities = classifier.predict_proba(images)
    assert probabilities.shape == (2, 3) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_toon_learns_an_easy_task(tmp_path, make_dataset):
    data = make_dataset(tmp_path / "shapes", "emotion", per_class=30, seed=2)
    result = train(data, tmp_path / "toon.pt", arch="toon", epochs=12, batch_size=16, seed=0, **QUIET)
    assert result.accuracy >= 0.8  # chance is 1/3
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_the_datasets_own_test_split_is_used(tmp_path, make_dataset):
    data = make_dataset(tmp_path / "diss", "character/emotion/split", per_class=2, characters=("tom",))
    result = train(data, tmp_path / "m.pt", arch="seed", epochs=1, batch_size=4, **QUIET)
    assert result.report["split"]["n_test"] == 6 and result.report["split"]["n_train"] == 6
    assert result.report["split"]["source"] == "dataset folders"


def test_a_failed_run_writes_nothing(tmp_path, make_dataset, monkeypatch):
    data = make_dataset(tmp_path / "d", "emotion", per_class=4)

    def broken_chart(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(training, "plot_confusion", broken_chart)
    out_dir = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk full"):
        train(data, out_dir / "m.pt", arch="seed", epochs=1, batch_size=4, **QUIET)
    assert list(out_dir.iterdir()) == []


def test_compare_optimizers_writes_a_table(tmp_path, make_dataset):
    data = make_dataset(tmp_path / "d", "emotion", per_class=5)
    summary = compare_optimizers(data, tmp_path / "cmp", optimizers=("sgd", "rmsprop"), runs=1, epochs=1,
                                 batch_size=4, **QUIET)
    assert set(summary["results"]) == {"sgd", "rmsprop"}
    assert len(summary["results"]["sgd"]["runs"]) == 1
    table = (tmp_path / "cmp" / "optimizers.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| sgd") or line.startswith("| rmsprop")]
    assert len(rows) == 2 and all("±" in row for row in rows)
    saved = json.loads((tmp_path / "cmp" / "optimizers.json").read_text())
    assert saved["results"]["rmsprop"]["accuracy_mean"] == summary["results"]["rmsprop"]["accuracy_mean"]


def test_config_resolution():
    toon = resolve_config("toon")
    assert (toon.optimizer, toon.lr, toon.weight_decay) == ("adamw", 3e-3, 0.05)
    assert resolve_config("toon", optimizer="sgd").lr == 0.01  # the optimiser's own default, not toon's
    assert resolve_config("seed", optimizer="adadelta").lr == 1.0
    assert resolve_config("seed", optimizer="sgd").weight_decay == 0.0
    assert resolve_config("seed", epochs=3, lr=0.5).lr == 0.5
    with pytest.raises(ValueError, match="adamw"):
        resolve_config("seed", optimizer="lbfgs")


def test_output_paths_refuse_clashes(tmp_path):
    with pytest.raises(ValueError, match="clash"):
        output_paths(tmp_path / "model.json")
