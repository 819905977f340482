"""Photographic effects keep size and mode and are deterministic by generator."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from vision.synth import effects
from vision.synth.styles import STYLES

Effect = Callable[[Image.Image, np.random.Generator], Image.Image]
_EFFECTS: dict[str, Effect] = {
    "lens_blur": lambda img, rng: effects.lens_blur(img, rng, (1.0, 2.0)),
    "motion_blur": lambda img, rng: effects.motion_blur(img, rng, (4.0, 9.0)),
    "expose": lambda img, rng: effects.expose(
        img, rng, effects.uneven_light(rng, 0.4), effects.glare(rng, (0.3, 0.6)), (2.0, 6.0)
    ),
    "jpeg": lambda img, rng: effects.jpeg(img, rng, (30, 60)),
    "photograph_hard": lambda img, rng: effects.photograph(img, rng, STYLES["hard"]),
}


def _image() -> Image.Image:
    rng = np.random.default_rng(1)
    return Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))


@pytest.mark.parametrize("name", sorted(_EFFECTS))
def test_effect_keeps_size_changes_pixels_and_repeats_by_seed(name: str) -> None:
    img = _image()
    a = _EFFECTS[name](img, np.random.default_rng(5))
    b = _EFFECTS[name](img, np.random.default_rng(5))
    assert (a.size, a.mode) == (img.size, "RGB")
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != img.tobytes()


def test_clean_style_leaves_the_render_alone() -> None:
    img = _image()
    assert effects.photograph(img, np.random.default_rng(0), STYLES["clean"]) is img


def test_sensor_noise_is_centred_on_128_with_the_given_sigma() -> None:
    noise = np.asarray(effects.sensor_noise(np.random.default_rng(0), (300, 200), 6.0), float)
    assert noise.mean() == pytest.approx(128, abs=0.5)
    assert noise.std() == pytest.approx(6.0, rel=0.1)
