"""Training crops: images brought to inference scale, then random scale, crop, flip, colour.

Torch-free (numpy + Pillow). Every random choice comes from the `rng` passed in, so a
sample is a pure function of (image, labels, rng seed): training resumes exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.detector.data import Sample

INFERENCE_SIZE = (1280, 960)
"""The runtime's (width, height) for landscape photos (portrait: swapped)."""

PAD_VALUE = 114
# Share of a box that must stay inside a crop to keep it, per class; the synthetic
# generator drops boxes by the same rule at the photo border.
MIN_VISIBLE = np.array([0.45, 0.5, 0.25, 0.3], np.float32)


@dataclass(frozen=True)
class Crop:
    """An augmented training image.

    Attributes:
        image: uint8 RGB array of shape (H, W, 3).
        boxes: xyxy px float32 of shape (N, 4).
        classes: int64 of shape (N,).
    """

    image: NDArray[np.uint8]
    boxes: NDArray[np.float32]
    classes: NDArray[np.int64]


def inference_scale(width: int, height: int) -> float:
    """Scale the runtime applies to a `width` x `height` photo (fit into the input)."""
    long_side, short_side = INFERENCE_SIZE
    if height > width:
        return min(short_side / width, long_side / height)
    return min(long_side / width, short_side / height)


def _open(sample: Sample) -> tuple[Image.Image, float]:
    """The image, decoded near inference scale, and its scale from the original pixels."""
    file = Image.open(sample.image)
    full_w, full_h = file.size
    scale = inference_scale(full_w, full_h)
    if scale < 0.5:  # big photos: JPEG draft decode at 1/2..1/8 first
        file.draft("RGB", (int(full_w * scale * 2), int(full_h * scale * 2)))
    image = file.convert("RGB")
    return image, scale * full_w / image.size[0]


def random_crop(
    sample: Sample,
    rng: np.random.Generator,
    size: int = 512,
    scale_range: tuple[float, float] = (0.6, 1.5),
    flip_p: float = 0.5,
) -> Crop:
    """A `size` x `size` crop of `sample` at a random scale around inference scale."""
    image, scale = _open(sample)
    scale *= float(np.exp(rng.uniform(np.log(scale_range[0]), np.log(scale_range[1]))))
    w, h = image.size
    span = size / scale  # crop side in source pixels
    x0 = rng.uniform(min(0.0, w - span), max(0.0, w - span))
    y0 = rng.uniform(min(0.0, h - span), max(0.0, h - span))
    crop = image.transform(
        (size, size),
        Image.Transform.EXTENT,
        (x0, y0, x0 + span, y0 + span),
        Image.Resampling.BILINEAR,
        fillcolor=(PAD_VALUE,) * 3,
    )
    boxes = sample.boxes * np.array([w, h, w, h], np.float32)
    boxes = (boxes - np.array([x0, y0, x0, y0], np.float32)) * np.float32(scale)
    clipped = np.clip(boxes, 0, size)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], 1)
    kept_area = np.prod(np.clip(clipped[:, 2:] - clipped[:, :2], 0, None), 1)
    min_visible = MIN_VISIBLE[np.clip(sample.classes, 0, len(MIN_VISIBLE) - 1)]
    side = np.min(clipped[:, 2:] - clipped[:, :2], 1)
    keep = (kept_area >= min_visible * np.maximum(area, 1e-6)) & (side >= 2)
    pixels = np.asarray(crop, np.uint8)
    boxes, classes = clipped[keep], sample.classes[keep]
    if rng.random() < flip_p:
        pixels = pixels[:, ::-1]
        boxes = np.stack([size - boxes[:, 2], boxes[:, 1], size - boxes[:, 0], boxes[:, 3]], 1)
    pixels = colour_jitter(pixels, rng)
    return Crop(np.ascontiguousarray(pixels), boxes.astype(np.float32), classes)


def colour_jitter(pixels: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """Random brightness, contrast, saturation, per-channel gain, sometimes grey."""
    x = pixels.astype(np.float32)
    grey = x @ np.array([0.299, 0.587, 0.114], np.float32)
    if rng.random() < 0.05:
        x = np.repeat(grey[..., None], 3, 2)
    else:
        saturation = rng.uniform(0.6, 1.4)
        x = grey[..., None] + (x - grey[..., None]) * saturation
    contrast = rng.uniform(0.7, 1.3)
    mean = float(grey.mean())
    gain = rng.uniform(0.9, 1.1, 3).astype(np.float32) * rng.uniform(0.7, 1.3)
    x = (x - mean) * contrast + mean
    x = x * gain
    return np.clip(x, 0, 255).astype(np.uint8)
