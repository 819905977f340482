"""Shelf-edge and point-of-sale material: price tags, shelf strips, wobblers, posters, signs."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from vision.synth.canvas import Box, Canvas
from vision.synth.catalogue import Brand, Sku
from vision.synth.design import gradient
from vision.synth.logos import render_logo
from vision.synth.packs import render_pack
from vision.synth.palette import RGB, contrast, random_colour, shade
from vision.synth.text import draw_fit
from vision.types import CLASS_ID

SLOGANS = (
    "NEW",
    "PROMO",
    "2 FOR 1",
    "-20%",
    "TRY ME",
    "BEST PRICE",
    "NEW TASTE",
    "SALE",
    "ONLY",
    "TOP",
    "+50% FREE",
    "HOT",
    "FRESH",
)
SIGNS = (
    "BEVERAGES",
    "SNACKS",
    "BREAKFAST",
    "DAIRY",
    "HOUSEHOLD",
    "CARE",
    "SWEETS",
    "AISLE 4",
    "OFFERS",
    "DRINKS",
    "WATER",
    "COFFEE & TEA",
)
_TAG_COLOURS: tuple[RGB, ...] = (
    (250, 250, 248),
    (250, 250, 248),
    (250, 250, 248),
    (252, 230, 40),
    (255, 200, 50),
    (240, 245, 255),
    (230, 40, 40),
)


def _price(rng: np.random.Generator) -> str:
    whole, cents = int(rng.integers(0, 30)), int(rng.integers(0, 100))
    sep = "," if rng.random() < 0.4 else "."
    return f"{whole}{sep}{cents:02d}"


def price_tag(canvas: Canvas, rng: np.random.Generator, x: float, y: float, ppc: float) -> Box:
    """Draw a price tag with its top-left at (x, y), about 4-7.5 cm wide; annotate it."""
    w, h = rng.uniform(4.0, 7.5) * ppc, rng.uniform(2.4, 3.8) * ppc
    fill = _TAG_COLOURS[int(rng.integers(0, len(_TAG_COLOURS)))]
    ink = contrast(fill)
    draw = ImageDraw.Draw(canvas.image)
    box = (x, y, x + w, y + h)
    draw.rectangle(box, fill=fill, outline=shade(fill, 0.8))
    if rng.random() < 0.4:
        draw.rectangle((x, y, x + w, y + h * 0.18), fill=random_colour(rng, s=(0.5, 1)))
    draw_fit(draw, (x + w * 0.35, y + h * 0.2, x + w * 0.97, y + h * 0.8), _price(rng), ink)
    for bx in np.cumsum(rng.uniform(0.01, 0.03, 12)) * w + x + w * 0.05:
        if bx < x + w * 0.33:
            draw.line((bx, y + h * 0.6, bx, y + h * 0.9), fill=ink, width=max(int(w / 90), 1))
    draw.rectangle((x + w * 0.05, y + h * 0.28, x + w * 0.3, y + h * 0.34), fill=shade(ink, 1.4))
    canvas.annotate(box, CLASS_ID["price_tag"])
    return box


def shelf_strip(canvas: Canvas, brand: Brand, box: Box) -> None:
    """A brand strip along a shelf edge over `box`, logo repeated; annotate it as POSM."""
    x0, y0, x1, y1 = (int(v) for v in box)
    if x1 - x0 < 4 or y1 - y0 < 3:
        return
    st = brand.style
    strip = gradient(x1 - x0, y1 - y0, st.primary, shade(st.primary, 0.7))
    logo = render_logo(brand, max(int((y1 - y0) * 0.8), 4))
    for lx in range(int((y1 - y0) * 0.3), strip.width - logo.width, logo.width * 3):
        strip.paste(logo, (lx, int((y1 - y0) * 0.1)), logo)
    canvas.image.paste(strip, (x0, y0))
    canvas.annotate((x0, y0, x1, y1), CLASS_ID["posm"], brand=brand.name, occludable=False)


def _wobbler_image(brand: Brand, d: int, rng: np.random.Generator) -> Image.Image:
    img = Image.new("RGBA", (d, d), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    fill = brand.style.accent if rng.random() < 0.5 else brand.style.primary
    kind = int(rng.integers(0, 3))
    if kind == 0:
        draw.ellipse((0, 0, d - 1, d - 1), fill=(*fill, 255))
    elif kind == 1:
        draw.regular_polygon((d / 2, d / 2, d / 2 - 1), 14, fill=(*fill, 255))
    else:
        draw.rounded_rectangle((0, 0, d - 1, d - 1), radius=d // 6, fill=(*fill, 255))
    logo = render_logo(brand, max(d // 4, 4))
    logo = logo.resize((min(logo.width, int(d * 0.75)), logo.height))
    img.alpha_composite(logo, ((d - logo.width) // 2, int(d * 0.18)))
    draw_fit(
        draw,
        (d * 0.18, d * 0.5, d * 0.82, d * 0.75),
        SLOGANS[int(rng.integers(0, len(SLOGANS)))],
        (*contrast(fill), 255),
    )
    return img


def wobbler(
    canvas: Canvas, rng: np.random.Generator, brand: Brand, cx: float, lip_y: float, ppc: float
) -> None:
    """A wobbler on a stick from the shelf edge at (cx, lip_y), face-on over the products."""
    d = max(int(rng.uniform(7.0, 14.0) * ppc), 8)
    up = rng.random() < 0.6
    top = lip_y - d - ppc * 1.5 if up else lip_y + ppc * 3
    draw = ImageDraw.Draw(canvas.image)
    draw.line((cx, lip_y, cx, top + d / 2), fill=(200, 200, 205), width=max(int(ppc * 0.4), 1))
    img = _wobbler_image(brand, d, rng)
    canvas.paste(img, (int(cx - d / 2), int(top)), occluder=True)
    canvas.annotate((cx - d / 2, top, cx + d / 2, top + d), CLASS_ID["posm"], brand=brand.name)


def poster(
    canvas: Canvas,
    rng: np.random.Generator,
    brand: Brand,
    sku: Sku | None,
    box: Box,
    *,
    known: bool = True,
) -> None:
    """A brand poster filling `box`: background, logo, a pack shot and a slogan; POSM.

    Posters of brands outside the catalogue (`known` False) are annotated without brand.
    """
    x0, y0, x1, y1 = (int(v) for v in box)
    w, h = x1 - x0, y1 - y0
    if w < 8 or h < 8:
        return
    st = brand.style
    img = gradient(w, h, st.primary, st.secondary, horizontal=rng.random() < 0.5)
    wide = w > h
    logo = render_logo(brand, max(int(h * (0.3 if wide else 0.12)), 4))
    k = min(1.0, w * 0.45 / logo.width)
    logo = logo.resize((max(int(logo.width * k), 1), max(int(logo.height * k), 1)))
    img.paste(logo, (int(w * 0.04), int(h * 0.08)), logo)
    if sku is not None:
        pack = render_pack(sku, max(int(h * (0.8 if wide else 0.45)), 4))
        img.paste(pack, (int(w * 0.96) - pack.width, int(h * 0.94) - pack.height), pack)
    text_box = (
        (w * 0.04, h * 0.55, w * 0.6, h * 0.9) if wide else (w * 0.05, h * 0.25, w * 0.95, h * 0.4)
    )
    draw_fit(
        ImageDraw.Draw(img),
        text_box,
        SLOGANS[int(rng.integers(0, len(SLOGANS)))],
        contrast(st.primary),
        stroke=1,
        stroke_fill=shade(st.primary, 0.5),
    )
    canvas.image.paste(img, (x0, y0))
    canvas.annotate((x0, y0, x1, y1), CLASS_ID["posm"], brand=brand.name if known else None)


def category_sign(canvas: Canvas, rng: np.random.Generator, box: Box) -> None:
    """A store's own aisle or category sign: clutter, deliberately not annotated."""
    fill = random_colour(rng, s=(0.0, 1.0), v=(0.3, 1.0))
    draw = ImageDraw.Draw(canvas.image)
    draw.rectangle(box, fill=fill)
    x0, y0, x1, y1 = box
    draw_fit(
        draw,
        (
            x0 + (x1 - x0) * 0.05,
            y0 + (y1 - y0) * 0.15,
            x1 - (x1 - x0) * 0.05,
            y1 - (y1 - y0) * 0.15,
        ),
        SIGNS[int(rng.integers(0, len(SIGNS)))],
        contrast(fill),
    )
