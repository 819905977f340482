"""Training-time views of the stored crops, batched in torch: box jitter and camera faults.

Everything is drawn from a `torch.Generator` seeded by (seed, step), so a resumed run
sees the same batches. The stored crops hold the box plus `MARGIN` per side; the box
lands on the output with its size and place jittered (a detector's box is never exact),
a small roll, colour and exposure changes, Gaussian or motion blur (the `hard` style's
blur goes beyond anything `train` renders), sensor noise and, now and then, a tray or a
neighbour covering part of the pack.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from vision.embed.crops import HEIGHT, MARGIN, WIDTH

_INNER = 1 / (1 + 2 * MARGIN)  # the box's half-extent in the stored crop's [-1, 1] coordinates


def _u(g: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _p(g: torch.Generator, n: int, p: float) -> torch.Tensor:
    return torch.rand(n, generator=g) < p


def _geometry(
    x: torch.Tensor, g: torch.Generator, jitter: bool, keystone: float = 0.0
) -> torch.Tensor:
    n = len(x)
    sx = torch.full((n,), _INNER)
    sy = torch.full((n,), _INNER)
    tx, ty, angle = torch.zeros(n), torch.zeros(n), torch.zeros(n)
    if jitter:
        sx = sx * _u(g, n, 0.88, 1.12)
        sy = sy * _u(g, n, 0.9, 1.1)
        tx, ty = _u(g, n, -0.08, 0.08), _u(g, n, -0.06, 0.06)
        angle = torch.randn(n, generator=g).clamp(-2.5, 2.5) * math.radians(3.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    aspect = HEIGHT / WIDTH  # rotate in pixel units, not in normalised ones
    theta = torch.stack(
        [
            torch.stack([sx * cos, -sx * sin * aspect, tx], 1),
            torch.stack([sy * sin / aspect, sy * cos, ty], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, [n, 3, HEIGHT, WIDTH], align_corners=False)
    if keystone:  # a pack seen from below, above or aside: one end wider than the other
        k = _u(g, n, -keystone, keystone)[:, None, None] * _p(g, n, 0.5)[:, None, None]
        vertical = _p(g, n, 0.5)[:, None, None]
        gx, gy = grid[..., 0], grid[..., 1]
        grid = torch.stack(
            [
                torch.where(vertical, gx * (1 + k * gy), gx),
                torch.where(vertical, gy, gy * (1 + k * gx)),
            ],
            -1,
        )
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _depthwise(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Filter each image (N, 3, H, W) with its own kernel (N, kh, kw), same size out."""
    n, c, h, w = x.shape
    kh, kw = kernels.shape[1:]
    weight = kernels.repeat_interleave(c, 0)[:, None]
    padded = F.pad(
        x.reshape(1, n * c, h, w), (kw // 2, kw // 2, kh // 2, kh // 2), mode="replicate"
    )
    return F.conv2d(padded, weight, groups=n * c).reshape(n, c, h, w)


def _gaussian(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    r = torch.arange(-4, 5, dtype=torch.float32)
    k = torch.exp(-0.5 * (r[None] / sigma[:, None]) ** 2)
    k = k / k.sum(1, keepdim=True)
    return _depthwise(_depthwise(x, k[:, :, None]), k[:, None, :])


def _motion(x: torch.Tensor, length: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    r = torch.arange(-4, 5, dtype=torch.float32)
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    dx, dy = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    along = (xx[None] * dx + yy[None] * dy).clamp(
        -length[:, None, None] / 2, length[:, None, None] / 2
    )
    dist = torch.hypot(xx[None] - along * dx, yy[None] - along * dy)
    k = (1 - dist).clamp(min=0)
    return _depthwise(x, k / k.sum((1, 2), keepdim=True))


def _colour(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    n = len(x)
    grey = x.mean(1, keepdim=True)
    x = grey + (x - grey) * _u(g, n, 0.55, 1.35)[:, None, None, None]  # saturation
    x = (
        x
        * _u(g, n, 0.88, 1.12 + 1e-6).reshape(n, 1, 1, 1)
        * _u(g, 3 * n, 0.9, 1.1).reshape(n, 3, 1, 1)
    )
    mean = x.mean((1, 2, 3), keepdim=True)
    x = mean + (x - mean) * _u(g, n, 0.7, 1.3)[:, None, None, None]  # contrast
    x = x * _u(g, n, 0.55, 1.4)[:, None, None, None]  # exposure
    gamma = torch.exp(_u(g, n, -0.25, 0.25))[:, None, None, None]
    return x.clamp(0, 1) ** gamma


def _cover(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A shelf-ready tray over the bottom, or a neighbour over one side, on a few crops."""
    n = len(x)
    rows = torch.arange(HEIGHT, dtype=torch.float32)[None, :, None]
    cols = torch.arange(WIDTH, dtype=torch.float32)[None, None, :]
    tray = _p(g, n, 0.08)[:, None, None] & (rows >= HEIGHT * _u(g, n, 0.65, 0.85)[:, None, None])
    side = _p(g, n, 0.06)[:, None, None] & (cols >= WIDTH * _u(g, n, 0.75, 0.92)[:, None, None])
    mask = (tray | side)[:, None]
    fill = torch.rand(n, 3, 1, 1, generator=g) * _u(g, n, 0.2, 1.0)[:, None, None, None]
    return torch.where(mask, fill.expand_as(x), x)


def _glare(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A soft bright spot washing out part of the pack (a lamp on glossy film)."""
    n = len(x)
    rows = torch.linspace(-1, 1, HEIGHT)[None, :, None]
    cols = torch.linspace(-1, 1, WIDTH)[None, None, :]
    cy, cx = _u(g, n, -1, 1)[:, None, None], _u(g, n, -1, 1)[:, None, None]
    ry, rx = _u(g, n, 0.15, 0.7)[:, None, None], _u(g, n, 0.2, 0.9)[:, None, None]
    spot = torch.exp(-(((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2))
    strength = _u(g, n, 0.4, 1.0)[:, None, None]
    return x + (1 - x) * (spot * strength)[:, None]


def augment(pixels: torch.Tensor, g: torch.Generator, *, extra: bool = False) -> torch.Tensor:
    """Training views (N, 3, HEIGHT, WIDTH) in [0, 1] of stored crops, uint8 of shape
    (N, STORE_H, STORE_W, 3). `extra` adds the faults `embed-2` was fine-tuned with: a
    keystone (one end of the pack up to 35 % wider), glare spots on a fifth of the crops
    and blur to 2.8 px."""
    x = pixels.permute(0, 3, 1, 2).float() / 255
    n = len(x)
    x = _geometry(x, g, jitter=True, keystone=0.35 if extra else 0.0)
    small = _p(g, n, 0.25)
    if small.any():  # a smaller pack: fewer pixels, then the input size again
        k = float(_u(g, 1, 0.45, 0.8))
        h, w = max(round(HEIGHT * k), 8), max(round(WIDTH * k), 4)
        down = F.interpolate(x[small], (h, w), mode="bilinear", antialias=True, align_corners=False)
        x[small] = F.interpolate(down, (HEIGHT, WIDTH), mode="bilinear", align_corners=False)
    x = _colour(x, g)
    if extra:
        glare = _p(g, n, 0.2)
        if glare.any():
            x[glare] = _glare(x[glare], g)
    blur = _p(g, n, 0.45)
    if blur.any():
        x[blur] = _gaussian(x[blur], _u(g, int(blur.sum()), 0.4, 2.8 if extra else 2.0))
    motion = _p(g, n, 0.25)
    if motion.any():
        m = int(motion.sum())
        x[motion] = _motion(x[motion], _u(g, m, 1.5, 6.0), _u(g, m, 0, math.pi))
    x = _cover(x, g)
    noisy = _p(g, n, 0.5)[:, None, None, None] * _u(g, n, 0.0, 0.035)[:, None, None, None]
    x = x + noisy * torch.randn(x.shape, generator=g)
    return x.clamp(0, 1).contiguous(memory_format=torch.channels_last)


def plain(pixels: torch.Tensor) -> torch.Tensor:
    """The box alone at the input size, no jitter: what the runtime cuts."""
    x = pixels.permute(0, 3, 1, 2).float() / 255
    return _geometry(x, torch.Generator(), jitter=False).contiguous(
        memory_format=torch.channels_last
    )
