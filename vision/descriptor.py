"""A hand-made pack descriptor: a colour layout grid in CIELAB, standardised per crop.

A crop is resampled to `CROP` x `CROP` pixels (aspect dropped: the references are treated
the same way), converted to CIELAB and averaged over a `GRID` x `GRID` grid of cells.
Each cell carries two things:

- the crop's layout of light and colour, standardised per channel over the crop (zero
  mean, unit spread), which cancels exposure, white balance and most of a saturation
  change, the photometric effects a phone photo puts on a pack;
- the cell's absolute chroma (a*, b*) at a lower weight, so a red and a green pack of
  one layout still differ.

Nothing is trained. Measured on generated shelves in `vision/README.md` ("Recognition").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageEnhance

CROP = 32
"""Side of the square a crop is resampled to, px."""
GRID = 8
"""Cells per side of the layout grid."""
FINE_GRID = 16
"""Cells per side of the finer grid that breaks ties between variants of one brand."""
DIM = GRID * GRID * 5
"""Length of a descriptor: per cell standardised L*, a*, b* and absolute a*, b*."""
FINE_DIM = FINE_GRID * FINE_GRID * 5
"""Length of a fine descriptor."""

_SPREAD_FLOOR = np.array([5.0, 3.0, 3.0], np.float32)  # Lab units: flat crops stay flat
_Z_WEIGHT = np.array([20.0, 10.0, 10.0], np.float32)
_ABS_WEIGHT = np.array([0.3, 0.3], np.float32)  # a*, b* only: absolute lightness is exposure
_SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], np.float32
)
_WHITE = np.array([0.9505, 1.0, 1.089], np.float32)
_EPSILON = np.float32(0.008856)  # CIELAB's split between the linear toe and the cube root


def _linear_table() -> NDArray[np.float32]:
    c = np.arange(256, dtype=np.float64) / 255.0
    return np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92).astype(np.float32)


_LINEAR = _linear_table()  # sRGB level -> linear light, a lookup instead of a power per pixel


def _lab_planes(rgb: NDArray[np.uint8]) -> tuple[NDArray[np.float32], ...]:
    """CIELAB (D65) L*, a*, b* of sRGB (..., 3) uint8, one float32 plane (...) each."""
    r, g, b = (_LINEAR[rgb[..., i]] for i in range(3))
    m = _SRGB_TO_XYZ / _WHITE[:, None]
    # three weighted sums, not a matmul: a (pixels x 3) @ (3 x 3) product wakes BLAS threads
    f = [r * m[i, 0] + g * m[i, 1] + b * m[i, 2] for i in range(3)]
    for t in f:
        dark = t <= _EPSILON  # rare: the linear toe; the rest a cube root (power: SIMD)
        low = 7.787 * t[dark] + 16.0 / 116.0
        np.power(t, np.float32(1 / 3), out=t)
        t[dark] = low
    return 116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])


def to_lab(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    """sRGB (..., 3) uint8 to CIELAB (D65) float32 of the same shape."""
    return np.stack(_lab_planes(rgb), axis=-1)


def _halve(planes: NDArray[np.float32]) -> NDArray[np.float32]:
    """Means of 2x2 cells over the last two axes (even sizes)."""
    quad = planes[..., 0::2, 0::2] + planes[..., 1::2, 0::2]
    quad += planes[..., 0::2, 1::2]
    quad += planes[..., 1::2, 1::2]
    quad *= np.float32(0.25)
    return quad


def describe(
    pixels: NDArray[np.uint8], grids: tuple[int, ...] = (GRID, FINE_GRID)
) -> tuple[NDArray[np.float32], ...]:
    """Descriptors of crops already resampled to `CROP` x `CROP`, one per grid size.

    Per-channel planes (3, N, CROP, CROP) throughout: cell means are sums of strided
    views, halving the grid each time, not reductions over small interleaved axes.

    Args:
        pixels: RGB crops, uint8 of shape (N, CROP, CROP, 3).
        grids: Cells per side of each descriptor wanted (powers of two dividing `CROP`).

    Returns:
        Per grid g, float32 of shape (N, g * g * 5).
    """
    if pixels.ndim != 4 or pixels.shape[1:] != (CROP, CROP, 3):
        raise ValueError(f"pixels must have shape (N, {CROP}, {CROP}, 3), got {pixels.shape}")
    n = len(pixels)
    if n == 0:
        return tuple(np.zeros((0, g * g * 5), np.float32) for g in grids)
    lab = np.stack(_lab_planes(pixels))  # (3, N, CROP, CROP)
    flat = lab.reshape(3, n, -1)
    mean, spread = flat.mean(2)[..., None], flat.std(2)[..., None]
    scale = _Z_WEIGHT[:, None, None] / (spread + _SPREAD_FLOOR[:, None, None])
    cells, side = lab, CROP
    by_grid: dict[int, NDArray[np.float32]] = {}
    while side > min(grids):
        cells, side = _halve(cells), side // 2
        if side in grids:
            by_grid[side] = cells
    out = []
    for g in grids:
        c = by_grid[g].reshape(3, n, g * g)
        z = (c - mean) * scale
        parts = (c[1] * _ABS_WEIGHT[0], c[2] * _ABS_WEIGHT[1], z[0], z[1], z[2])
        out.append(np.stack(parts, axis=-1).reshape(n, -1).astype(np.float32, copy=False))
    return tuple(out)


def crop_boxes(image: Image.Image, xyxy: NDArray[np.floating]) -> NDArray[np.uint8]:
    """Cut each box out of `image` and resample it to `CROP` x `CROP` (antialiased).

    Boxes are clipped to the image; a box with nothing inside gives a grey crop.

    Args:
        image: An RGB image.
        xyxy: Boxes (N, 4) in the image's pixels.

    Returns:
        uint8 of shape (N, CROP, CROP, 3).
    """
    out = np.full((len(xyxy), CROP, CROP, 3), 128, np.uint8)
    if len(xyxy) == 0:
        return out
    w, h = image.size
    clipped = np.clip(np.asarray(xyxy, np.float64), 0, [w, h, w, h])
    for i, (x0, y0, x1, y1) in enumerate(clipped):
        if x1 - x0 >= 1 and y1 - y0 >= 1:
            resized = image.resize(
                (CROP, CROP), Image.Resampling.BILINEAR, box=(x0, y0, x1, y1), reducing_gap=2.0
            )
            out[i] = np.asarray(resized)
    return out


def reference_views(pack: Image.Image) -> list[Image.Image]:
    """A reference pack image and the views a shelf photo is likely to show of it.

    Transparent surroundings become mid grey. Besides the front as given: rolled by
    -8, -4, 4 and 8 degrees with the canvas grown to the rotated pack's bounding box (a
    detector's box around a tilted pack), cropped to its central 90 % and padded by 6 %
    (a box a little tight or loose).

    Args:
        pack: RGB or RGBA front of a pack.

    Returns:
        RGB images, the unchanged front first.
    """
    grey = (128, 128, 128)
    pack = _reduced(pack)
    if pack.mode in ("RGBA", "LA", "PA") or "transparency" in pack.info:
        base = Image.new("RGBA", pack.size, (*grey, 255))
        base.alpha_composite(pack.convert("RGBA"))
        front = base.convert("RGB")
    else:
        front = pack.convert("RGB")
    w, h = front.size
    views = [front]
    views += [
        front.rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor=grey)
        for angle in (-8, -4, 4, 8)
    ]
    dx, dy = round(w * 0.05), round(h * 0.05)
    views.append(front.crop((dx, dy, w - dx, h - dy)))
    px, py = round(w * 0.06), round(h * 0.06)
    padded = Image.new("RGB", (w + 2 * px, h + 2 * py), grey)
    padded.paste(front, (px, py))
    views.append(padded)
    return views


def faded_view(front: Image.Image) -> Image.Image:
    """`front` dimmed and faded: a pack under store light is darker and flatter than its art.

    Given to every SKU alike, it only ranks a brand's variants (`vision.recognise`): without
    it, whichever variant has a darker second reference image wins every dim photo.
    """
    return ImageEnhance.Brightness(ImageEnhance.Color(front).enhance(0.6)).enhance(0.8)


def _reduced(pack: Image.Image) -> Image.Image:
    """`pack` scaled down until its shorter side is 4 x `CROP` (never up): views get cheap."""
    k = 4 * CROP / min(pack.size)
    if k >= 1:
        return pack
    size = (max(round(pack.width * k), 1), max(round(pack.height * k), 1))
    return pack.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def describe_images(images: list[Image.Image]) -> tuple[NDArray[np.float32], ...]:
    """Coarse (N, DIM) and fine (N, FINE_DIM) descriptors of whole images."""
    if not images:
        return describe(np.zeros((0, CROP, CROP, 3), np.uint8))
    pixels = np.stack(
        [
            np.asarray(
                im.convert("RGB").resize((CROP, CROP), Image.Resampling.BILINEAR, reducing_gap=2.0)
            )
            for im in images
        ]
    )
    return describe(pixels)
