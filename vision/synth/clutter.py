"""Foreground clutter between camera and shelf: hands, trolley bars, hanging signs, bags.

Clutter is drawn last and hides what it covers, so boxes mostly hidden get dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from vision.synth.canvas import Canvas
from vision.synth.palette import RGB, random_colour, shade

_SKIN: tuple[RGB, ...] = (
    (241, 194, 167),
    (224, 172, 138),
    (198, 134, 103),
    (141, 85, 60),
    (95, 60, 45),
    (255, 220, 190),
)
Drawer = Callable[[ImageDraw.ImageDraw, np.random.Generator, int, int], None]


def _hand(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int) -> None:
    skin = _SKIN[int(rng.integers(0, len(_SKIN)))] + (255,)
    draw.ellipse((w * 0.2, h * 0.35, w * 0.8, h * 0.95), fill=skin)
    draw.rectangle((w * 0.3, h * 0.7, w * 0.7, h), fill=(*random_colour(rng), 255))
    for i in range(4):
        x = w * (0.22 + i * 0.15)
        draw.rounded_rectangle(
            (x, h * (0.05 + 0.05 * abs(i - 1.5)), x + w * 0.12, h * 0.6),
            radius=int(w * 0.06),
            fill=skin,
        )


def _bar(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int) -> None:
    colour = (*random_colour(rng, s=(0, 0.8), v=(0.2, 0.9)), 255)
    draw.rounded_rectangle((0, h * 0.4, w, h * 0.6), radius=int(h * 0.1), fill=colour)


def _sign(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int) -> None:
    colour = (*random_colour(rng, s=(0.4, 1), v=(0.5, 1)), 255)
    draw.line((w / 2, 0, w / 2, h * 0.3), fill=(90, 90, 90, 255), width=max(w // 30, 1))
    draw.rectangle((0, h * 0.3, w, h), fill=colour)
    draw.rectangle((w * 0.1, h * 0.45, w * 0.9, h * 0.6), fill=(*shade(colour[:3], 0.4), 255))


def _blob(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int) -> None:
    angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
    radius = rng.uniform(0.3, 0.5, 9)
    pts = [
        (w / 2 + w * r * np.cos(a), h / 2 + h * r * np.sin(a))
        for a, r in zip(angles, radius, strict=True)
    ]
    draw.polygon(pts, fill=(*random_colour(rng, v=(0.1, 0.9)), 255))


_KINDS: tuple[tuple[Drawer, tuple[float, float], tuple[float, float]], ...] = (
    (_hand, (0.12, 0.25), (0.18, 0.35)),
    (_bar, (0.4, 1.0), (0.03, 0.08)),
    (_sign, (0.08, 0.2), (0.08, 0.2)),
    (_blob, (0.1, 0.3), (0.1, 0.3)),
)


def add_clutter(canvas: Canvas, rng: np.random.Generator) -> None:
    """Draw 1-2 foreground occluders at random places on the canvas."""
    cw, ch = canvas.size
    for _ in range(int(rng.integers(1, 3))):
        draw_fn, (wmin, wmax), (hmin, hmax) = _KINDS[int(rng.integers(0, len(_KINDS)))]
        w, h = int(rng.uniform(wmin, wmax) * cw), int(rng.uniform(hmin, hmax) * ch)
        img = Image.new("RGBA", (max(w, 2), max(h, 2)), (0, 0, 0, 0))
        draw_fn(ImageDraw.Draw(img), rng, img.width, img.height)
        x, y = int(rng.uniform(-0.1, 0.9) * cw), int(rng.uniform(-0.1, 0.9) * ch)
        canvas.paste(img, (x, y), occluder=True)
