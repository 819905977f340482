"""Text on packs, tags and posters, with Pillow's bundled font only (no system fonts).

Variety comes from size, weight (stroke), slant (shear) and width (stretch), so renders
do not depend on what fonts a machine happens to have.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from vision.synth.palette import RGB

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Box = tuple[float, float, float, float]


@lru_cache(maxsize=128)
def font(size: int) -> Font:
    """Pillow's bundled font at `size` px (cached; sizes below 4 are raised to 4)."""
    return ImageFont.load_default(size=max(int(size), 4))


@lru_cache(maxsize=4096)
def _length_at_100(text: str) -> float:
    return max(float(font(100).getlength(text)), 1.0)


def fit_size(text: str, width: float, height: float) -> int:
    """The largest font size at which `text` fits `width` x `height` px (at least 4)."""
    by_width = 100.0 * width / _length_at_100(text)
    return max(int(min(by_width, height * 1.15)), 4)


def draw_fit(
    draw: ImageDraw.ImageDraw,
    box: Box,
    text: str,
    fill: tuple[int, ...],
    *,
    stroke: int = 0,
    stroke_fill: RGB | None = None,
) -> None:
    """Draw `text` centred in `box` (x0, y0, x1, y1) at the largest size that fits."""
    x0, y0, x1, y1 = box
    size = fit_size(text, (x1 - x0) - 2 * stroke, (y1 - y0) - 2 * stroke)
    draw.text(
        ((x0 + x1) / 2, (y0 + y1) / 2),
        text,
        fill=fill,
        font=font(size),
        anchor="mm",
        stroke_width=stroke,
        stroke_fill=stroke_fill or fill,
    )


def text_mask(
    text: str, size: int, *, stroke: int = 0, slant: float = 0.0, stretch: float = 1.0
) -> Image.Image:
    """A tight "L" mask of `text`: slanted by `slant` (x shift per px of height), stretched.

    Returns:
        An "L" image of shape about (size, len(text) * size * stretch / 2) with text = 255.
    """
    f = font(size)
    x0, y0, x1, y1 = f.getbbox(text, stroke_width=stroke)
    w, h = max(int(x1 - x0), 1), max(int(y1 - y0), 1)
    shear = int(abs(slant) * h)
    mask = Image.new("L", (w + shear + 2, h + 2), 0)
    ImageDraw.Draw(mask).text(
        (1 - x0, 1 - y0), text, fill=255, font=f, stroke_width=stroke, stroke_fill=255
    )
    if shear:
        # Affine data maps output to input: x_in = x_out + slant * (y - h), a forward lean.
        mask = mask.transform(
            mask.size,
            Image.Transform.AFFINE,
            (1, slant, -slant * h if slant > 0 else 0, 0, 1, 0),
            Image.Resampling.BILINEAR,
        )
    if stretch != 1.0:
        mask = mask.resize(
            (max(int(mask.width * stretch), 1), mask.height), Image.Resampling.BILINEAR
        )
    return mask
