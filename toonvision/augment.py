"""Batched data augmentation on torch tensors, run on whatever device the batch is on.

Works on float batches N x 3 x H x W with values in 0..1 (before normalisation), any channel order.
Every random draw comes from the optional ``torch.Generator``, so a seeded generator reproduces a batch
exactly; the (small) parameter tensors are drawn on the generator's device and then moved to the batch's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Strengths of each augmentation; a probability of 0 or a range of 0 turns one off."""

    rotation_deg: float = 15.0
    scale: tuple[float, float] = (0.85, 1.15)
    translate: float = 0.08  # fraction of the image size, each way
    flip_p: float = 0.5  # faces are near-symmetric and so are their emotions
    brightness: float = 0.25  # multiply by 1 +- this
    contrast: float = 0.25
    saturation: float = 0.4
    hue_deg: float = 20.0  # rotation about the gray axis: cartoon palettes vary
    channel_shuffle_p: float = 0.2  # a whole new palette: a blue cat is still angry
    grayscale_p: float = 0.1
    blur_p: float = 0.2
    noise_std: float = 0.03  # per-image noise level drawn from 0..this


DEFAULT_AUGMENT = AugmentConfig()


def augment_batch(
    images: torch.Tensor, generator: torch.Generator | None = None, config: AugmentConfig = DEFAULT_AUGMENT
) -> torch.Tensor:
    """Return a randomly augmented copy of a float N x 3 x H x W batch in 0..1."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected a batch N x 3 x H x W, got shape {tuple(images.shape)}")
    if images.shape[0] == 0:
        return images.clone()
    draw = _Draw(images.shape[0], images.device, generator)
    x = random_affine(images, draw, config)
    x = colour_jitter(x, draw, config)
    x = random_blur(x, draw, config.blur_p)
    if config.noise_std > 0:
        sigma = draw.uniform(0.0, config.noise_std).view(-1, 1, 1, 1)
        x = x + sigma * draw.normal(tuple(x.shape))
    return x.clamp_(0.0, 1.0)


class _Draw:
    """Random numbers for one batch, from the generator's device, delivered on the batch's device."""

    def __init__(self, n: int, device: torch.device, generator: torch.Generator | None):
        self.n = n
        self.device = device
        self.generator = generator
        self.source = generator.device if generator is not None else device

    def uniform(self, low: float, high: float) -> torch.Tensor:
        u = torch.rand(self.n, generator=self.generator, device=self.source).to(self.device)
        return low + (high - low) * u

    def chance(self, p: float) -> torch.Tensor:
        """Per-image booleans, True with probability p."""
        return torch.rand(self.n, generator=self.generator, device=self.source).to(self.device) < p

    def normal(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.randn(shape, generator=self.generator, device=self.source).to(self.device)

    def permutations(self, k: int) -> torch.Tensor:
        """One random permutation of range(k) per image, N x k."""
        keys = torch.rand(self.n, k, generator=self.generator, device=self.source)
        return keys.argsort(dim=1).to(self.device)


def random_affine(x: torch.Tensor, draw: _Draw, config: AugmentConfig) -> torch.Tensor:
    """Rotate, scale, translate and mirror each image in one resampling (edges extend the border)."""
    angle = draw.uniform(-config.rotation_deg, config.rotation_deg) * (math.pi / 180.0)
    scale = draw.uniform(*config.scale)
    tx = draw.uniform(-2 * config.translate, 2 * config.translate)  # grid units span 2 per image side
    ty = draw.uniform(-2 * config.translate, 2 * config.translate)
    mirror = torch.where(draw.chance(config.flip_p), -1.0, 1.0)
    # affine_grid maps output to input coordinates, so zooming in by `scale` divides by it.
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * mirror, -sin, tx], dim=1), torch.stack([sin * mirror, cos, ty], dim=1)], dim=1
    ).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def colour_jitter(x: torch.Tensor, draw: _Draw, config: AugmentConfig) -> torch.Tensor:
    """Brightness, contrast, saturation, hue rotation, channel shuffles and grayscale, per image."""
    n = x.shape[0]
    gray = x.mean(dim=1, keepdim=True)
    x = x * draw.uniform(1 - config.brightness, 1 + config.brightness).view(n, 1, 1, 1)
    mean = gray.mean(dim=(2, 3), keepdim=True)
    x = (x - mean) * draw.uniform(1 - config.contrast, 1 + config.contrast).view(n, 1, 1, 1) + mean
    gray = x.mean(dim=1, keepdim=True)
    x = (x - gray) * draw.uniform(1 - config.saturation, 1 + config.saturation).view(n, 1, 1, 1) + gray
    if config.hue_deg > 0:
        x = torch.einsum("nij,njhw->nihw", _hue_rotations(draw, config.hue_deg), x)
    if config.channel_shuffle_p > 0:
        shuffled = x.gather(1, draw.permutations(3)[:, :, None, None].expand_as(x))
        x = torch.where(draw.chance(config.channel_shuffle_p).view(n, 1, 1, 1), shuffled, x)
    if config.grayscale_p > 0:
        to_gray = draw.chance(config.grayscale_p).view(n, 1, 1, 1)
        x = torch.where(to_gray, x.mean(dim=1, keepdim=True).expand_as(x), x)
    return x


def _hue_rotations(draw: _Draw, max_deg: float) -> torch.Tensor:
    """N x 3 x 3 matrices rotating colours about the gray axis (1,1,1): a hue shift keeping lightness."""
    angle = draw.uniform(-max_deg, max_deg) * (math.pi / 180.0)
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    eye = torch.eye(3, device=angle.device)
    k = torch.tensor([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]], device=angle.device) / math.sqrt(3)
    # Rodrigues' formula for a rotation about the unit vector (1,1,1)/sqrt(3).
    return cos * eye + sin * k + (1 - cos) * (torch.ones(3, 3, device=angle.device) / 3)


def random_blur(x: torch.Tensor, draw: _Draw, p: float) -> torch.Tensor:
    """Blend a 3x3 Gaussian blur in by a random amount on a fraction p of images (soft, compressed frames)."""
    if p <= 0:
        return x
    kernel = torch.tensor([1.0, 2.0, 1.0], device=x.device, dtype=x.dtype)
    kernel = (kernel[:, None] * kernel[None, :]) / 16.0
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel.expand(3, 1, 3, 3), groups=3)
    amount = draw.uniform(0.0, 1.0) * draw.chance(p).to(x.dtype)
    return x + amount.view(-1, 1, 1, 1) * (blurred - x)
