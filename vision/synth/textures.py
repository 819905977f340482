"""Procedural surfaces for stores: walls, floors, back panels, wood, blurred aisles.

Each is made at low resolution where it can and scaled up, so a full-canvas texture costs
a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from vision.synth.palette import RGB, random_colour, shade

Size = tuple[int, int]
Texture = Callable[[np.random.Generator, Size, RGB], Image.Image]


def _upscale(arr: np.ndarray, size: Size) -> Image.Image:
    small = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return small.resize(size, Image.Resampling.BILINEAR)


def mottled(rng: np.random.Generator, size: Size, base: RGB) -> Image.Image:
    """Soft blotchy variation around `base` (painted wall, plastic, concrete)."""
    w, h = size
    cells = int(rng.integers(4, 40))
    gh, gw = max(h * cells // max(w, 1), 2), cells
    field = rng.normal(0.0, rng.uniform(4, 22), (gh, gw, 1)) + rng.normal(0, 3, (gh, gw, 3))
    return _upscale(np.asarray(base, np.float32) + field, size)


def wood(rng: np.random.Generator, size: Size, base: RGB) -> Image.Image:
    """Wood grain: noise stretched along x with darker streaks."""
    h = size[1]
    rows = max(h // 3, 2)
    grain = rng.normal(0, 14, (rows, 6, 1))
    streak = np.sin(np.linspace(0, rng.uniform(20, 90), rows))[:, None, None] * 10
    return _upscale(np.asarray(base, np.float32) + grain + streak, size)


def tiles(rng: np.random.Generator, size: Size, base: RGB) -> Image.Image:
    """Floor or wall tiles: mottled squares with grout lines."""
    img = mottled(rng, size, base)
    draw = ImageDraw.Draw(img)
    step = int(rng.integers(30, 140))
    grout = shade(base, rng.uniform(0.6, 0.85))
    width = max(step // 30, 1)
    for x in range(int(rng.integers(0, step)), size[0], step):
        draw.line((x, 0, x, size[1]), fill=grout, width=width)
    for y in range(int(rng.integers(0, step)), size[1], step):
        draw.line((0, y, size[0], y), fill=grout, width=width)
    return img


def pegboard(rng: np.random.Generator, size: Size, base: RGB) -> Image.Image:
    """A perforated back panel: one hole tile repeated over the surface."""
    pitch = int(rng.integers(10, 26))
    tile = np.empty((pitch, pitch, 3), np.uint8)
    tile[:] = base
    r = max(pitch // 6, 1)
    c = pitch // 2
    tile[c - r : c + r, c - r : c + r] = shade(base, 0.35)
    reps = (size[1] // pitch + 1, size[0] // pitch + 1, 1)
    holes = Image.fromarray(np.tile(tile, reps)[: size[1], : size[0]])
    return Image.blend(holes, mottled(rng, size, base), 0.3)


def aisle(rng: np.random.Generator, size: Size, base: RGB) -> Image.Image:
    """An out-of-focus store: coloured blocks (other shelves, signs) heavily blurred."""
    gw, gh = int(rng.integers(12, 40)), int(rng.integers(8, 30))
    arr = np.empty((gh, gw, 3), np.float32)
    arr[:] = base
    for _ in range(int(rng.integers(5, 30))):
        x, y = int(rng.integers(0, gw)), int(rng.integers(0, gh))
        arr[y : y + int(rng.integers(1, 5)), x : x + int(rng.integers(1, 8))] = random_colour(rng)
    return _upscale(arr, size)


TEXTURES: dict[str, Texture] = {
    "mottled": mottled,
    "wood": wood,
    "tiles": tiles,
    "pegboard": pegboard,
    "aisle": aisle,
}


def surface(
    rng: np.random.Generator, size: Size, base: RGB, kinds: tuple[str, ...] = tuple(TEXTURES)
) -> Image.Image:
    """A texture of a kind drawn from `kinds`, `size` = (width, height), around `base`."""
    if size[0] < 1 or size[1] < 1:
        return Image.new("RGB", (max(size[0], 1), max(size[1], 1)), base)
    return TEXTURES[kinds[int(rng.integers(0, len(kinds)))]](rng, size, base)
