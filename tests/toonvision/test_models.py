import pytest
import torch
from torch import nn

from toonvision.augment import AugmentConfig, augment_batch
from toonvision.models import (
    PRESETS,
    SeedNet,
    ToonNet,
    count_parameters,
    create_model,
    fuse_for_inference,
    get_preset,
)
from toonvision.speed import state_dict_bytes


def test_seed_is_the_dissertation_network():
    model = create_model("seed", 3)
    assert isinstance(model, SeedNet)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    dense = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (3, 32, (3, 3), (0, 0)), (32, 32, (3, 3), (0, 0)), (32, 32, (3, 3), (0, 0))
    ]
    assert [p.kernel_size for p in pools] == [2, 2, 9]
    assert [(d.in_features, d.out_features) for d in dense] == [(32, 512), (512, 3)]
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == 2
    # 3 convs (896 + 9248 + 9248), dense 512 (16896), output 512*3+3
    assert count_parameters(model) == 896 + 9248 + 9248 + 16896 + 1539
    assert model(torch.zeros(2, 3, 60, 60)).shape == (2, 3)


def test_seed_preset_matches_the_dissertation():
    preset = get_preset("seed")
    assert preset.input_size == 60 and preset.epochs == 50 and preset.batch_size == 32
    assert not preset.augment and preset.label_smoothing == 0.0
    assert preset.optimizer in ("sgd", "adadelta", "adagrad", "adam", "rmsprop")


def test_toon_forward_and_size():
    model = create_model("toon", 7)
    assert isinstance(model, ToonNet)
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    model.eval()
    assert model(torch.zeros(4, 3, 64, 64)).shape == (4, 7)
    assert 100_000 < count_parameters(model) < 2_000_000
    assert state_dict_bytes(model) < 5 * 2**20


def test_toon_preset_defaults():
    preset = get_preset("toon")
    assert preset.optimizer == "adamw" and preset.label_smoothing == pytest.approx(0.1) and preset.augment
    assert preset.input_size == 64


def test_unknown_model_lists_valid_names():
    with pytest.raises(ValueError, match="seed, toon"):
        create_model("resnet9000", 3)
    assert set(PRESETS) == {"seed", "toon"}


def _batch(n=6, size=32):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0))


def test_augmentation_keeps_shape_and_range():
    x = _batch()
    out = augment_batch(x, torch.Generator().manual_seed(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not torch.equal(out, x)


def test_augmentation_is_deterministic_with_a_seeded_generator():
    x = _batch()
    first = augment_batch(x, torch.Generator().manual_seed(5))
    second = augment_batch(x, torch.Generator().manual_seed(5))
    other = augment_batch(x, torch.Generator().manual_seed(6))
    assert torch.equal(first, second)
    assert not torch.allclose(first, other)


def test_augmentation_turned_off_is_identity():
    off = AugmentConfig(rotation_deg=0, scale=(1.0, 1.0), translate=0, flip_p=0, brightness=0, contrast=0,
                        saturation=0, hue_deg=0, channel_shuffle_p=0, grayscale_p=0, blur_p=0, noise_std=0)
    x = _batch()
    torch.testing.assert_close(augment_batch(x, torch.Generator().manual_seed(0), off), x, atol=1e-5, rtol=0)


def test_flip_only_mirrors():
    flip = AugmentConfig(rotation_deg=0, scale=(1.0, 1.0), translate=0, flip_p=1.0, brightness=0, contrast=0,
                         saturation=0, hue_deg=0, channel_shuffle_p=0, grayscale_p=0, blur_p=0, noise_std=0)
    x = _batch()
    torch.testing.assert_close(augment_batch(x, None, flip), x.flip(dims=[3]), atol=1e-5, rtol=0)


def test_augmentation_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="N x 3 x H x W"):
        augment_batch(torch.zeros(3, 32, 32))


def test_fused_model_computes_the_same_function():
    model = create_model("toon", 5)
    with torch.no_grad():  # give BatchNorm non-trivial statistics so folding has something to fold
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    model.eval()
    fused = fuse_for_inference(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    x = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), atol=1e-4, rtol=1e-4)
