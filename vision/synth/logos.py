"""Procedural logotypes: a brand name set in the bundled font over a simple emblem shape."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

from vision.synth.text import font, text_mask

if TYPE_CHECKING:
    from vision.synth.catalogue import Brand, BrandStyle

LOGO_SHAPES = (
    "plain",
    "ellipse",
    "roundrect",
    "banner",
    "burst",
    "underline",
    "shield",
    "slanted",
    "emblem",
)


def _cased(name: str, case: str) -> str:
    return {"upper": name.upper(), "lower": name.lower()}.get(case, name)


def _star(cx: float, cy: float, rx: float, ry: float, points: int) -> list[tuple[float, float]]:
    angles = np.linspace(0, 2 * np.pi, 2 * points, endpoint=False)
    radius = np.where(np.arange(2 * points) % 2 == 0, 1.0, 0.8)
    return [
        (cx + rx * r * np.cos(a), cy + ry * r * np.sin(a))
        for a, r in zip(angles, radius, strict=True)
    ]


def _emblem(draw: ImageDraw.ImageDraw, shape: str, w: int, h: int, st: BrandStyle) -> None:
    """Draw the shape behind the text on a w x h canvas."""
    fill, line = (*st.logo_fill, 255), (*st.logo_text, 255)
    box = (1, 1, w - 2, h - 2)
    if shape == "ellipse":
        draw.ellipse(box, fill=fill, outline=line, width=max(h // 24, 1))
    elif shape == "roundrect":
        draw.rounded_rectangle(box, radius=h // 4, fill=fill)
    elif shape == "banner":
        n = h // 3
        draw.polygon([(0, 0), (w, 0), (w - n, h / 2), (w, h), (0, h), (n, h / 2)], fill=fill)
    elif shape == "burst":
        draw.polygon(_star(w / 2, h / 2, w / 2, h / 2, 14), fill=fill)
    elif shape == "shield":
        draw.polygon([(0, 0), (w, 0), (w, h * 0.6), (w / 2, h), (0, h * 0.6)], fill=fill)
    elif shape == "slanted":
        s = h // 3
        draw.polygon([(s, 0), (w, 0), (w - s, h), (0, h)], fill=fill)
    elif shape == "underline":
        draw.arc((w * 0.05, h * 0.2, w * 0.95, h * 1.6), 200, 340, fill=fill, width=max(h // 9, 2))


@lru_cache(maxsize=1024)
def render_logo(brand: Brand, height: int) -> Image.Image:
    """The brand's logotype as an RGBA image `height` px tall (width follows the name).

    Returns:
        RGBA image of shape (height, W) with a transparent background.
    """
    st = brand.style
    text = _cased(brand.name, st.logo_case)
    mask = text_mask(
        text,
        max(int(height * 0.5), 6),
        stroke=int(height * st.logo_weight),
        slant=st.logo_slant,
        stretch=st.logo_stretch,
    )
    pad_x = int(height * (0.1 if st.logo_shape in ("plain", "underline") else 0.5))
    lead = height if st.logo_shape == "emblem" else 0
    w, h = mask.width + 2 * pad_x + lead, height
    logo = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    _emblem(draw, st.logo_shape, w, h, st)
    if lead:
        draw.ellipse((2, 2, h - 2, h - 2), fill=(*st.logo_fill, 255))
        draw.text(
            (h / 2, h / 2),
            brand.name[0].upper(),
            fill=(*st.logo_text, 255),
            anchor="mm",
            font=font(int(h * 0.6)),
        )
    on_shape = st.logo_shape not in ("plain", "underline", "emblem")
    colour = st.logo_text if on_shape else st.logo_fill
    top = (h - mask.height) // 2 - (int(h * 0.12) if st.logo_shape == "underline" else 0)
    logo.paste((*colour, 255), (pad_x + lead, max(top, 0)), mask)
    return logo
