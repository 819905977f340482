"""Scene layouts: a gondola run of bays, an end cap, a cooler; floor stands in front.

Each layout draws on the context's canvas and annotates what it draws; it chooses the
scale (px per cm) so 3-7 shelves fill the canvas height, more or less.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from vision.synth.canvas import Box
from vision.synth.catalogue import Brand
from vision.synth.design import gradient
from vision.synth.logos import render_logo
from vision.synth.palette import RGB, random_colour, shade
from vision.synth.posm import category_sign, poster
from vision.synth.shelves import Ctx, Fixture, Pick, Row, Span, draw_row, fill_span, plan_row
from vision.synth.textures import surface
from vision.types import CLASS_ID

_METALS: tuple[RGB, ...] = (
    (235, 235, 232),
    (200, 202, 205),
    (60, 62, 66),
    (150, 110, 70),
    (205, 40, 40),
    (40, 70, 140),
    (245, 245, 245),
)


def fixture(
    rng: np.random.Generator, *, lip_cm: tuple[float, float] = (3.0, 5.5), wobblers: float = 1.0
) -> Fixture:
    """A random shelving look: metal colour, edge height, how often tags and POSM appear.

    `wobblers` multiplies the odds of a wobbler (the random draws stay the same,
    so at 1 a seed gives the scene it always gave).
    """
    colour = _METALS[int(rng.integers(0, len(_METALS)))]
    return Fixture(
        colour=colour,
        lip_cm=rng.uniform(*lip_cm),
        tag_p=rng.uniform(0.7, 1.0),
        strip_p=rng.uniform(0.0, 0.35),
        wobbler_p=min(rng.uniform(0.0, 0.25) * wobblers, 1.0),
    )


def _rows(ctx: Ctx, n: int, categories: list[str], brands: tuple[str, ...] = ()) -> list[Row]:
    per = max(n // len(categories), 1)
    return [
        plan_row(ctx, categories[min(i // per, len(categories) - 1)], brands=brands)
        for i in range(n)
    ]


def _height_cm(rows: list[Row], fx: Fixture) -> float:
    return sum(r.space_cm + fx.lip_cm for r in rows)


def _backdrop(ctx: Ctx, floor_y: float) -> None:
    """Wall or far aisle over the whole canvas, floor below `floor_y`."""
    w, h = ctx.canvas.size
    rng = ctx.rng
    wall = surface(
        rng, (w, h), random_colour(rng, s=(0, 0.4), v=(0.4, 0.95)), ("mottled", "aisle", "tiles")
    )
    ctx.canvas.image.paste(wall, (0, 0))
    top = int(max(floor_y, 0))
    if top < h:
        floor = surface(
            rng,
            (w, h - top),
            random_colour(rng, s=(0, 0.3), v=(0.3, 0.9)),
            ("tiles", "mottled", "wood"),
        )
        ctx.canvas.image.paste(floor, (0, top))


def _bays(ctx: Ctx, fx: Fixture, x0: float, x1: float, y0: float, y1: float) -> list[Span]:
    """Draw uprights every bay width between x0 and x1; return the spans between them."""
    bay = float(ctx.rng.choice([100.0, 125.0, 133.0])) * ctx.ppc
    post = ctx.rng.uniform(2.5, 5.0) * ctx.ppc
    start = x0 - ctx.rng.uniform(0, bay) if x0 <= 0 else x0
    draw = ImageDraw.Draw(ctx.canvas.image)
    spans = []
    for bx in np.arange(start, x1, bay):
        draw.rectangle((bx - post / 2, y0, bx + post / 2, y1), fill=shade(fx.colour, 0.75))
        lo, hi = max(bx + post / 2, x0), min(bx + bay - post / 2, x1)
        if hi > max(lo, -bay) and lo < ctx.canvas.size[0] + bay:
            spans.append((lo, hi))
    return spans


def _header(ctx: Ctx, spans: list[Span], y0: float, y1: float) -> None:
    rng = ctx.rng
    brands = [p.sku.brand for pool in ctx.pools.values() for p in pool if p.known]
    for lo, hi in spans:
        box = (lo, y0 + (y1 - y0) * 0.1, hi, y1 - (y1 - y0) * 0.1)
        if brands and rng.random() < 0.5:
            brand = brands[int(rng.integers(0, len(brands)))]
            skus = [p.sku for pool in ctx.pools.values() for p in pool if p.sku.brand == brand]
            poster(ctx.canvas, rng, brand, skus[0] if skus else None, box)
        elif rng.random() < 0.6:
            category_sign(ctx.canvas, rng, box)


def _extent(rng: np.random.Generator, w: int) -> tuple[float, float]:
    roll = rng.random()
    if roll < 0.15:
        return rng.uniform(0.1, 0.4) * w, float(w + 10)
    if roll < 0.3:
        return -10.0, rng.uniform(0.6, 0.9) * w
    return -10.0, float(w + 10)


def gondola(ctx: Ctx, categories: list[str]) -> None:
    """A run of gondola bays with 3-7 shelves, maybe a header and a floor stand in front."""
    rng, (w, h) = ctx.rng, ctx.canvas.size
    fx = fixture(rng, wobblers=ctx.wobblers)
    rows = _rows(ctx, int(rng.integers(3, 8)), categories)
    header_cm = rng.uniform(12, 35) if rng.random() < 0.5 else 0.0
    kick_cm = rng.uniform(6, 16)
    total = header_cm + _height_cm(rows, fx) + kick_cm
    ctx.ppc = h * rng.uniform(0.55, 1.1) / total
    y = (h - total * ctx.ppc) / 2 + rng.uniform(-0.15, 0.15) * h
    floor_y = y + total * ctx.ppc
    _backdrop(ctx, floor_y)
    x0, x1 = _extent(rng, w)
    back = surface(
        rng,
        (int(x1 - x0), int(floor_y - y)),
        shade(fx.colour, rng.uniform(0.5, 0.9)),
        ("pegboard", "mottled", "wood"),
    )
    ctx.canvas.image.paste(back, (int(x0), int(y)))
    spans = _bays(ctx, fx, x0, x1, y, floor_y)
    y_rows = y + header_cm * ctx.ppc
    if header_cm:
        _header(ctx, spans, y, y_rows)
    for row in rows:
        y_rows = draw_row(ctx, fx, row, spans, y_rows)
    ImageDraw.Draw(ctx.canvas.image).rectangle(
        (x0, y_rows, x1, floor_y), fill=shade(fx.colour, 0.7)
    )
    if rng.random() < 0.2:
        floor_stand(ctx, rng.uniform(0.05, 0.75) * w, floor_y)


def _main_brand(ctx: Ctx, categories: list[str]) -> tuple[Pick, tuple[str, ...]]:
    """The display's brand (an own brand when there is one) and the brands it carries."""
    pool = [p for p in ctx.pools[categories[0]] if p.known] or ctx.pools[categories[0]]
    own = [p for p in pool if p.sku.brand.own] or pool
    main = own[int(ctx.rng.integers(0, len(own)))]
    other = pool[int(ctx.rng.integers(0, len(pool)))].sku.brand.name
    return main, (main.sku.brand.name, other) if ctx.rng.random() < 0.4 else (main.sku.brand.name,)


def endcap(ctx: Ctx, categories: list[str]) -> None:
    """An end-cap display: one bay of one or two brands under a header poster."""
    rng, (w, h) = ctx.rng, ctx.canvas.size
    fx = fixture(rng, wobblers=ctx.wobblers)
    main, brands = _main_brand(ctx, categories)
    brand, label = main.sku.brand, main.sku.brand.name if main.known else None
    rows = _rows(ctx, int(rng.integers(3, 7)), categories[:1], brands)
    header_cm, kick_cm, bay_cm = rng.uniform(20, 40), rng.uniform(8, 15), rng.uniform(90, 130)
    total = header_cm + _height_cm(rows, fx) + kick_cm
    ctx.ppc = min(h * rng.uniform(0.7, 1.0) / total, w * 0.9 / bay_cm)
    y = (h - total * ctx.ppc) / 2
    x0 = (w - bay_cm * ctx.ppc) / 2 + rng.uniform(-0.1, 0.1) * w
    x1, floor_y = x0 + bay_cm * ctx.ppc, y + total * ctx.ppc
    _backdrop(ctx, floor_y)
    back = surface(rng, (int(x1 - x0), int(floor_y - y)), shade(fx.colour, 0.8), ("mottled",))
    ctx.canvas.image.paste(back, (int(x0), int(y)))
    y_rows = y + header_cm * ctx.ppc
    poster(ctx.canvas, rng, brand, main.sku, (x0, y, x1, y_rows), known=main.known)
    for row in rows:
        y_rows = draw_row(ctx, fx, row, [(x0 + ctx.ppc, x1 - ctx.ppc)], y_rows)
    ImageDraw.Draw(ctx.canvas.image).rectangle((x0, y_rows, x1, floor_y), fill=brand.style.primary)
    ctx.canvas.annotate((x0, y, x1, floor_y), CLASS_ID["display"], brand=label, occludable=False)


def _glass(ctx: Ctx, box: tuple[int, int, int, int]) -> None:
    """Reflections on a glass door: pale diagonal bands blended over `box`."""
    x0, y0, x1, y1 = box
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    mask = Image.new("L", (64, 64), 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(int(ctx.rng.integers(1, 4))):
        a, width = ctx.rng.uniform(-40, 100), ctx.rng.uniform(5, 25)
        draw.polygon(
            [(a, 0), (a + width, 0), (a + width - 40, 64), (a - 40, 64)],
            fill=int(ctx.rng.uniform(20, 90)),
        )
    mask = mask.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
    region = ctx.canvas.image.crop(box)
    white = Image.new("RGB", region.size, (245, 248, 250))
    ctx.canvas.image.paste(Image.composite(white, region, mask), (x0, y0))


def _cooler_cabinet(
    ctx: Ctx, brand: Brand, box: Box, canopy: float, frame_w: float
) -> tuple[int, int, int, int]:
    """Draw the cabinet (frame, canopy logo, lit interior); return the interior box."""
    rng, (x0, y0, x1, y1) = ctx.rng, box
    frame = brand.style.primary if rng.random() < 0.7 else random_colour(rng)
    ImageDraw.Draw(ctx.canvas.image).rounded_rectangle(box, radius=int(frame_w), fill=frame)
    inner = (int(x0 + frame_w), int(y0 + canopy + frame_w), int(x1 - frame_w), int(y1 - frame_w))
    lit = random_colour(rng, s=(0, 0.15), v=(0.8, 1.0))
    size = (inner[2] - inner[0], inner[3] - inner[1])
    ctx.canvas.image.paste(gradient(*size, lit, shade(lit, 0.75)), inner[:2])
    logo = render_logo(brand, max(int(canopy * 0.6), 4))
    at = (int((x0 + x1 - logo.width) / 2), int(y0 + (canopy - logo.height) / 2))
    ctx.canvas.image.paste(logo, at, logo)
    return inner


def _doors(
    ctx: Ctx, inner: tuple[int, int, int, int], edges: NDArray[np.float64], colour: RGB
) -> None:
    """Door mullions and handles in front of the products, hiding what they cover."""
    p, draw = ctx.ppc, ImageDraw.Draw(ctx.canvas.image)
    for dx in edges[1:-1]:
        mullion = (dx - 2 * p, inner[1], dx + 2 * p, inner[3])
        ctx.canvas.occlude(mullion)
        draw.rectangle(mullion, fill=colour)
        handle = (dx - 4 * p, inner[1] + 40 * p, dx - 2.8 * p, inner[1] + 90 * p)
        draw.rectangle(handle, fill=(210, 210, 215))


def cooler(ctx: Ctx, categories: list[str]) -> None:
    """A glass-door cooler: branded frame and canopy, wire shelves, doors, reflections."""
    rng, (w, h) = ctx.rng, ctx.canvas.size
    tags = rng.uniform(0, 0.8)
    fx = Fixture((170, 172, 176), rng.uniform(1.0, 2.0), tag_p=tags, strip_p=0.0, wobbler_p=0.0)
    main, _ = _main_brand(ctx, categories)
    rows = _rows(ctx, int(rng.integers(4, 7)), categories)
    doors, door_cm, canopy_cm, frame_cm = (
        int(rng.integers(1, 4)), rng.uniform(55, 75), rng.uniform(15, 30), rng.uniform(4, 8)
    )  # fmt: skip
    width_cm = doors * door_cm + 2 * frame_cm
    total = canopy_cm + _height_cm(rows, fx) + 2 * frame_cm + 10
    ctx.ppc = p = min(h * rng.uniform(0.75, 1.05) / total, w * 0.95 / width_cm)
    x0, y0 = (w - width_cm * p) / 2 + rng.uniform(-0.1, 0.1) * w, (h - total * p) / 2
    box = (x0, y0, x0 + width_cm * p, y0 + total * p)
    _backdrop(ctx, box[3])
    inner = _cooler_cabinet(ctx, main.sku.brand, box, canopy_cm * p, frame_cm * p)
    y_rows = inner[1] + rng.uniform(1, 4) * p
    edges = np.linspace(inner[0], inner[2], doors + 1)
    spans = [(lo + 2.5 * p, hi - 2.5 * p) for lo, hi in itertools.pairwise(edges)]
    for row in rows:
        y_rows = draw_row(ctx, fx, row, spans, y_rows)
    _glass(ctx, inner)
    _doors(ctx, inner, edges, shade(main.sku.brand.style.primary, 0.7))
    label = main.sku.brand.name if main.known else None
    ctx.canvas.annotate(box, CLASS_ID["display"], brand=label, occludable=False)


def floor_stand(ctx: Ctx, x: float, floor_y: float) -> None:
    """A cardboard floor stand of one brand standing on `floor_y` from `x`, in front."""
    rng = ctx.rng
    p = ctx.ppc * rng.uniform(1.0, 1.25)
    known = [pk for pool in ctx.pools.values() for pk in pool if pk.known]
    if not known:
        return
    brand = known[int(rng.integers(0, len(known)))].sku.brand
    picks = [pk for pk in known if pk.sku.brand == brand]
    w_cm, header_cm = rng.uniform(40, 65), rng.uniform(18, 32)
    tiers = int(rng.integers(3, 6))
    tier_cm = max(pk.sku.height_cm for pk in picks) * 1.12 + 3
    x0, x1 = x, x + w_cm * p
    y0 = floor_y - (header_cm + tiers * tier_cm + 10) * p
    box = (x0, y0, x1, floor_y)
    ctx.canvas.occlude(box)
    body = gradient(
        int(x1 - x0),
        int(floor_y - y0),
        brand.style.primary,
        shade(brand.style.primary, 0.6),
        horizontal=True,
    )
    ctx.canvas.image.paste(body, (int(x0), int(y0)))
    logo = render_logo(brand, max(int(header_cm * p * 0.5), 4))
    k = min(1.0, (x1 - x0) * 0.9 / logo.width)
    logo = logo.resize((max(int(logo.width * k), 1), max(int(logo.height * k), 1)))
    ctx.canvas.image.paste(
        logo, (int(x0 + (x1 - x0 - logo.width) / 2), int(y0 + header_cm * p * 0.2)), logo
    )
    _stand_tiers(ctx, picks, (x0, y0 + header_cm * p, x1), tiers, tier_cm, p)
    ctx.canvas.annotate(box, CLASS_ID["display"], brand=brand.name, occludable=False)


def _stand_tiers(
    ctx: Ctx,
    picks: list[Pick],
    top: tuple[float, float, float],
    tiers: int,
    tier_cm: float,
    p: float,
) -> None:
    x0, y, x1 = top
    saved, ctx.ppc = ctx.ppc, p
    draw = ImageDraw.Draw(ctx.canvas.image)
    colour = shade(picks[0].sku.brand.style.primary, 0.8)
    for _ in range(tiers):
        y += tier_cm * p
        row = Row(tuple(picks), tier_cm)
        fill_span(ctx, row, (x0 + 1.5 * p, x1 - 1.5 * p), y, int(ctx.rng.integers(0, len(picks))))
        draw.rectangle((x0, y, x1, y + 2.5 * p), fill=colour)
    ctx.ppc = saved
