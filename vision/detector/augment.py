"""Training crops: images brought to inference scale, then random scale, roll, crop, flip,
colour, and the camera's faults (glare, lens and motion blur, sensor noise, JPEG).

Torch-free (numpy + Pillow). Every random choice comes from the `rng` passed in, so a
sample is a pure function of (image, labels, rng seed): training resumes exactly.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from vision.detector.data import Sample

INFERENCE_SIZE = (1280, 960)
"""The runtime's (width, height) for landscape photos (portrait: swapped)."""

PAD_VALUE = 114
# Share of a box that must stay inside a crop to keep it, per class; the synthetic
# generator drops boxes by the same rule at the photo border.
MIN_VISIBLE = np.array([0.45, 0.5, 0.25, 0.3], np.float32)
RARE_CLASSES = (2, 3)
"""display and posm: under one box per photo, so crops are centred on them at times."""


@dataclass(frozen=True)
class Augment:
    """How far training crops stray from the photos (probabilities and ranges).

    `Augment.plain()` only scales, crops, flips and jitters colour.
    """

    scale_range: tuple[float, float] = (0.6, 1.5)
    wide_p: float = 0.15
    """Share of crops zoomed out to see most of the photo (displays whole, small packs)."""
    wide_range: tuple[float, float] = (0.35, 0.6)
    focus_p: float = 0.35
    """Share of crops (of photos holding a display or POSM) framed around one of them."""
    roll_p: float = 0.5
    roll_degrees: float = 10.0
    flip_p: float = 0.5
    glare_p: float = 0.25
    blur_p: float = 0.3
    blur_radius: tuple[float, float] = (0.5, 2.2)
    motion_p: float = 0.2
    motion_px: tuple[int, int] = (3, 11)
    noise_p: float = 0.3
    noise_sigma: tuple[float, float] = (2.0, 9.0)
    jpeg_p: float = 0.35
    jpeg_quality: tuple[int, int] = (25, 85)
    restyle_p: float = 0.0
    """Share of crops given another look (`restyle`): colours, shading or print changed."""

    @classmethod
    def plain(cls) -> Augment:
        return cls(
            wide_p=0, focus_p=0, roll_p=0, glare_p=0, blur_p=0, motion_p=0, noise_p=0, jpeg_p=0
        )


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
    augment: Augment = Augment(),
) -> Crop:
    """A `size` x `size` view of `sample` at a random scale around inference scale."""
    image, scale = _open(sample)
    w, h = image.size
    boxes = sample.boxes * np.array([w, h, w, h], np.float32)
    wide = rng.random() < augment.wide_p
    low, high = augment.wide_range if wide else augment.scale_range
    scale *= float(np.exp(rng.uniform(np.log(low), np.log(high))))
    rare = np.flatnonzero(np.isin(sample.classes, RARE_CLASSES))
    framed = None  # index of the box the crop is framed around
    if len(rare) and rng.random() < augment.focus_p:
        framed = int(rare[rng.integers(len(rare))])
        x0, y0, x1, y1 = boxes[framed]
        scale = min(scale, 0.95 * size / float(max(x1 - x0, y1 - y0, 1.0)))
    if scale < 0.75:  # shrink with a box filter first: the runtime's resize does not alias
        image = image.reduce(max(1, int(1 / scale)))
        boxes = boxes / np.float32(w / image.size[0])
        scale *= w / image.size[0]
        w, h = image.size
    span = size / scale  # crop side in source pixels
    focus = None if framed is None else boxes[framed]
    if focus is not None:  # the crop holds the whole box
        cx = rng.uniform(focus[2] - span / 2, focus[0] + span / 2)
        cy = rng.uniform(focus[3] - span / 2, focus[1] + span / 2)
    else:
        cx = rng.uniform(min(0.0, w - span), max(0.0, w - span)) + span / 2
        cy = rng.uniform(min(0.0, h - span), max(0.0, h - span)) + span / 2
    theta = 0.0
    if rng.random() < augment.roll_p:
        theta = math.radians(rng.uniform(-augment.roll_degrees, augment.roll_degrees))
    cos, sin, half = math.cos(theta) / scale, math.sin(theta) / scale, size / 2
    crop = image.transform(
        (size, size),
        Image.Transform.AFFINE,
        (cos, -sin, cx - (cos - sin) * half, sin, cos, cy - (sin + cos) * half),
        Image.Resampling.BILINEAR,
        fillcolor=(PAD_VALUE,) * 3,
    )
    boxes = _rolled_hulls(boxes, (cx, cy), theta, scale, half)
    clipped = np.clip(boxes, 0, size)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], 1)
    kept_area = np.prod(np.clip(clipped[:, 2:] - clipped[:, :2], 0, None), 1)
    min_visible = MIN_VISIBLE[np.clip(sample.classes, 0, len(MIN_VISIBLE) - 1)]
    side = np.min(clipped[:, 2:] - clipped[:, :2], 1)
    keep = (kept_area >= min_visible * np.maximum(area, 1e-6)) & (side >= 2)
    pixels = np.asarray(crop, np.uint8)
    boxes, classes = clipped[keep], sample.classes[keep]
    if rng.random() < augment.flip_p:
        pixels = pixels[:, ::-1]
        boxes = np.stack([size - boxes[:, 2], boxes[:, 1], size - boxes[:, 0], boxes[:, 3]], 1)
    if rng.random() < augment.restyle_p:
        pixels = restyle(pixels, rng)
    pixels = camera_faults(colour_jitter(pixels, rng), rng, augment)
    return Crop(np.ascontiguousarray(pixels), boxes.astype(np.float32), classes)


def _rolled_hulls(
    boxes: NDArray[np.float32],
    centre: tuple[float, float],
    theta: float,
    scale: float,
    half: float,
) -> NDArray[np.float32]:
    """Boxes in crop pixels: each corner rotated by -theta about `centre`, scaled, hulled.

    As the generator does for a rolled camera: the box of a tilted pack is the axis-aligned
    hull of its corners.
    """
    xs = boxes[:, [0, 2, 2, 0]] - np.float32(centre[0])
    ys = boxes[:, [1, 1, 3, 3]] - np.float32(centre[1])
    cos, sin = math.cos(theta) * scale, math.sin(theta) * scale
    u = half + cos * xs + sin * ys
    v = half - sin * xs + cos * ys
    return np.stack([u.min(1), v.min(1), u.max(1), v.max(1)], 1).astype(np.float32)


def camera_faults(
    pixels: NDArray[np.uint8], rng: np.random.Generator, augment: Augment
) -> NDArray[np.uint8]:
    """Glare, lens or motion blur, sensor noise and JPEG artefacts, each by its odds."""
    x = pixels
    if rng.random() < augment.glare_p:
        h, w = x.shape[:2]
        radius = rng.uniform(0.05, 0.3) * w
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        yy, xx = np.ogrid[:h, :w]
        d2 = ((xx - cx) ** 2 + ((yy - cy) * rng.uniform(0.5, 2.0)) ** 2) / radius**2
        spot = (rng.uniform(80, 220) * np.exp(-d2)).astype(np.float32)
        x = np.clip(x + spot[..., None], 0, 255).astype(np.uint8)
    if rng.random() < augment.blur_p:
        radius = rng.uniform(*augment.blur_radius)
        x = np.asarray(Image.fromarray(x).filter(ImageFilter.GaussianBlur(radius)))
    elif rng.random() < augment.motion_p:
        x = _motion_blur(x, int(rng.integers(*augment.motion_px)), rng.uniform(0, math.pi))
    if rng.random() < augment.noise_p:
        sigma = rng.uniform(*augment.noise_sigma)
        noise = rng.standard_normal(x.shape, np.float32) * np.float32(sigma)
        x = np.clip(x + noise, 0, 255).astype(np.uint8)
    if rng.random() < augment.jpeg_p:
        buffer = io.BytesIO()
        quality = int(rng.integers(*augment.jpeg_quality))
        Image.fromarray(x).save(buffer, "JPEG", quality=quality)
        x = np.asarray(Image.open(buffer).convert("RGB"))
    return x


def _motion_blur(pixels: NDArray[np.uint8], length: int, angle: float) -> NDArray[np.uint8]:
    """The mean of `length` copies shifted along `angle` (a straight camera shake)."""
    total = np.zeros(pixels.shape, np.float32)
    for t in np.linspace(-(length - 1) / 2, (length - 1) / 2, length):
        dx, dy = round(t * math.cos(angle)), round(t * math.sin(angle))
        total += np.roll(pixels, (dy, dx), (0, 1))
    return (total / length).astype(np.uint8)


def restyle(pixels: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """One change of look that moves no edge, so every box still holds: packs in other colours
    (channels swapped, hue turned), flatter or harsher shading (posterised, equalised), a
    softer or crisper print (smoothed, over-sharpened). Domain randomisation in the manner
    of RandAugment's colour operations: shelves drawn, printed or lit unlike ours."""
    image = Image.fromarray(pixels)
    op = int(rng.integers(0, 6))
    if op == 0:
        order = [(1, 2, 0), (2, 0, 1), (0, 2, 1), (2, 1, 0), (1, 0, 2)][int(rng.integers(0, 5))]
        return np.ascontiguousarray(pixels[..., list(order)])
    if op == 1:
        h, s, v = image.convert("HSV").split()
        turn = int(rng.integers(40, 216))
        h = h.point(lambda value: (value + turn) % 256)
        return np.asarray(Image.merge("HSV", (h, s, v)).convert("RGB"))
    if op == 2:
        return np.asarray(ImageOps.posterize(image, int(rng.integers(2, 5))))
    if op == 3:
        return np.asarray(ImageOps.equalize(image))
    if op == 4:
        size = 3 if rng.random() < 0.6 else 5
        return np.asarray(image.filter(ImageFilter.ModeFilter(size)))
    return np.asarray(ImageEnhance.Sharpness(image).enhance(rng.uniform(2.0, 5.0)))


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
