"""Colour helpers for procedural packaging and stores."""

from __future__ import annotations

import colorsys
from collections.abc import Iterable

import numpy as np

RGB = tuple[int, int, int]


def rgb(values: Iterable[float]) -> RGB:
    """Three numbers rounded and clipped into an RGB triple."""
    r, g, b = (min(max(round(float(x)), 0), 255) for x in values)
    return r, g, b


def hsv(h: float, s: float, v: float) -> RGB:
    """An RGB triple from hue, saturation and value, each in [0, 1] (hue wraps)."""
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return rgb((r * 255, g * 255, b * 255))


def random_colour(
    rng: np.random.Generator,
    *,
    s: tuple[float, float] = (0.0, 1.0),
    v: tuple[float, float] = (0.0, 1.0),
) -> RGB:
    """A colour with uniform hue and saturation/value drawn from the given ranges."""
    return hsv(rng.random(), rng.uniform(*s), rng.uniform(*v))


def luminance(c: RGB) -> float:
    """Relative luminance in [0, 1] (Rec. 601 weights, gamma ignored)."""
    return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255.0


def contrast(c: RGB, *, light: RGB = (250, 250, 245), dark: RGB = (20, 20, 25)) -> RGB:
    """The light or dark colour, whichever reads better on `c`."""
    return dark if luminance(c) > 0.6 else light


def shade(c: RGB, factor: float) -> RGB:
    """Scale `c` towards black (factor < 1) or towards white (factor > 1)."""
    if factor <= 1.0:
        return rgb(x * factor for x in c)
    t = min(factor - 1.0, 1.0)
    return rgb(x + (255 - x) * t for x in c)


def jitter(c: RGB, rng: np.random.Generator, amount: float) -> RGB:
    """`c` with each channel moved by up to `amount` * 255."""
    d = rng.uniform(-amount, amount, 3) * 255
    return rgb(x + dx for x, dx in zip(c, d, strict=True))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from `a` (t=0) to `b` (t=1)."""
    return rgb(x + (y - x) * t for x, y in zip(a, b, strict=True))
