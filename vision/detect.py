"""Detection with an ONNX detector: letterbox, run, decode the YOLOv8 layout, NMS.

The model's output is `[1, 4 + classes, N]`: per candidate `cx, cy, w, h` in input pixels,
then one sigmoid score per class (our exported detector and Ultralytics YOLOv8 exports
share it). Boxes come back in the original photo's pixels (after EXIF orientation).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from vision.session import DEFAULT_DETECTOR, ModelSession, load_session
from vision.types import CLASSES, Detections

DEFAULT_INPUT_SIZE = (1280, 960)
"""(width, height) for landscape photos when the model accepts any size (portrait: swapped)."""

PAD_VALUE = 114
_EXIF_SWAPS_AXES = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class Letterbox:
    """How a photo was fitted into the model input.

    Attributes:
        batch: float32 (1, 3, H, W) in [0, 1].
        scale: Input pixels per original pixel.
        pad: (x, y) offset of the photo in the input, input pixels.
        original: (width, height) of the original photo.
    """

    batch: NDArray[np.float32]
    scale: float
    pad: tuple[int, int]
    original: tuple[int, int]


def input_size_for(
    image_wh: tuple[int, int], fixed_hw: tuple[int, int] | None, landscape: tuple[int, int]
) -> tuple[int, int]:
    """(width, height) to feed: the model's fixed size, or `landscape` turned with the photo."""
    if fixed_hw is not None:
        return fixed_hw[1], fixed_hw[0]
    w, h = landscape
    return (min(w, h), max(w, h)) if image_wh[1] > image_wh[0] else (max(w, h), min(w, h))


def open_image(data: bytes | str | Path | Image.Image, target: tuple[int, int]) -> Image.Image:
    """Decode an RGB photo, EXIF-oriented, JPEGs draft-decoded to no less than `target`.

    Draft decoding (DCT scaling by 1/2..1/8) keeps every side at least as large as the
    larger side of `target`, so the letterbox still downsamples.

    Raises:
        PIL.UnidentifiedImageError: Where the bytes are not an image.
    """
    if isinstance(data, Image.Image):
        return ImageOps.exif_transpose(data).convert("RGB")
    image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    side = max(target)
    image.draft("RGB", (side, side))
    return ImageOps.exif_transpose(image).convert("RGB")


def original_size(data: bytes | str | Path | Image.Image) -> tuple[int, int]:
    """(width, height) of the photo after EXIF orientation, from its header only."""
    image = (
        data
        if isinstance(data, Image.Image)
        else Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    )
    w, h = image.size
    if image.getexif().get(0x0112) in _EXIF_SWAPS_AXES:
        return h, w
    return w, h


def letterbox(
    image: Image.Image, size: tuple[int, int], original: tuple[int, int] | None = None
) -> Letterbox:
    """Fit `image` into `size` (width, height) keeping its aspect, pad with grey 114.

    Args:
        image: The decoded photo (possibly draft-reduced).
        size: Model input (width, height).
        original: The photo's full (width, height) when `image` is a reduced decode.
    """
    original = original or image.size
    w, h = image.size
    fit = min(size[0] / w, size[1] / h)
    new_w, new_h = max(1, round(w * fit)), max(1, round(h * fit))
    resized = image.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=3.0)
    pad = ((size[0] - new_w) // 2, (size[1] - new_h) // 2)
    canvas = np.full((size[1], size[0], 3), PAD_VALUE, np.uint8)
    canvas[pad[1] : pad[1] + new_h, pad[0] : pad[0] + new_w] = np.asarray(resized)
    batch = (canvas.transpose(2, 0, 1)[None].astype(np.float32)) / np.float32(255.0)
    return Letterbox(batch, new_w / original[0], pad, original)


def decode(
    output: NDArray[np.float32], conf: float
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.int64]]:
    """Decode a YOLOv8-layout output.

    Args:
        output: (4 + C, N) or (1, 4 + C, N): cx, cy, w, h, then C class scores.
        conf: Minimum class score kept.

    Returns:
        xyxy (M, 4) in input pixels, score (M,), class id (M,), for the M candidates whose
        best class scores at least `conf` (one class per candidate: its best).
    """
    if output.ndim == 3:
        output = output[0]
    if output.ndim != 2 or output.shape[0] < 5:
        raise ValueError(f"expected a (4 + classes, N) output, got shape {output.shape}")
    scores = output[4:]
    class_id = scores.argmax(0)
    score = np.take_along_axis(scores, class_id[None], 0)[0]
    keep = score >= conf
    cx, cy, w, h = output[:4, keep]
    xyxy = np.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), 1).astype(np.float32)
    return xyxy, score[keep].astype(np.float32), class_id[keep].astype(np.int64)


def box_iou_matrix(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    """Pairwise IoU of xyxy boxes (N, 4) and (M, 4) -> (N, M)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), 2)
    area_a = np.prod(a[:, 2:] - a[:, :2], 1)
    area_b = np.prod(b[:, 2:] - b[:, :2], 1)
    union = area_a[:, None] + area_b[None] - inter
    iou: NDArray[np.float32] = (inter / np.maximum(union, 1e-9)).astype(np.float32)
    return iou


def _greedy_block(suppresses: NDArray[np.bool_], alive: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Greedy NMS inside one score-sorted block.

    `suppresses[i, j]` (i < j) says box i would drop box j. Box j is kept when alive and
    no kept earlier box suppresses it; that triangular system has one solution, reached
    by iterating from `alive` (after t rounds the first t boxes are final; overlap chains
    are short, so a few rounds suffice).
    """
    keep = alive
    while True:
        new = alive & ~(suppresses & keep[:, None]).any(0)
        if np.array_equal(new, keep):
            return keep
        keep = new


def nms(
    xyxy: NDArray[np.float32],
    score: NDArray[np.float32],
    class_id: NDArray[np.int64],
    iou: float = 0.6,
    block: int = 512,
) -> NDArray[np.int64]:
    """Class-aware greedy non-maximum suppression, no cap on the number kept.

    Boxes of different classes never suppress each other (each class is shifted to its
    own region of the plane). Boxes are taken in score order, `block` at a time: a block
    first loses the boxes that overlap an already kept box by more than `iou`, then is
    resolved greedily within itself, all with matrix operations.

    Args:
        xyxy: (N, 4) boxes.
        score: (N,) scores.
        class_id: (N,) class ids.
        iou: Overlap above which the lower-scored box of a pair is dropped.
        block: Boxes per block (memory is block x kept).

    Returns:
        Indices of kept boxes (K,), best score first.
    """
    if len(xyxy) == 0:
        return np.zeros(0, np.int64)
    span = float(np.max(xyxy) - min(float(np.min(xyxy)), 0.0)) + 1.0
    order = np.argsort(-score, kind="stable")
    boxes = (xyxy + (class_id.astype(np.float32) * span)[:, None])[order]
    kept: list[NDArray[np.int64]] = []
    kept_boxes = np.zeros((0, 4), np.float32)
    for start in range(0, len(boxes), block):
        chunk = boxes[start : start + block]
        alive = np.ones(len(chunk), np.bool_)
        if len(kept_boxes):
            alive = box_iou_matrix(chunk, kept_boxes).max(1) <= iou
        suppresses = np.triu(box_iou_matrix(chunk, chunk) > iou, 1)
        keep = _greedy_block(suppresses, alive)
        kept.append(order[start : start + block][keep])
        kept_boxes = np.concatenate([kept_boxes, chunk[keep]])
    return np.concatenate(kept).astype(np.int64)


class Detector:
    """A detector session and its settings; build once per process, call per photo.

    Args:
        path: ONNX model in the YOLOv8 output layout.
        threads: onnxruntime intra-op threads.
        input_size: (width, height) for landscape photos where the model takes any input
            size; default: the model's sidecar `input_size`, else 1280x960.
        classes: Class names of the model's outputs; default: sidecar or model metadata,
            else `vision.types.CLASSES`.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_DETECTOR,
        *,
        threads: int = 2,
        input_size: tuple[int, int] | None = None,
        classes: tuple[str, ...] | None = None,
    ) -> None:
        self.model: ModelSession = load_session(path, threads=threads)
        meta = self.model.metadata
        size = input_size or meta.get("input_size") or DEFAULT_INPUT_SIZE
        self.input_size: tuple[int, int] = (int(size[0]), int(size[1]))
        self.classes: tuple[str, ...] = tuple(classes or meta.get("classes") or CLASSES)

    def __call__(
        self,
        image: bytes | str | Path | Image.Image,
        *,
        conf: float = 0.25,
        iou: float = 0.6,
    ) -> Detections:
        """Detect in one photo; boxes in the photo's pixels after EXIF orientation.

        Args:
            image: Encoded bytes, a path, or a decoded image.
            conf: Minimum score.
            iou: NMS overlap threshold (per class).
        """
        full = original_size(image)
        size = input_size_for(full, self.model.input_hw, self.input_size)
        decoded = open_image(image, size)
        boxed = letterbox(decoded, size, full)
        (output,) = self.model.run(boxed.batch)[:1]
        xyxy, score, class_id = decode(np.asarray(output, np.float32), conf)
        if len(xyxy) == 0:
            return Detections.empty()
        keep = nms(xyxy, score, class_id, iou)
        pad = np.array(boxed.pad * 2, np.float32)
        boxes = (xyxy[keep] - pad) / np.float32(boxed.scale)
        limit = np.array(full * 2, np.float32)
        boxes = np.clip(boxes, 0, limit).astype(np.float32)
        return Detections(boxes, class_id[keep], score[keep])
