"""Photographic effects on a rendered shelf: blur, light, glare, noise, JPEG.

Each effect takes a numpy Generator and the range it draws its strength from. Light and
glare fields are computed on a coarse grid and scaled up, and the per-pixel work runs in
Pillow's C blends rather than numpy float passes, which is where the speed comes from.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageChops

from vision.synth.styles import Range, Style

Field = NDArray[np.float32]
_GRID = (24, 32)


def lens_blur(img: Image.Image, rng: np.random.Generator, sigma: Range) -> Image.Image:
    """Defocus: an image scaled down and back up, roughly a Gaussian of sigma in `sigma` px."""
    s = rng.uniform(*sigma)
    factor = 1.0 + 1.7 * s
    if factor < 1.15:
        return img
    small = (max(round(img.width / factor), 1), max(round(img.height / factor), 1))
    return img.resize(small, Image.Resampling.BILINEAR).resize(img.size, Image.Resampling.BILINEAR)


def motion_blur(img: Image.Image, rng: np.random.Generator, length: Range) -> Image.Image:
    """Camera shake: the average of up to 7 copies shifted along a random direction."""
    n = rng.uniform(*length)
    angle = rng.uniform(0, np.pi)
    taps = int(np.clip(round(n / 2), 2, 7))
    arr = np.asarray(img)
    acc = np.zeros(arr.shape, np.uint16)
    for t in np.linspace(-n / 2, n / 2, taps):
        dx, dy = round(t * np.cos(angle)), round(t * np.sin(angle))
        acc += np.roll(arr, (dy, dx), axis=(0, 1))
    return Image.fromarray((acc // taps).astype(np.uint8))


def _grid_coords() -> tuple[Field, Field]:
    gy, gx = np.mgrid[0 : _GRID[0], 0 : _GRID[1]].astype(np.float32)
    return gx / (_GRID[1] - 1), gy / (_GRID[0] - 1)


def uneven_light(rng: np.random.Generator, amount: float) -> Field:
    """Coarse multiplicative light field (24, 32): exposure, gradient, blotches, vignette."""
    x, y = _grid_coords()
    blotch = np.asarray(
        Image.fromarray(rng.normal(0, 1, (3, 4)).astype(np.float32), "F").resize(
            _GRID[::-1], Image.Resampling.BICUBIC
        )
    )
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle)
    vignette = ((x - 0.5) ** 2 + (y - 0.5) ** 2) * rng.uniform(0.0, 0.8)
    gain = rng.uniform(0.72, 1.18) * (1 + amount * (0.5 * blotch + ramp)) * (1 - vignette)
    out: Field = np.clip(gain, 0.15, 2.0).astype(np.float32)
    return out


def glare(rng: np.random.Generator, peak: Range) -> Field:
    """Coarse additive glare (24, 32) in 8-bit levels: 1-3 blown spots or specular streaks."""
    x, y = _grid_coords()
    out = np.zeros(_GRID, np.float32)
    for _ in range(int(rng.integers(1, 4))):
        cx, cy, angle = rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95), rng.uniform(0, np.pi)
        sx, sy = rng.uniform(0.04, 0.3), rng.uniform(0.02, 0.12)
        u = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
        v = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
        out += 255 * rng.uniform(*peak) * np.exp(-((u / sx) ** 2 + (v / sy) ** 2))
    return out


def _plane(field: Field, size: tuple[int, int], scale: float) -> Image.Image:
    """A coarse field times `scale` as an 8-bit RGB image scaled up to `size`."""
    grid = Image.fromarray(np.clip(field * scale, 0, 255).astype(np.uint8), "L")
    return grid.resize(size, Image.Resampling.BILINEAR).convert("RGB")


@lru_cache(maxsize=1)
def _noise_bank() -> NDArray[np.float32]:
    """Fixed unit Gaussian noise (512, 512); scenes take shifted, scaled windows of it."""
    return np.random.default_rng(0).standard_normal((512, 512), np.float32)


def sensor_noise(rng: np.random.Generator, size: tuple[int, int], sigma: float) -> Image.Image:
    """Gaussian noise of `sigma` levels around 128, independent per channel, RGB of `size`.

    Tiles shifted windows of a fixed bank: a fresh full-size draw per image would cost
    more than the rest of the exposure.
    """
    w, h = size
    bank = _noise_bank()
    reps = (h // bank.shape[0] + 1, w // bank.shape[1] + 1)
    planes = []
    for shift in rng.integers(0, bank.shape[0], (3, 2)):
        tile = np.clip(np.roll(bank, tuple(shift), axis=(0, 1)) * sigma + 128.5, 0, 255)
        planes.append(Image.fromarray(np.tile(tile.astype(np.uint8), reps)[:h, :w], "L"))
    return Image.merge("RGB", planes)


_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def expose(
    img: Image.Image, rng: np.random.Generator, gain: Field, add: Field, noise: Range
) -> Image.Image:
    """Apply saturation, white balance, light (gain), glare (add) and sensor noise.

    The colour matrix also applies the field's peak gain, so the field itself only
    darkens (Pillow's multiply is at most 1); highlights pushed past white clip there,
    as a camera's would.

    Args:
        img: RGB image of shape (H, W).
        rng: Draws white balance, saturation and noise.
        gain: Coarse multiplicative field, any shape (scaled up to H, W).
        add: Coarse glare field in 8-bit levels, any shape; applied as a screen blend.
        noise: Range of the Gaussian noise sigma in 8-bit levels.
    """
    sat = rng.uniform(0.6, 1.3)
    wb = rng.uniform(0.88, 1.12, 3)
    peak = float(gain.max())
    mix = sat * np.eye(3) + (1.0 - sat) * np.outer(np.ones(3), _LUMA)
    matrix = np.hstack([peak * wb[:, None] * mix, np.zeros((3, 1))])
    img = img.convert("RGB", tuple(float(v) for v in matrix.reshape(-1)))
    img = ImageChops.multiply(img, _plane(gain, img.size, 255.0 / peak))
    if add.max() >= 1.0:
        img = ImageChops.screen(img, _plane(add, img.size, 1.0))
    sigma = rng.uniform(*noise)
    if sigma > 0.2:
        img = ImageChops.add(img, sensor_noise(rng, img.size, sigma), 1.0, -128)
    return img


def jpeg(img: Image.Image, rng: np.random.Generator, quality: tuple[int, int]) -> Image.Image:
    """JPEG round trip at a quality drawn from `quality` (inclusive)."""
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(rng.integers(quality[0], quality[1] + 1)))
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out.convert("RGB")


def photograph(img: Image.Image, rng: np.random.Generator, style: Style) -> Image.Image:
    """Turn a clean render into a phone photo: blur, light and glare, noise, JPEG."""
    if style.name == "clean":
        return img
    if rng.random() < style.blur_p:
        img = lens_blur(img, rng, style.blur_sigma)
    if rng.random() < style.motion_p:
        img = motion_blur(img, rng, style.motion_px)
    gain = uneven_light(rng, style.light)
    add = glare(rng, style.glare) if rng.random() < style.glare_p else np.zeros(_GRID, np.float32)
    img = expose(img, rng, gain, add, style.noise)
    return jpeg(img, rng, style.jpeg)
