"""Pack images: a SKU's label on a box, bottle, can, pouch or jar silhouette, shaded.

`pack_image` renders one RGBA front per SKU at a fixed resolution and caches it, so a
scene only resizes and pastes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from vision.synth.design import label_design
from vision.synth.palette import RGB, mix, shade

if TYPE_CHECKING:
    from vision.synth.catalogue import Sku

PACK_LONG_SIDE = 256
Label = tuple[int, int, int, int]
ShapeFn = Callable[["Sku", int, int, np.random.Generator], tuple[Image.Image, Label]]


def pack_size(sku: Sku, long_side: int) -> tuple[int, int]:
    """(width, height) in px of `sku`'s front with its longer side `long_side` px."""
    k = long_side / max(sku.width_cm, sku.height_cm)
    return max(round(sku.width_cm * k), 4), max(round(sku.height_cm * k), 4)


def _box(sku: Sku, w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, Label]:
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    ImageDraw.Draw(img).rounded_rectangle(
        (0, 0, w - 1, h - 1), radius=max(w // 60, 1), fill=(0, 0, 0, 255)
    )
    return img, (0, 0, w, h)


def _can(sku: Sku, w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, Label]:
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    rim = max(int(h * 0.06), 2)
    metal = (int(rng.integers(170, 225)),) * 3
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(w // 10, 2), fill=(*metal, 255))
    draw.line(
        (w * 0.05, rim * 0.5, w * 0.95, rim * 0.5),
        fill=(*shade(metal, 0.7), 255),
        width=max(rim // 3, 1),
    )
    return img, (0, rim, w, h - max(rim // 2, 1))


def _bottle_outline(w: int, h: int, neck: float, shoulder: float) -> list[tuple[float, float]]:
    t = np.linspace(0.0, 1.0, 10)
    ys = h * (0.1 + (shoulder - 0.1) * t)
    half = w / 2 * (neck + (1 - neck) * (0.5 - 0.5 * np.cos(np.pi * t)))
    left = [(w / 2 - x, y) for x, y in zip(half, ys, strict=True)]
    right = [(w / 2 + x, y) for x, y in zip(half[::-1], ys[::-1], strict=True)]
    return [
        (w / 2 - w * neck / 2, h * 0.06),
        *left,
        (0.0, h * 0.97),
        (w * 0.08, h),
        (w * 0.92, h),
        (float(w), h * 0.97),
        *right,
        (w / 2 + w * neck / 2, h * 0.06),
    ]


def _liquid(sku: Sku) -> RGB:
    if sku.category == "beverages":
        return mix(sku.flavour_colour, (225, 232, 238), 0.35)
    return sku.brand.style.secondary if sku.seed % 3 == 0 else (236, 236, 232)


def _bottle(sku: Sku, w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, Label]:
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    neck, shoulder = rng.uniform(0.3, 0.45), rng.uniform(0.22, 0.38)
    draw.polygon(_bottle_outline(w, h, neck, shoulder), fill=(*_liquid(sku), 255))
    cap = sku.brand.style.accent if sku.seed % 2 else sku.brand.style.secondary
    draw.rounded_rectangle(
        (w / 2 - w * neck * 0.55, 0, w / 2 + w * neck * 0.55, h * 0.08),
        radius=max(w // 20, 1),
        fill=(*cap, 255),
    )
    top = int(h * (shoulder + rng.uniform(0.03, 0.1)))
    return img, (0, top, w, int(h * rng.uniform(0.8, 0.93)))


def _pouch(sku: Sku, w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, Label]:
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    teeth = np.arange(0, w + 1, max(w / 24, 2))
    top = [(float(x), (h * 0.012) * (i % 2)) for i, x in enumerate(teeth)]
    pinch = w * rng.uniform(0.0, 0.04)
    outline = [
        *top,
        (w - pinch, h * 0.5),
        (float(w), h * 0.94),
        (w * 0.94, float(h)),
        (w * 0.06, float(h)),
        (0.0, h * 0.94),
        (pinch, h * 0.5),
    ]
    ImageDraw.Draw(img).polygon(outline, fill=(0, 0, 0, 255))
    return img, (0, 0, w, h)


def _jar(sku: Sku, w: int, h: int, rng: np.random.Generator) -> tuple[Image.Image, Label]:
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    lid = int(h * rng.uniform(0.12, 0.2))
    draw.rounded_rectangle(
        (0, lid - 2, w - 1, h - 1), radius=max(w // 8, 2), fill=(*_liquid(sku), 255)
    )
    cap = sku.brand.style.secondary if sku.seed % 2 else (200, 170, 90)
    draw.rounded_rectangle((w * 0.05, 0, w * 0.95, lid), radius=max(w // 30, 1), fill=(*cap, 255))
    for x in np.linspace(w * 0.1, w * 0.9, 12):
        draw.line((x, lid * 0.15, x, lid * 0.85), fill=(*shade(cap, 0.8), 255))
    return img, (0, int(lid + h * 0.08), w, int(h * 0.9))


SHAPES: dict[str, ShapeFn] = {
    "box": _box,
    "can": _can,
    "bottle": _bottle,
    "pouch": _pouch,
    "jar": _jar,
}


def _profile(shape: str, w: int, rng: np.random.Generator) -> tuple[NDArray[np.float32], ...]:
    """Horizontal light gain and specular add per column, shape (w,) each."""
    u = np.linspace(-0.98, 0.98, w, dtype=np.float32)
    normal = np.sqrt(1.0 - u * u)
    if shape == "box":
        return np.linspace(1.03, 0.93, w, dtype=np.float32), np.zeros(w, np.float32)
    if shape == "pouch":
        return (0.72 + 0.3 * normal**0.4).astype(np.float32), np.zeros(w, np.float32)
    spot = rng.uniform(-0.55, -0.3)
    spec = 70.0 * np.exp(-(((u - spot) / 0.09) ** 2))
    return (0.38 + 0.65 * normal**0.7).astype(np.float32), spec.astype(np.float32)


def _shade(img: Image.Image, shape: str, rng: np.random.Generator) -> Image.Image:
    arr = np.asarray(img).astype(np.float32)
    gain, spec = _profile(shape, img.width, rng)
    arr[..., :3] = arr[..., :3] * gain[None, :, None] + spec[None, :, None]
    if shape == "box":
        top = max(int(img.height * rng.uniform(0.0, 0.05)), 0)
        arr[:top, :, :3] = arr[:top, :, :3] * 0.6 + 100
    arr[arr[..., 3] == 0, :3] = 255
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGBA")


@lru_cache(maxsize=2048)  # ~150 kB each: a few hundred MB at most
def pack_image(sku: Sku, long_side: int = PACK_LONG_SIDE) -> Image.Image:
    """The front of `sku` as RGBA, longer side `long_side` px; transparent outside the pack.

    Returns:
        RGBA image of shape (H, W); transparent pixels are white so RGB conversion is clean.
    """
    w, h = pack_size(sku, long_side)
    rng = np.random.default_rng(sku.seed)
    body, (x0, y0, x1, y1) = SHAPES[sku.shape](sku, w, h, rng)
    label = label_design(sku, x1 - x0, y1 - y0, rng).convert("RGBA")
    label.putalpha(body.getchannel("A").crop((x0, y0, x1, y1)))
    body.alpha_composite(label, (x0, y0))
    return _shade(body, sku.shape, rng)


def render_pack(sku: Sku, height: int) -> Image.Image:
    """The front of `sku` as RGBA, `height` px tall (width from its cm proportions)."""
    base = pack_image(sku)
    width = max(round(base.width * height / base.height), 1)
    return base.resize((width, max(height, 1)), Image.Resampling.BILINEAR)


def reference_view(
    sku: Sku, height: int, rng: np.random.Generator, *, clean: bool = True
) -> Image.Image:
    """A catalogue reference image of `sku`: the clean front, or a mildly varied view.

    Varied views change brightness, contrast and sharpness a little and tilt up to 4 degrees.
    """
    img = render_pack(sku, height)
    if clean:
        return img
    rgb = img.convert("RGB")
    rgb = ImageEnhance.Brightness(rgb).enhance(rng.uniform(0.8, 1.15))
    rgb = ImageEnhance.Contrast(rgb).enhance(rng.uniform(0.8, 1.2))
    rgb = rgb.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 1.2)))
    rgb.putalpha(img.getchannel("A"))
    return rgb.rotate(
        rng.uniform(-4, 4), Image.Resampling.BILINEAR, expand=True, fillcolor=(255, 255, 255, 0)
    )
