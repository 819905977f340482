"""Product crops at the embedder's input size, and the cached training set made of them.

The embedder sees every pack, on a shelf or in the catalogue, resized to `WIDTH` x
`HEIGHT` pixels regardless of its aspect (as the colour descriptor does). A shelf crop
of a product 30-60 px wide loses little at 32 px, every pixel of the input holds pack,
and the reference images go through the same resize, so a pack's layout lands on the
same cells whatever its shape. The aspect itself, the only thing a fixed resize drops,
is a cue cheaper to compare outside the network (`aspect_log`).

The training set (`write_shard`) holds the crops with a margin (`MARGIN` of the box on
each side, `STORE_W` x `STORE_H`), so training can jitter the box (a detector's box is
never exact) without cutting a second time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

WIDTH, HEIGHT = 32, 64
"""Embedder input, px (width, height)."""
MARGIN = 0.125
"""Stored crops keep this fraction of the box's width (height) on each side."""
STORE_W, STORE_H = round(WIDTH * (1 + 2 * MARGIN)), round(HEIGHT * (1 + 2 * MARGIN))
GREY = (128, 128, 128)


def crop_boxes(
    image: Image.Image,
    xyxy: NDArray[np.floating],
    size: tuple[int, int] = (WIDTH, HEIGHT),
    margin: float = 0.0,
) -> NDArray[np.uint8]:
    """Cut each box (grown by `margin` of its size per side) out of `image`, resized to `size`.

    Outside the image is mid grey; a box with nothing inside gives a grey crop.

    Args:
        image: An RGB image.
        xyxy: Boxes (N, 4) in the image's pixels.
        size: Output (width, height).
        margin: Fraction of the box's width and height added on each side.

    Returns:
        uint8 of shape (N, height, width, 3).
    """
    w, h = size
    out = np.full((len(xyxy), h, w, 3), 128, np.uint8)
    if len(xyxy) == 0:
        return out
    boxes = np.asarray(xyxy, np.float64)
    grow = (boxes[:, 2:] - boxes[:, :2]) * margin
    boxes = np.concatenate([boxes[:, :2] - grow, boxes[:, 2:] + grow], 1)
    iw, ih = image.size
    clipped = np.clip(boxes, 0, [iw, ih, iw, ih])
    for i, (box, (x0, y0, x1, y1)) in enumerate(zip(boxes, clipped, strict=True)):
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        sx, sy = w / (box[2] - box[0]), h / (box[3] - box[1])
        # the part inside the image, placed where it falls in the grown box
        a, b = round((x0 - box[0]) * sx), round((y0 - box[1]) * sy)
        c, d = round((x1 - box[0]) * sx), round((y1 - box[1]) * sy)
        if c - a < 1 or d - b < 1:
            continue
        part = image.resize(
            (c - a, d - b), Image.Resampling.BILINEAR, box=(x0, y0, x1, y1), reducing_gap=2.0
        )
        out[i, b:d, a:c] = np.asarray(part)
    return out


def on_grey(pack: Image.Image) -> Image.Image:
    """An RGB(A) pack image with its transparent surroundings made mid grey."""
    if pack.mode in ("RGBA", "LA", "PA") or "transparency" in pack.info:
        base = Image.new("RGBA", pack.size, (*GREY, 255))
        base.alpha_composite(pack.convert("RGBA"))
        return base.convert("RGB")
    return pack.convert("RGB")


def image_crops(
    images: list[Image.Image], size: tuple[int, int] = (WIDTH, HEIGHT), margin: float = 0.0
) -> NDArray[np.uint8]:
    """Whole images (transparency to grey) resized to `size`, with a grey `margin`."""
    w, h = size
    out = np.full((len(images), h, w, 3), 128, np.uint8)
    for i, im in enumerate(images):
        rgb = on_grey(im)
        out[i] = crop_boxes(rgb, np.array([[0, 0, rgb.width, rgb.height]]), size, margin)[0]
    return out


def aspect_log(xyxy: NDArray[np.floating]) -> NDArray[np.float32]:
    """log(height / width) of boxes (N, 4): the cue a fixed-size input drops."""
    b = np.asarray(xyxy, np.float64)
    wh = np.maximum(b[:, 2:] - b[:, :2], 1e-3)
    return np.log(wh[:, 1] / wh[:, 0]).astype(np.float32)


def load_shards(folder: str | Path) -> dict[str, NDArray[np.generic]]:
    """All `*.npz` shards of a training-set folder, concatenated (see `vision.embed.make_data`)."""
    files = sorted(Path(folder).glob("*.npz"))
    if not files:
        raise FileNotFoundError(f"no shards in {folder}")
    parts: dict[str, list[NDArray[np.generic]]] = {}
    for f in files:
        with np.load(f) as z:
            for k in z.files:
                parts.setdefault(k, []).append(z[k])
    return {k: np.concatenate(v) for k, v in parts.items()}
