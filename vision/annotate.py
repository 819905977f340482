"""The photo with what the analysis found drawn on it: boxes, SKU labels, share legend."""

from __future__ import annotations

import colorsys
import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from vision.analyse import ShelfAnalysis
from vision.decode import decode
from vision.types import CLASS_ID

Colour = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
UNKNOWN_COLOUR: Colour = (150, 150, 150)
_CLASS_COLOURS: dict[int, Colour] = {
    CLASS_ID["price_tag"]: (255, 214, 0),
    CLASS_ID["display"]: (0, 150, 255),
    CLASS_ID["posm"]: (255, 0, 200),
}
_GAP_COLOUR: Colour = (255, 40, 40)


def brand_colour(brand: str | None) -> Colour:
    """A bright colour fixed by the brand's name (grey for unknown)."""
    if brand is None:
        return UNKNOWN_COLOUR
    hue = int.from_bytes(hashlib.sha256(brand.encode()).digest()[:2], "big") / 65536
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return round(r * 255), round(g * 255), round(b * 255)


def _font(size: int) -> Font:
    return ImageFont.load_default(size=max(size, 8))


def _label(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: Font, fill: Colour
) -> None:
    left, top, right, bottom = draw.textbbox(xy, text, font=font)
    draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=(0, 0, 0))
    draw.text(xy, text, fill=fill, font=font)


def _legend(draw: ImageDraw.ImageDraw, analysis: ShelfAnalysis, font: Font, line: int) -> None:
    share = analysis.kpis.brand_share
    rows = sorted(share.items(), key=lambda kv: -kv[1])
    unknown = max(1.0 - sum(share.values()), 0.0) if analysis.kpis.linear_px > 0 else 0.0
    entries: list[tuple[str, Colour]] = [(f"{b}  {v:.0%}", brand_colour(b)) for b, v in rows]
    if unknown > 0.0005:
        entries.append((f"unknown  {unknown:.0%}", UNKNOWN_COLOUR))
    entries.insert(0, (f"share of shelf  ({len(analysis.kpis.shelves)} shelves)", (255, 255, 255)))
    width = max(int(draw.textlength(t, font=font)) for t, _ in entries) + line * 2
    draw.rectangle((0, 0, width, line * len(entries) + line // 2), fill=(0, 0, 0))
    for i, (text, colour) in enumerate(entries):
        y = line // 4 + i * line
        if i:
            draw.rectangle(
                (line // 4, y + line // 6, line * 3 // 4, y + line * 2 // 3), fill=colour
            )
        draw.text((line, y), text, fill=colour, font=font)


def sku_label(sku: str | None, score: float) -> str:
    """A product's label: its SKU, `~SKU` where only its block named it (score 0, see
    `vision.context`), `?` where unknown."""
    if sku is None:
        return "?"
    return f"~{sku}" if score <= 0 else sku


def draw_analysis(image: Image.Image, analysis: ShelfAnalysis) -> Image.Image:
    """A copy of `image` (the photo, any size) with the analysis drawn on it."""
    out = image.convert("RGB")
    kx, ky = out.width / max(analysis.width, 1), out.height / max(analysis.height, 1)
    draw = ImageDraw.Draw(out)
    line = max(round(min(out.size) / 40), 10)
    small = _font(max(line * 2 // 3, 8))
    stroke = max(round(min(out.size) / 400), 1)
    d = analysis.detections
    sku = d.sku or (None,) * len(d)
    for gap in analysis.kpis.gaps:
        x0, y0, x1, y1 = gap.box
        draw.rectangle((x0 * kx, y0 * ky, x1 * kx, y1 * ky), outline=_GAP_COLOUR, width=stroke * 2)
    for i in range(len(d)):
        x0, y0, x1, y1 = (float(v) for v in d.xyxy[i])
        box = (x0 * kx, y0 * ky, x1 * kx, y1 * ky)
        cls = int(d.class_id[i])
        if cls == CLASS_ID["product"]:
            colour = brand_colour(analysis.brand[i])
            draw.rectangle(box, outline=colour, width=stroke)
            if box[2] - box[0] > line * 1.5:
                text = sku_label(sku[i], float(analysis.sku_score[i]))
                _label(draw, (box[0] + stroke, box[1] + stroke), text, small, colour)
        else:
            draw.rectangle(box, outline=_CLASS_COLOURS.get(cls, (255, 255, 255)), width=stroke * 2)
    _legend(draw, analysis, _font(line * 4 // 5), line)
    return out


def annotate(
    data: bytes | str | Path | Image.Image,
    analysis: ShelfAnalysis,
    *,
    max_side: int | None = None,
    quality: int = 85,
) -> bytes:
    """The photo with the analysis drawn on it, as JPEG bytes.

    Args:
        data: The photo the analysis was made from.
        analysis: Its analysis.
        max_side: Scale the output down so its longer side is at most this; by default
            the output has the photo's size (after EXIF orientation).
        quality: JPEG quality.

    Raises:
        vision.decode.BadImage: The photo cannot be decoded.
    """
    photo = decode(data, min_side=max_side or 0).image
    if max_side and max(photo.size) > max_side:
        k = max_side / max(photo.size)
        photo = photo.resize((max(round(photo.width * k), 1), max(round(photo.height * k), 1)))
    elif photo.size != (analysis.width, analysis.height):
        photo = photo.resize((analysis.width, analysis.height))
    buf = io.BytesIO()
    draw_analysis(photo, analysis).save(buf, "JPEG", quality=quality)
    return buf.getvalue()
