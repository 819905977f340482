"""Shelf rows: products in blocks of facings per SKU, gaps, shelf edges and price tags."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from vision.synth.canvas import Canvas
from vision.synth.catalogue import Sku
from vision.synth.packs import pack_image
from vision.synth.palette import RGB, shade
from vision.synth.posm import price_tag, shelf_strip, wobbler
from vision.types import CLASS_ID

Span = tuple[float, float]


@dataclass(frozen=True)
class Pick:
    """A SKU on the shelf; `known` is False for products outside the user's catalogue."""

    sku: Sku
    known: bool


@dataclass(frozen=True)
class Row:
    """One shelf's assortment, in planogram order, and its clear height in cm."""

    picks: tuple[Pick, ...]
    space_cm: float


@dataclass(frozen=True)
class Fixture:
    """The look of a shelving unit."""

    colour: RGB
    lip_cm: float
    tag_p: float
    strip_p: float
    wobbler_p: float


@dataclass
class Ctx:
    """What drawing a scene needs: canvas, randomness, the scale and the packs in use."""

    canvas: Canvas
    rng: np.random.Generator
    pools: dict[str, list[Pick]]
    ppc: float = 4.0
    oos_p: float = 0.05
    gap_cm: float = 0.4
    tray_p: float = 0.0
    wobblers: float = 1.0
    """Multiplies the odds of a wobbler on a shelf edge (`render_shelf`'s `wobblers`)."""
    _packs: dict[tuple[str, int, int], Image.Image] = field(default_factory=dict)

    def pack(self, sku: Sku, w: int, h: int) -> Image.Image:
        """`sku`'s front resized to (w, h), cached for the scene."""
        key = (sku.sku, w, h)
        if key not in self._packs:
            self._packs[key] = pack_image(sku).resize((w, h), Image.Resampling.BILINEAR)
        return self._packs[key]


@dataclass(frozen=True)
class Block:
    """Consecutive facings of one SKU (none if out of stock) between x0 and x1 px."""

    pick: Pick
    x0: float
    x1: float
    oos: bool


def plan_row(ctx: Ctx, category: str, *, brands: tuple[str, ...] = ()) -> Row:
    """Draw a row assortment of 2-10 SKUs from `category`, grouped by brand.

    Shelves are mostly set for one pack height, so most rows keep to SKUs within a
    factor of about 1.5 of a first SKU's height.
    """
    rng = ctx.rng
    pool = [p for p in ctx.pools[category] if not brands or p.sku.brand.name in brands]
    pool = pool or ctx.pools[category]
    anchor = pool[int(rng.integers(0, len(pool)))].sku.height_cm
    if rng.random() < 0.85:
        pool = [p for p in pool if 0.65 < p.sku.height_cm / anchor < 1.5]
    k = min(len(pool), int(rng.integers(2, 11)))
    chosen = [pool[i] for i in rng.choice(len(pool), k, replace=False)]
    rank = {b: rng.random() for b in sorted({p.sku.brand.id for p in chosen})}
    chosen.sort(key=lambda p: (rank[p.sku.brand.id], p.sku.height_cm))
    tallest = max(p.sku.height_cm for p in chosen)
    return Row(tuple(chosen), tallest * rng.uniform(1.04, 1.3) + rng.uniform(1.0, 4.0))


def place_product(ctx: Ctx, pick: Pick, x: float, floor_y: float, squeeze: float = 1.0) -> float:
    """Paste one facing standing on `floor_y` from `x`; annotate it; return its width px."""
    h = max(round(pick.sku.height_cm * ctx.ppc), 2)
    w = max(round(pick.sku.width_cm * ctx.ppc * squeeze), 2)
    img = ctx.pack(pick.sku, w, h)
    top = round(floor_y) - h
    ctx.canvas.paste(img, (round(x), top))
    ctx.canvas.annotate(
        (round(x), top, round(x) + w, top + h),
        CLASS_ID["product"],
        sku=pick.sku.sku if pick.known else None,
        brand=pick.sku.brand.name if pick.known else None,
    )
    return float(w)


def _facings(rng: np.random.Generator) -> int:
    return int(min(1 + rng.geometric(0.35), 9))


def fill_span(ctx: Ctx, row: Row, span: Span, floor_y: float, start: int) -> list[Block]:
    """Fill `span` px of one shelf with blocks, cycling the row's picks from `start`."""
    rng, gap = ctx.rng, ctx.gap_cm * ctx.ppc
    x, i = span[0] + rng.uniform(0, 2.0) * ctx.ppc, start
    blocks: list[Block] = []
    while True:
        pick = row.picks[i % len(row.picks)]
        i += 1
        w = pick.sku.width_cm * ctx.ppc
        n = min(_facings(rng), int((span[1] - x) // (w + gap)))
        if n <= 0:
            return blocks
        oos, x0 = rng.random() < ctx.oos_p, x
        n = min(n, 3) if oos else n
        for _ in range(n):
            squeeze = rng.uniform(0.8, 0.97) if rng.random() < 0.08 else 1.0
            jitter = rng.uniform(-0.25, 0.25) * ctx.ppc
            placed = w if oos else place_product(ctx, pick, x + jitter, floor_y, squeeze)
            x += max(placed, w * 0.8) + gap
        blocks.append(Block(pick, x0, x - gap, oos))
        if not oos and rng.random() < ctx.tray_p:
            tray(ctx, blocks[-1], floor_y)


def tray(ctx: Ctx, block: Block, floor_y: float) -> None:
    """A shelf-ready cardboard tray front hiding the bottom of a block's packs."""
    rng, p = ctx.rng, ctx.ppc
    h = block.pick.sku.height_cm * p * rng.uniform(0.12, 0.35)
    box = (block.x0 - 0.4 * p, floor_y - h, block.x1 + 0.4 * p, floor_y)
    brown = (int(rng.integers(150, 215)), int(rng.integers(110, 160)), int(rng.integers(60, 100)))
    colour = brown if rng.random() < 0.6 else block.pick.sku.brand.style.primary
    draw = ImageDraw.Draw(ctx.canvas.image)
    draw.rectangle(box, fill=colour)
    draw.line((box[0], box[1], box[2], box[1]), fill=shade(colour, 1.3), width=max(int(p * 0.3), 1))
    ctx.canvas.occlude(box)


def shadow_band(canvas: Canvas, box: tuple[int, int, int, int], strength: float) -> None:
    """Darken `box` from `strength` at its top edge to nothing at its bottom."""
    x0, y0, x1, y1 = (max(v, 0) for v in box)
    x1, y1 = min(x1, canvas.size[0]), min(y1, canvas.size[1])
    if x1 - x0 < 1 or y1 - y0 < 1:
        return
    ramp = np.linspace(255 * (1 - strength), 255, y1 - y0, dtype=np.float32)
    grad = Image.fromarray(np.repeat(ramp[:, None], x1 - x0, axis=1).astype(np.uint8))
    region = canvas.image.crop((x0, y0, x1, y1))
    canvas.image.paste(ImageChops.multiply(region, grad.convert("RGB")), (x0, y0))


def shelf_edge(ctx: Ctx, fx: Fixture, x0: float, x1: float, y: float) -> float:
    """Draw the shelf's front edge from y down; return its height px."""
    lip = fx.lip_cm * ctx.ppc
    draw = ImageDraw.Draw(ctx.canvas.image)
    draw.rectangle((x0, y, x1, y + lip), fill=fx.colour)
    draw.line((x0, y, x1, y), fill=shade(fx.colour, 1.35), width=max(int(lip * 0.08), 1))
    draw.rectangle((x0, y + lip * 0.86, x1, y + lip), fill=shade(fx.colour, 0.6))
    return lip


def _edge_material(ctx: Ctx, fx: Fixture, blocks: list[Block], y: float, lip: float) -> None:
    rng, ppc, last = ctx.rng, ctx.ppc, -1e9
    brands = [b.pick.sku.brand for b in blocks if b.pick.known]
    if brands and rng.random() < fx.strip_p:
        brand = brands[int(rng.integers(0, len(brands)))]
        own = [b for b in blocks if b.pick.sku.brand == brand]
        shelf_strip(ctx.canvas, brand, (own[0].x0, y + lip * 0.05, own[-1].x1, y + lip * 0.5))
    for block in blocks:
        x = block.x0 + rng.uniform(0.0, 0.4) * (block.x1 - block.x0)
        if rng.random() < fx.tag_p and x > last:
            last = price_tag(ctx.canvas, rng, x, y + lip * rng.uniform(0.1, 0.35), ppc)[2] + ppc
    if brands and rng.random() < fx.wobbler_p:
        brand = brands[int(rng.integers(0, len(brands)))]
        block = next(b for b in blocks if b.pick.sku.brand == brand)
        wobbler(ctx.canvas, rng, brand, (block.x0 + block.x1) / 2, y, ppc)


def draw_row(ctx: Ctx, fx: Fixture, row: Row, spans: list[Span], y: float) -> float:
    """Draw one shelf whose clear space starts at `y`: shadow, blocks, edge, tags, POSM.

    Returns:
        The y px where the next shelf's clear space starts.
    """
    space = row.space_cm * ctx.ppc
    floor_y = y + space
    x0, x1 = spans[0][0], spans[-1][1]
    shadow_band(
        ctx.canvas, (int(x0), int(y), int(x1), int(y + space * 0.45)), ctx.rng.uniform(0.1, 0.55)
    )
    blocks: list[Block] = []
    for span in spans:
        blocks += fill_span(ctx, row, span, floor_y, int(ctx.rng.integers(0, 3)))
    lip = shelf_edge(ctx, fx, x0, x1, floor_y)
    _edge_material(ctx, fx, blocks, floor_y, lip)
    return floor_y + lip
