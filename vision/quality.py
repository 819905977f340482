"""Photo quality flags and a perceptual hash for spotting a reused photo.

Flags are measured on a grey copy of the photo scaled to `WORK_SIDE` on its long side,
so they do not depend on the camera's resolution; the thresholds were calibrated on
generated shelves (see `vision/README.md`, "Quality").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image

WORK_SIDE = 640
"""Long side, px, of the grey copy the measures are taken on."""
BLUR_MAX = 0.15
"""Sharpness (see `sharpness`) below which a photo is blurred."""
DARK_MEAN = 45.0
"""Mean grey level (0-255) below which a photo is too dark."""
BRIGHT_MEAN = 215.0
"""Mean grey level above which a photo is overexposed..."""
CLIPPED_MAX = 0.25
"""... or the share of blown-out pixels (grey >= 250) above which it is."""
MIN_SIDE = 480
"""Shorter side, px, below which a photo is too low in resolution."""
MIN_PRODUCTS = 3
"""Fewer products than this: no shelf in the frame."""

FLAGS = ("blurred", "too_dark", "overexposed", "low_resolution", "no_shelf")
"""Every flag `assess` can raise, in a fixed order."""


@dataclass(frozen=True)
class Quality:
    """How usable a photo is.

    Attributes:
        flags: Raised flags, a subset of `FLAGS` in its order; empty when fine.
        sharpness: See `sharpness` (higher: sharper).
        brightness: Mean grey level, 0-255.
        clipped: Share of pixels at grey level 250 or above.
        width: Photo width, px.
        height: Photo height, px.
        products: Product boxes found, None where detection did not run.
    """

    flags: tuple[str, ...]
    sharpness: float
    brightness: float
    clipped: float
    width: int
    height: int
    products: int | None = None

    @property
    def ok(self) -> bool:
        """No flag raised."""
        return not self.flags


def work_copy(image: Image.Image) -> Image.Image:
    """The photo in grey ("L"), long side at most `WORK_SIDE`: what the measures read."""
    grey = image.convert("L")  # first: one channel to resample instead of three
    k = WORK_SIDE / max(image.size)
    if k < 1:
        size = (max(round(image.width * k), 1), max(round(image.height * k), 1))
        grey = grey.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return grey


def grey_work_copy(image: Image.Image) -> NDArray[np.float32]:
    """The photo as grey float32 (H, W) levels 0-255, long side at most `WORK_SIDE`."""
    return np.asarray(work_copy(image), np.float32)


def sharpness(grey: NDArray[np.float32]) -> float:
    """How much of the edges' energy sits at the finest scale, in the blurrier direction.

    Per axis: variance of the second difference over the mean squared first difference,
    after a 2x2 box average that tames sensor noise; the smaller of the two axes. The
    variance of the Laplacian alone grows with the scene's contrast; this ratio does not,
    and taking the weaker axis catches motion blur, which smears one direction only.

    Args:
        grey: Grey levels (H, W).

    Returns:
        About 0.35 for a sharp photo, 0.18 at a Gaussian blur of 1.5 px on a
        1280-px-wide photo, 0.13 at 2 px or an 8 px shake; 0 for a flat image.
    """
    if grey.shape[0] < 4 or grey.shape[1] < 4:
        return 0.0
    g = (grey[:-1, :-1] + grey[1:, :-1] + grey[:-1, 1:] + grey[1:, 1:]) / 4
    centre = g[1:-1, 1:-1]
    ratios = []
    for ahead, behind in ((g[1:-1, 2:], g[1:-1, :-2]), (g[2:, 1:-1], g[:-2, 1:-1])):
        energy = float(np.mean((ahead - behind) ** 2))
        if energy < 1.0:
            return 0.0  # no edges across this axis: nothing to judge, call it blurred
        ratios.append(float(np.var(ahead + behind - 2 * centre)) / energy)
    return min(ratios)


def assess(
    image: Image.Image,
    *,
    full_size: tuple[int, int] | None = None,
    products: int | None = None,
) -> Quality:
    """Quality flags of a decoded photo.

    Args:
        image: The photo (any mode), maybe a reduced decode of it.
        full_size: The photo's full (width, height) where `image` is reduced.
        products: Product boxes found in it, if detection ran.
    """
    return assess_grey(grey_work_copy(image), full_size or image.size, products=products)


def assess_grey(
    grey: NDArray[np.float32], full_size: tuple[int, int], *, products: int | None = None
) -> Quality:
    """Quality flags from the grey work copy and the photo's full (width, height)."""
    sharp = sharpness(grey)
    mean = float(grey.mean()) if grey.size else 0.0
    clipped = float((grey >= 250).mean()) if grey.size else 0.0
    raised = {
        "blurred": sharp < BLUR_MAX,
        "too_dark": mean < DARK_MEAN,
        "overexposed": mean > BRIGHT_MEAN or clipped > CLIPPED_MAX,
        "low_resolution": min(full_size) < MIN_SIDE,
        "no_shelf": products is not None and products < MIN_PRODUCTS,
    }
    return Quality(
        flags=tuple(f for f in FLAGS if raised[f]),
        sharpness=round(sharp, 5),
        brightness=round(mean, 2),
        clipped=round(clipped, 4),
        width=int(full_size[0]),
        height=int(full_size[1]),
        products=products,
    )


@lru_cache(maxsize=1)
def _dct_matrix(n: int = 32) -> NDArray[np.float64]:
    k = np.arange(n)
    m = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    out: NDArray[np.float64] = m
    return out


def phash(image: Image.Image) -> int:
    """64-bit DCT perceptual hash: grey 32x32, the 8x8 lowest frequencies above their median.

    Equal for the same photo recompressed or resized; far (more than ~20 bits) for a
    different scene. The DC term is left out of the median, as in the usual pHash. The
    `work_copy` of a photo hashes like the photo.
    """
    grey = np.asarray(
        image.convert("L").resize((32, 32), Image.Resampling.BOX, reducing_gap=2.0), np.float64
    )
    c = _dct_matrix()
    low = (c @ grey @ c.T)[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int(sum(1 << i for i, b in enumerate(bits.tolist()) if b))


def phash_hex(value: int) -> str:
    """A 64-bit hash as 16 lower-case hex digits."""
    return f"{value & (2**64 - 1):016x}"


def hamming(a: int | str, b: int | str) -> int:
    """Bits that differ between two 64-bit hashes (ints or hex strings)."""
    x = int(a, 16) if isinstance(a, str) else a
    y = int(b, 16) if isinstance(b, str) else b
    return ((x ^ y) & (2**64 - 1)).bit_count()
