import numpy as np
import pytest
import torch

from tests.toonvision.conftest import SHIPPED_WEIGHTS
from toonvision.device import inference_dtype, pick_device, seed_everything
from toonvision.emotions import EMOTIONS
from toonvision.inference import EmotionClassifier, WeightsError
from toonvision.speed import measure_speed
from toonvision.studio.cast import CHARACTERS
from toonvision.studio.dataset import draw_face_image, sample_rng


@pytest.fixture(scope="module")
def classifier(trained_seed):
    return EmotionClassifier.load(trained_seed, device="cpu")


def test_properties(classifier):
    assert classifier.classes == ("angry", "happy", "surprise")
    assert classifier.arch == "seed" and classifier.input_size == 60
    assert classifier.device == torch.device("cpu")
    assert classifier.info["epochs"] == 2


def test_predict_any_sizes_and_channels(classifier):
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 256, (60, 60, 3), dtype=np.uint8),
        rng.integers(0, 256, (200, 120, 3), dtype=np.uint8),
        rng.integers(0, 256, (10, 10), dtype=np.uint8),  # grayscale
        rng.integers(0, 256, (40, 40, 4), dtype=np.uint8),  # BGRA
    ]
    probabilities = classifier.predict_proba(images, batch_size=3)
    assert probabilities.shape == (4, 3) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    predictions = classifier.predict(images)
    assert [emotion for emotion, _ in predictions] == [classifier.classes[i] for i in probabilities.argmax(axis=1)]
    confidences = [confidence for _, confidence in predictions]
    np.testing.assert_allclose(confidences, probabilities.max(axis=1), rtol=1e-6)


def test_batching_does_not_change_results(classifier):
    images = np.random.default_rng(1).integers(0, 256, (5, 60, 60, 3), dtype=np.uint8)
    np.testing.assert_allclose(classifier.predict_proba(images, batch_size=2), classifier.predict_proba(images),
                               atol=1e-5)


def test_no_images(classifier):
    assert classifier.predict_proba([]).shape == (0, 3)


def test_missing_corrupt_and_foreign_files(tmp_path, trained_seed):
    with pytest.raises(WeightsError, match="not found"):
        EmotionClassifier.load(tmp_path / "absent.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00\x01 definitely not a checkpoint" * 20)
    with pytest.raises(WeightsError, match="corrupt.pt"):
        EmotionClassifier.load(corrupt)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(trained_seed.read_bytes()[:500])
    with pytest.raises(WeightsError):
        EmotionClassifier.load(truncated)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(WeightsError, match="not a ToonSite emotion checkpoint"):
        EmotionClassifier.load(foreign)
    assert issubclass(WeightsError, ValueError)


def test_weights_that_do_not_fit_the_arch(tmp_path, trained_seed):
    checkpoint = torch.load(trained_seed, weights_only=True)
    checkpoint["arch"] = "toon"
    wrong = tmp_path / "wrong.pt"
    torch.save(checkpoint, wrong)
    with pytest.raises(WeightsError, match="do not fit"):
        EmotionClassifier.load(wrong)


def test_shipped_weights_path():
    path = SHIPPED_WEIGHTS
    assert path.parts[-3:] == ("emotions", "weights", "toon.pt")


def test_pick_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device().type == expected
    assert pick_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")


def test_inference_dtype():
    cpu = torch.device("cpu")
    native = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert inference_dtype(cpu) == (torch.bfloat16 if native else torch.float32)
    assert inference_dtype(cpu, "fp32") == torch.float32 and inference_dtype(cpu, "bf16") == torch.bfloat16
    with pytest.raises(ValueError, match="unknown precision 'half'"):
        inference_dtype(cpu, "half")


def test_bfloat16_reads_studio_faces_as_float32_does():
    """The speed-up (bfloat16 autocast) must not change what the site says: the same emotion for every face of
    the shipped weights' studio test, and probabilities within 0.02."""
    faces = [draw_face_image(sample_rng(4242, character, emotion, i), character, emotion)
             for character in CHARACTERS for emotion in EMOTIONS for i in range(2)]
    exact = EmotionClassifier.load(SHIPPED_WEIGHTS, device="cpu", precision="fp32")
    fast = EmotionClassifier.load(SHIPPED_WEIGHTS, device="cpu", precision="bf16")
    assert (exact.precision, fast.precision) == ("fp32", "bf16")
    p32, p16 = exact.predict_proba(faces), fast.predict_proba(faces)
    assert p16.dtype == np.float32
    np.testing.assert_array_equal(p16.argmax(axis=1), p32.argmax(axis=1))
    assert np.abs(p16 - p32).max() < 0.02


def test_seed_everything_repeats_draws():
    seed_everything(3)
    first = torch.rand(3), np.random.rand()
    seed_everything(3)
    assert torch.equal(first[0], torch.rand(3)) and first[1] == np.random.rand()


def test_measure_speed_reports_speeds():
    images = np.random.default_rng(0).integers(0, 256, (8, 60, 60, 3), dtype=np.uint8)
    labels = np.array([0, 1] * 4)
    result = measure_speed("seed", images, labels, epochs=1, batch_sizes=(1, 4), repeats=2, device="cpu")
    assert result["train"]["seconds_per_epoch"] > 0
    assert set(result["inference"]) == {"batch_1", "batch_4"}
    assert result["inference"]["batch_4"]["faces_per_second"] > 0
    assert result["precision"] == EmotionClassifier.load(SHIPPED_WEIGHTS, device="cpu").precision
    if result["precision"] == "fp32":
        assert result["inference_fp32"] is None  # measured once: the chosen precision is float32
    else:
        assert set(result["inference_fp32"]) == {"batch_1", "batch_4"}
