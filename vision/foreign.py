"""Foreign shelves: a second shelf renderer, written apart from `vision.synth`, for evaluation only.

The detector learns from `vision.synth`'s scenes; a score measured on more of them flatters it,
whatever the style. This renderer shares none of its drawing code or its look: flat packs
drawn as polygons (boxes, bottles, cans, jars, pouches) in groups of facings on shelf boards
between uprights, printed labels in Pillow's own font, paper price tags on the shelf edge,
4:3 and 16:9 landscape and 3:4 portrait photos, a homography for the camera, then light
fall-off, colour cast, blur, noise and JPEG. It labels `product` and `price_tag` only (its
scenes hold no displays or POSM). Never train on it: it stands for a stranger's photos.

Given a `ForeignCatalogue` (brands of pack designs, each with variants that differ by flavour
colour and word) most groups of facings are its SKUs, labelled with SKU and brand, and its
reference images make a catalogue directory: SKU recognition measured on another renderer's
packs as well as its photos.

    python -m vision.evaluate --style foreign -n 60
    python -m vision.cli evaluate-shelf --style foreign -n 60
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rich.progress import track

from vision.catalogue import CatalogueEntry, write_catalogue_json
from vision.synth.dataset import scene_seed, yolo_lines
from vision.types import CLASSES

PRODUCT, PRICE_TAG = CLASSES.index("product"), CLASSES.index("price_tag")
SIZES = ((1600, 1200), (1280, 960), (2000, 1125), (1200, 1600), (1080, 1440))
# Dense: a whole bay from a 12-megapixel phone, about 200 products a photo (SKU-110K's ~150).
DENSE_SIZES = ((4000, 3000), (3000, 4000))
# Pack shapes: (name, width / height range).
SHAPES = (("box", 0.5, 0.95), ("bottle", 0.24, 0.38), ("can", 0.45, 0.62), ("jar", 0.6, 0.95),
          ("pouch", 0.5, 0.72))  # fmt: skip
LETTERS = np.array(list("ABCDEFGHIJKLMNOPRSTUVWXYZ"))
KNOWN_P = 0.8
"""Share of the groups of facings drawn from the catalogue, where one is given."""


@dataclass(frozen=True)
class ForeignScene:
    """A foreign photo: boxes, classes and, per box, the catalogue SKU and brand (None: a
    price tag or a pack not in the catalogue)."""

    image: Image.Image
    boxes: NDArray[np.float32]
    classes: NDArray[np.int64]
    skus: tuple[str | None, ...] = ()
    brands: tuple[str | None, ...] = ()


def _colour(rng: np.random.Generator, light: tuple[int, int] = (30, 230)) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(light[0], light[1], 3))


def _word(rng: np.random.Generator, n: tuple[int, int] = (3, 8)) -> str:
    return "".join(rng.choice(LETTERS, int(rng.integers(*n))))


def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, int(size)))


def _outline(shape: str, x: float, y: float, w: float, h: float) -> list[tuple[float, float]]:
    """The pack's silhouette standing on y + h, as a polygon."""
    if shape == "bottle":
        neck, shoulder = w * 0.35, h * 0.3
        cx = x + w / 2
        return [(cx - neck / 2, y), (cx + neck / 2, y), (cx + neck / 2, y + h * 0.12),
                (x + w, y + shoulder), (x + w, y + h), (x, y + h), (x, y + shoulder),
                (cx - neck / 2, y + h * 0.12)]  # fmt: skip
    if shape == "pouch":
        return [(x + w * 0.08, y), (x + w * 0.92, y), (x + w, y + h), (x, y + h)]
    if shape == "jar":
        lid = h * 0.12
        return [(x + w * 0.1, y), (x + w * 0.9, y), (x + w * 0.9, y + lid), (x + w, y + lid),
                (x + w, y + h), (x, y + h), (x, y + lid), (x + w * 0.1, y + lid)]  # fmt: skip
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


@dataclass(frozen=True)
class Design:
    """One pack design: every facing of a group is drawn from it."""

    shape: str
    body: tuple[int, ...]
    band: tuple[int, ...]
    ink: tuple[int, ...]
    name: str
    band_at: float
    logo: bool
    flavour: str | None = None

    @classmethod
    def draw_from(cls, rng: np.random.Generator, shape: str) -> Design:
        dark_ink = rng.random() < 0.6
        ink = _colour(rng, (0, 90) if dark_ink else (180, 255))
        return cls(shape, _colour(rng), _colour(rng), ink, _word(rng),
                   float(rng.uniform(0.25, 0.55)), bool(rng.random() < 0.5))  # fmt: skip


def _pack(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, design: Design,
    x: float, y: float, w: float, h: float,
) -> None:  # fmt: skip
    draw.polygon(_outline(design.shape, x, y, w, h), fill=design.body)
    if design.shape == "can":
        draw.rounded_rectangle((x, y, x + w, y + h), radius=w * 0.15, fill=design.body)
    top = y + h * design.band_at
    draw.rectangle((x + w * 0.04, top, x + w * 0.96, top + h * 0.22), fill=design.band)
    font = _font(min(h * 0.12, w * 0.28))
    centre = (x + w / 2, top + h * 0.11)
    draw.text(centre, design.name, fill=design.ink, font=font, anchor="mm")
    if design.flavour:  # the variant's word, under the band
        small = _font(min(h * 0.08, w * 0.2))
        draw.text(
            (centre[0], top + h * 0.3), design.flavour, fill=design.ink, font=small, anchor="mm"
        )
    if design.logo:
        r, cy = w * 0.16, y + h * 0.72
        draw.ellipse((x + w / 2 - r, cy - r, x + w / 2 + r, cy + r), fill=design.band)
    # Cylinders catch the light down the middle, boxes on one side.
    for i in range(6):
        shade = int(rng.integers(0, 2)) if design.shape == "box" else 0
        tone = (255, 255, 255, 18) if (i in (2, 3)) != bool(shade) else (0, 0, 0, 22)
        draw.rectangle((x + w * i / 6, y + h * 0.05, x + w * (i + 1) / 6, y + h), fill=tone)


@dataclass(frozen=True)
class ForeignSku:
    sku: str
    brand: str
    design: Design
    aspect: float  # width / height


@dataclass(frozen=True)
class ForeignBrand:
    name: str


@dataclass(frozen=True)
class ForeignCatalogue:
    """Brands of foreign pack designs, each with variants (flavour colour and word)."""

    seed: int
    brands: tuple[ForeignBrand, ...]
    skus: tuple[ForeignSku, ...]


def foreign_catalogue(seed: int, *, brands: int = 12, variants: int = 6) -> ForeignCatalogue:
    """`brands` brands of `variants` SKUs: one shape, body, ink, name and logo per brand."""
    rng = np.random.default_rng([seed, 7])
    names: list[str] = []
    skus: list[ForeignSku] = []
    while len(names) < brands:
        name = _word(rng, (4, 8))
        if name in names:
            continue
        names.append(name)
        shape, lo, hi = SHAPES[int(rng.integers(len(SHAPES)))]
        aspect = float(rng.uniform(lo, hi))
        base = Design.draw_from(rng, shape)
        flavours: list[str] = []
        while len(flavours) < variants:
            word = _word(rng, (4, 7))
            if word not in flavours:
                flavours.append(word)
        for v, flavour in enumerate(flavours):
            design = Design(shape, base.body, _colour(rng), base.ink, name, base.band_at,
                            base.logo, flavour)  # fmt: skip
            skus.append(ForeignSku(f"F{seed}-{len(names) - 1:02d}-{v}", name, design, aspect))
    return ForeignCatalogue(seed, tuple(ForeignBrand(n) for n in names), tuple(skus))


def reference_image(sku: ForeignSku, height: int = 256) -> Image.Image:
    """The pack's front, flat and lit evenly, RGBA: transparent outside its outline."""
    w = max(round(height * sku.aspect), 1)
    image = Image.new("RGB", (w, height), (255, 255, 255))  # RGB: the shading blends
    _pack(ImageDraw.Draw(image, "RGBA"), np.random.default_rng(0), sku.design, 0, 0, w, height)
    mask = Image.new("L", image.size, 0)
    outline = ImageDraw.Draw(mask)
    outline.polygon(_outline(sku.design.shape, 0, 0, w, height), fill=255)
    if sku.design.shape == "can":
        outline.rounded_rectangle((0, 0, w, height), radius=w * 0.15, fill=255)
    image.putalpha(mask)
    return image


def write_foreign_catalogue(catalogue: ForeignCatalogue, path: str | Path) -> Path:
    """The catalogue as a catalogue directory (`vision.catalogue`): one front per SKU."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for sku in catalogue.skus:
        reference_image(sku).save(folder / f"{sku.sku}_0.png")
        name = f"{sku.brand} {sku.design.flavour}"
        entries.append(CatalogueEntry(sku.sku, sku.brand, name, shape=sku.design.shape,
                                      images=(f"{sku.sku}_0.png",)))  # fmt: skip
    return write_catalogue_json(entries, folder)


Label = tuple[str | None, str | None]


def _shelf_row(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, left: float, right: float,
    floor: float, pitch: float, board: float, catalogue: ForeignCatalogue | None = None,
) -> tuple[list[list[float]], list[list[float]], list[Label]]:  # fmt: skip
    """Groups of facings standing on `floor`, tags under each group's first facing; with
    a catalogue, most groups are its SKUs (labelled), the rest packs it does not hold."""
    products: list[list[float]] = []
    labels: list[Label] = []
    tags: list[list[float]] = []
    x = left + rng.uniform(0, pitch * 0.2)
    while x < right:
        name, lo, hi = SHAPES[int(rng.integers(len(SHAPES)))]
        h = pitch * rng.uniform(0.5, 0.88)
        w = h * rng.uniform(lo, hi)
        n = int(rng.integers(1, 7))
        if rng.random() < 0.1:  # out of stock: an empty stretch
            x += w * n * 0.7
            continue
        design = Design.draw_from(rng, name)
        label: Label = (None, None)
        if catalogue is not None and rng.random() < KNOWN_P:
            sku = catalogue.skus[int(rng.integers(len(catalogue.skus)))]
            design, w, label = sku.design, h * sku.aspect, (sku.sku, sku.brand)
        gap = rng.uniform(0, w * 0.06)
        start = x
        for _ in range(n):
            if x + w > right:
                break
            _pack(draw, rng, design, x, floor - h, w, h)
            products.append([x, floor - h, x + w, floor])
            labels.append(label)
            x += w + gap
        if x > start and rng.random() < 0.85:
            tw, th = pitch * rng.uniform(0.18, 0.3), board * rng.uniform(0.55, 0.85)
            tx, ty = start + rng.uniform(0, max(1.0, x - start - tw)), floor + board * 0.1
            paper = (255, 255, 255) if rng.random() < 0.6 else (250, 220, 60)
            draw.rectangle((tx, ty, tx + tw, ty + th), fill=paper)
            price = f"{rng.integers(0, 20)}.{rng.integers(0, 100):02d}"
            draw.text(
                (tx + tw / 2, ty + th / 2),
                price,
                fill=(20, 20, 20),
                font=_font(th * 0.6),
                anchor="mm",
            )
            tags.append([tx, ty, tx + tw, ty + th])
        x += rng.uniform(0, w * 0.3)
    return products, tags, labels


def _homography(rng: np.random.Generator, w: int, h: int, strength: float) -> NDArray[np.float64]:
    """A random camera: the image corners moved by up to `strength` of the size."""
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    dst = src + rng.uniform(-strength, strength, (4, 2)) * [w, h]
    rows = []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    a = np.array(rows)
    coeffs = np.linalg.solve(a[:, :8], a[:, 8])
    return np.append(coeffs, 1.0).reshape(3, 3)


def _warp_boxes(
    boxes: NDArray[np.float64], m: NDArray[np.float64], w: int, h: int
) -> NDArray[np.float64]:
    """Each box's corners through `m`, as the box around them, clipped to the image."""
    if not len(boxes):
        return boxes.reshape(0, 4)
    x0, y0, x1, y1 = boxes.T
    corners = np.stack([np.stack([x, y, np.ones_like(x)], -1)
                        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))], 1)  # fmt: skip
    p = corners @ m.T
    p = p[..., :2] / p[..., 2:]
    out: NDArray[np.float64] = np.concatenate([p.min(1), p.max(1)], 1)
    return np.minimum(np.maximum(out, 0.0), np.array([w, h, w, h], np.float64))


def render_foreign(
    seed: int, *, dense: bool = False, catalogue: ForeignCatalogue | None = None
) -> ForeignScene:
    """One foreign shelf photo with its product and price-tag boxes; `dense`: 7-10 shelves
    in a 12-megapixel photo; `catalogue`: most packs are its SKUs (the same seed without
    one draws the same photo as before catalogues existed)."""
    rng = np.random.default_rng(seed)
    sizes = DENSE_SIZES if dense else SIZES
    w, h = sizes[int(rng.integers(len(sizes)))]
    wall = np.array(_colour(rng, (120, 240)), np.float32)
    noise = rng.normal(0, 1, (h // 40 + 1, w // 40 + 1, 1)).astype(np.float32)
    grain = np.asarray(Image.fromarray(noise[..., 0]).resize((w, h), Image.Resampling.BICUBIC))
    canvas = Image.fromarray(np.clip(wall + grain[..., None] * 8, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas, "RGBA")
    shelves = int(rng.integers(7, 11) if dense else rng.integers(3, 9))
    top, bottom = h * rng.uniform(-0.1, 0.08), h * rng.uniform(0.92, 1.1)
    pitch = (bottom - top) / shelves
    board = pitch * rng.uniform(0.07, 0.14)
    post = w * rng.uniform(0.01, 0.025)
    metal = _colour(rng, (40, 220))
    products: list[list[float]] = []
    tags: list[list[float]] = []
    labels: list[Label] = []
    for i in range(shelves):
        floor = top + (i + 1) * pitch - board
        draw.rectangle((0, floor, w, floor + board), fill=metal)
        draw.rectangle((0, floor, w, floor + board * 0.15), fill=(255, 255, 255, 60))
        p, t, lab = _shelf_row(draw, rng, post, w - post, floor, pitch - board, board, catalogue)
        products += p
        tags += t
        labels += lab
    for x in (0, w - post):
        draw.rectangle((x, 0, x + post, h), fill=metal)
    m = _homography(rng, w, h, rng.uniform(0.0, 0.09))
    inverse = np.linalg.inv(m)
    inverse /= inverse[2, 2]
    fill = tuple(int(v) for v in wall)
    coeffs = tuple(inverse.flatten()[:8])
    image = canvas.transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=fill
    )
    boxes = np.concatenate([
        _warp_boxes(np.array(products, np.float64).reshape(-1, 4), m, w, h),
        _warp_boxes(np.array(tags, np.float64).reshape(-1, 4), m, w, h),
    ])  # fmt: skip
    classes = np.array([PRODUCT] * len(products) + [PRICE_TAG] * len(tags), np.int64)
    keep = ((boxes[:, 2] - boxes[:, 0]) > 4) & ((boxes[:, 3] - boxes[:, 1]) > 4)
    every = labels + [(None, None)] * len(tags)
    kept = [lab for lab, k in zip(every, keep.tolist(), strict=True) if k]
    return ForeignScene(
        _camera(image, rng),
        boxes[keep].astype(np.float32),
        classes[keep],
        tuple(s for s, _ in kept),
        tuple(b for _, b in kept),
    )


def _camera(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Light fall-off, colour cast, focus, sensor noise and JPEG."""
    w, h = image.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    falloff = 1 - rng.uniform(0.1, 0.45) * (((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2) * 2
    cast = rng.uniform(0.85, 1.15, 3).astype(np.float32) * rng.uniform(0.7, 1.2)
    pixels = np.asarray(image, np.float32) * falloff[..., None] * cast
    pixels += rng.normal(0, rng.uniform(0, 6), pixels.shape).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rng.random() < 0.6:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.6)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(50, 92)))
    return Image.open(io.BytesIO(buffer.getvalue()))


def write_foreign(out: str | Path, n: int, *, seed: int, dense: bool = False) -> Path:
    """`n` foreign scenes as a YOLO folder (`images/`, `labels/`); returns the folder."""
    folder = Path(out)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "labels").mkdir(parents=True, exist_ok=True)
    for i in track(range(n), description=f"rendering {n} foreign scenes"):
        scene = render_foreign(scene_seed(seed, i), dense=dense)
        scene.image.save(folder / "images" / f"{i:06d}.jpg", quality=95)
        lines = yolo_lines(scene.boxes, scene.classes, scene.image.size)
        (folder / "labels" / f"{i:06d}.txt").write_text("".join(f"{ln}\n" for ln in lines))
    return folder
