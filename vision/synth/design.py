"""The printed face of a pack: brand template, pattern, flavour mark, logotype and texts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

from vision.synth.logos import render_logo
from vision.synth.palette import RGB, contrast, luminance, mix, rgb, shade
from vision.synth.text import Box, draw_fit
from vision.synth.textures import mottled

if TYPE_CHECKING:
    from vision.synth.catalogue import BrandStyle, Sku

_LOGO_PX = 96


def gradient(w: int, h: int, top: RGB, bottom: RGB, *, horizontal: bool = False) -> Image.Image:
    """A linear two-colour gradient as an RGB image of shape (h, w)."""
    n = w if horizontal else h
    t = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
    ramp = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    ramp = ramp[None, :, :] if horizontal else ramp[:, None, :]
    return Image.fromarray(np.broadcast_to(ramp, (h, w, 3)).astype(np.uint8))


def _pixel(img: Image.Image, x: int, y: int) -> RGB:
    value = img.getpixel((min(max(x, 0), img.width - 1), min(max(y, 0), img.height - 1)))
    return rgb(value[:3]) if isinstance(value, tuple) else rgb((value or 0,) * 3)


def _background(st: BrandStyle, w: int, h: int) -> Image.Image:
    if st.template == "gradient":
        return gradient(w, h, st.primary, st.secondary)
    colour = {"white": (246, 245, 240), "dark": shade(st.primary, 0.22)}.get(
        st.template, st.primary
    )
    img = Image.new("RGB", (w, h), colour)
    if st.template == "split":
        ImageDraw.Draw(img).polygon(
            [(0, h * 0.55), (w, h * 0.4), (w, h), (0, h)], fill=st.secondary
        )
    elif st.template == "white":
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, h * 0.9, w, h), fill=st.primary)
        draw.rectangle((0, 0, w, h * 0.05), fill=st.primary)
    return img


def _pattern(draw: ImageDraw.ImageDraw, st: BrandStyle, w: int, h: int) -> None:
    base = {"white": (246, 245, 240), "dark": shade(st.primary, 0.22)}.get(st.template, st.primary)
    ink = shade(base, 0.85) if luminance(base) > 0.3 else shade(base, 1.25)
    step = max(w, h) / 9
    if st.pattern == "stripes":
        for x in np.arange(0, w, step):
            draw.rectangle((x, 0, x + step / 3, h), fill=ink)
    elif st.pattern == "diagonal":
        for x in np.arange(-h, w, step):
            draw.line((x, h, x + h, 0), fill=ink, width=max(int(step / 4), 1))
    elif st.pattern == "dots":
        for y in np.arange(step / 2, h, step):
            for x in np.arange(step / 2, w, step):
                draw.ellipse((x - step / 6, y - step / 6, x + step / 6, y + step / 6), fill=ink)
    elif st.pattern == "waves":
        xs = np.linspace(0, w, 24)
        for y in np.arange(0, h, step):
            draw.line(
                list(zip(xs, y + np.sin(xs / w * 6 * np.pi) * step / 4, strict=True)),
                fill=ink,
                width=max(int(step / 6), 1),
            )
    elif st.pattern == "chevrons":
        for y in np.arange(0, h + step, step):
            draw.line(
                [(0, y), (w / 2, y - step / 2), (w, y)], fill=ink, width=max(int(step / 5), 1)
            )


def _photo(img: Image.Image, sku: Sku, rng: np.random.Generator) -> Box:
    """A blotchy "product photo" window in the flavour's colours; returns the name box."""
    w, h = img.size
    y0 = int(sku.brand.style.band_y * h * 0.8)
    window = (int(w * 0.08), y0, int(w * 0.92), min(y0 + int(h * 0.35), h))
    size = (max(window[2] - window[0], 1), max(window[3] - window[1], 1))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, size[0] - 1, size[1] - 1), radius=size[0] // 8, fill=255
    )
    img.paste(mottled(rng, size, sku.flavour_colour), window[:2], mask)
    top = min(window[3] + h * 0.01, h * 0.8)
    name = (w * 0.06, top, w * 0.94, max(min(top + h * 0.11, h * 0.9), top + 1))
    ImageDraw.Draw(img).rounded_rectangle(name, radius=int(h * 0.03), fill=sku.flavour_colour)
    return name


def _flavour_mark(
    img: Image.Image, st: BrandStyle, sku: Sku, wide: bool, rng: np.random.Generator
) -> Box:
    """Draw the flavour's colour mark and return the box its name goes in."""
    w, h = img.size
    draw = ImageDraw.Draw(img)
    colour = sku.flavour_colour
    if st.template == "photo" and not wide:
        return _photo(img, sku, rng)
    if wide:
        draw.rectangle((w * 0.6, 0, w, h), fill=colour)
        return (w * 0.62, h * 0.2, w * 0.98, h * 0.8)
    if st.template in ("hero", "dark"):
        r, cy = w * 0.3, st.band_y * h + w * 0.05
        for dx, dy, k in ((-0.45, 0.1, 0.8), (0.45, 0.15, 0.75), (0.0, 0.0, 1.0)):
            cx, yy, rr = w / 2 + dx * r, cy + dy * r, r * k
            draw.ellipse((cx - rr, yy - rr, cx + rr, yy + rr), fill=colour)
            draw.ellipse(
                (cx - rr * 0.5, yy - rr * 0.7, cx - rr * 0.1, yy - rr * 0.3),
                fill=shade(colour, 1.5),
            )
        return (
            w * 0.08,
            min(cy + r * 1.1, h * 0.8),
            w * 0.92,
            min(cy + r * 1.1, h * 0.8) + h * 0.1,
        )
    y0, y1 = st.band_y * h, st.band_y * h + h * 0.18
    slant = h * 0.04 if st.template == "split" else 0.0
    draw.polygon([(0, y0 + slant), (w, y0 - slant), (w, y1 - slant), (0, y1 + slant)], fill=colour)
    return (w * 0.06, y0 + h * 0.02, w * 0.94, y1 - h * 0.02)


def _logo(img: Image.Image, sku: Sku, wide: bool) -> None:
    w, h = img.size
    logo = render_logo(sku.brand, _LOGO_PX)
    box_w, box_h = (w * 0.55, h * 0.6) if wide else (w * 0.88, h * 0.22)
    k = min(box_w / logo.width, box_h / logo.height)
    size = (max(int(logo.width * k), 1), max(int(logo.height * k), 1))
    logo = logo.resize(size, Image.Resampling.BILINEAR)
    x = int(w * 0.04) if wide else (w - size[0]) // 2
    y = (h - size[1]) // 2 if wide else int(sku.brand.style.logo_y * h)
    img.paste(logo, (x, y), logo)


def _texts(img: Image.Image, sku: Sku, name_box: Box, wide: bool) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    draw_fit(draw, name_box, sku.flavour.upper(), contrast(sku.flavour_colour))
    ink = contrast(_pixel(img, w // 2, h - 2))
    size_box = (
        (w * 0.55, h * 0.86, w * 0.96, h * 0.97)
        if not wide
        else (w * 0.62, h * 0.8, w * 0.98, h * 0.98)
    )
    draw_fit(draw, size_box, sku.size_label, ink)


def _badge(img: Image.Image, sku: Sku) -> None:
    w, h = img.size
    r = min(w, h) * 0.14
    cx, cy = w - r * 1.2, r * 1.3
    draw = ImageDraw.Draw(img)
    fill = sku.brand.style.accent
    draw.regular_polygon((cx, cy, r), 12, rotation=15, fill=fill)
    draw_fit(
        draw, (cx - r * 0.8, cy - r * 0.5, cx + r * 0.8, cy + r * 0.5), sku.badge, contrast(fill)
    )


def _fine_print(img: Image.Image, rng: np.random.Generator) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    ink = mix(contrast(_pixel(img, w // 10, int(h * 0.9))), (128, 128, 128), 0.3)
    for i in range(int(rng.integers(1, 4))):
        y = h * (0.84 + 0.035 * i)
        draw.rectangle((w * 0.06, y, w * rng.uniform(0.2, 0.45), y + max(h * 0.012, 1)), fill=ink)


def label_design(sku: Sku, w: int, h: int, rng: np.random.Generator) -> Image.Image:
    """The label of `sku` as an RGB image of shape (h, w).

    Args:
        sku: The SKU; its brand style fixes the layout, its flavour and size the texts.
        w: Label width in px.
        h: Label height in px.
        rng: Drives small details only (fine print), seeded from the SKU.
    """
    st = sku.brand.style
    img = _background(st, w, h)
    _pattern(ImageDraw.Draw(img), st, w, h)
    wide = w > 1.6 * h
    name_box = _flavour_mark(img, st, sku, wide, rng)
    _logo(img, sku, wide)
    _texts(img, sku, name_box, wide)
    if sku.badge and not wide:
        _badge(img, sku)
    _fine_print(img, rng)
    return img
