"""Detection with an ONNX detector: letterbox, run, decode the YOLOv8 layout, NMS.

The model's output is `[1, 4 + classes, N]`: per candidate `cx, cy, w, h` in input pixels,
then one sigmoid score per class (our exported detector and Ultralytics YOLOv8 exports
share it). Boxes come back in the original photo's pixels (after EXIF orientation).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from vision.session import DEFAULT_DETECTOR, ModelSession, load_session
from vision.types import CLASSES, Detections

DEFAULT_INPUT_SIZE = (1280, 960)
"""(width, height) for landscape photos when the model accepts any size (portrait: swapped)."""
STRIDE = 32
"""The largest stride of a YOLOv8-style network: any input side must be a multiple of it."""

PAD_VALUE = 114
_PAD = np.float32(PAD_VALUE) / np.float32(255.0)
_EXIF_SWAPS_AXES = frozenset({5, 6, 7, 8})
_EXIF_TURNS = frozenset({2, 3, 4, 5, 6, 7, 8})


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


def upright(image: Image.Image) -> Image.Image:
    """`image` in RGB with its EXIF orientation applied; the image itself where that
    changes nothing (no copy of an already decoded photo)."""
    if image.getexif().get(0x0112, 1) in _EXIF_TURNS:
        image = ImageOps.exif_transpose(image)
    return image if image.mode == "RGB" else image.convert("RGB")


def open_image(data: bytes | str | Path | Image.Image, target: tuple[int, int]) -> Image.Image:
    """Decode an RGB photo, EXIF-oriented, JPEGs draft-decoded to no less than `target`.

    Draft decoding (DCT scaling by 1/2..1/8) keeps every side at least as large as the
    larger side of `target`, so the letterbox still downsamples. A decoded image comes
    back as it is where it is already upright RGB.

    Raises:
        PIL.UnidentifiedImageError: Where the bytes are not an image.
    """
    if isinstance(data, Image.Image):
        return upright(data)
    image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    side = max(target)
    image.draft("RGB", (side, side))
    return upright(image)


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


def fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` resized (bilinear) to fit in `size` (width, height) keeping its aspect, as
    `letterbox` places it; the image itself where it already fits exactly."""
    w, h = image.size
    k = min(size[0] / w, size[1] / h)
    new_size = (max(1, round(w * k)), max(1, round(h * k)))
    if new_size == (w, h):
        return image
    return image.resize(new_size, Image.Resampling.BILINEAR, reducing_gap=3.0)


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
    resized = fit(image, size)
    new_w, new_h = resized.size
    pad = ((size[0] - new_w) // 2, (size[1] - new_h) // 2)
    batch = np.full((1, 3, size[1], size[0]), _PAD, np.float32)
    # channels split while still uint8, then one contiguous (SIMD) division straight into
    # the batch: no uint8 canvas, no float copy of the whole input
    planes = np.ascontiguousarray(np.asarray(resized).transpose(2, 0, 1))
    photo = batch[0, :, pad[1] : pad[1] + new_h, pad[0] : pad[0] + new_w]
    np.divide(planes, np.float32(255.0), out=photo)
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


def _pair_iou(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    """IoU of xyxy boxes (P, 4) and (P, 4), row by row -> (P,); the arithmetic of
    `box_iou_matrix`, so both give the same float32 values."""
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = w * h
    areas = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    iou: NDArray[np.float32] = inter / np.maximum(areas - inter, 1e-9)
    return iou


def _overlapping(
    boxes: NDArray[np.float32], iou: float, chunk: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Pairs (i, j) of boxes overlapping by more than `iou`, from a sweep along x.

    Sorted by left edge, box i can only overlap the boxes after it that start before its
    right edge; only those pairs are measured, `chunk` pairs at a time (memory).
    """
    by_x = np.argsort(boxes[:, 0], kind="stable")
    b = boxes[by_x]
    n = len(b)
    ends = np.searchsorted(b[:, 0], b[:, 2], side="left")
    counts = np.maximum(ends - np.arange(1, n + 1), 0)
    rows_per_chunk = max(1, chunk // max(int(counts.max()), 1))
    first: list[NDArray[np.intp]] = []
    second: list[NDArray[np.intp]] = []
    for start in range(0, n, rows_per_chunk):
        rows = np.arange(start, min(start + rows_per_chunk, n))
        src = np.repeat(rows, counts[rows])
        offset = np.cumsum(counts[rows]) - counts[rows]  # each row's first pair
        dst = src + 1 + np.arange(len(src)) - np.repeat(offset, counts[rows])
        hit = _pair_iou(b[src], b[dst]) > iou
        first.append(by_x[src[hit]])
        second.append(by_x[dst[hit]])
    return np.concatenate(first), np.concatenate(second)


def nms(
    xyxy: NDArray[np.float32],
    score: NDArray[np.float32],
    class_id: NDArray[np.int64],
    iou: float = 0.6,
    chunk: int = 1 << 20,
) -> NDArray[np.int64]:
    """Class-aware greedy non-maximum suppression, no cap on the number kept.

    Boxes of different classes never suppress each other (each class is shifted to its
    own region of the plane). Only pairs that overlap along x are measured (a sweep over
    boxes sorted by left edge), so a dense shelf costs about the boxes times their
    neighbours, not the square of the boxes. Then, best score first, a box still alive
    drops the boxes it overlaps by more than `iou`: the same result as greedy NMS one
    box at a time.

    Args:
        xyxy: (N, 4) boxes.
        score: (N,) scores.
        class_id: (N,) class ids.
        iou: Overlap above which the lower-scored box of a pair is dropped.
        chunk: Box pairs measured at once (memory).

    Returns:
        Indices of kept boxes (K,), best score first.
    """
    if len(xyxy) == 0:
        return np.zeros(0, np.int64)
    span = float(np.max(xyxy) - min(float(np.min(xyxy)), 0.0)) + 1.0
    order = np.argsort(-score, kind="stable")
    rank = np.empty(len(order), np.intp)
    rank[order] = np.arange(len(order))
    boxes = xyxy + (class_id.astype(np.float32) * span)[:, None]
    i, j = _overlapping(boxes, iou, chunk)
    winner, loser = np.minimum(rank[i], rank[j]), np.maximum(rank[i], rank[j])
    by_winner = np.argsort(winner, kind="stable")
    winner, loser = winner[by_winner], loser[by_winner]
    heads, starts = np.unique(winner, return_index=True)
    stops = np.r_[starts[1:], len(winner)][: len(starts)]
    dropped = np.zeros(len(order), np.bool_)
    for head, a, b in zip(heads.tolist(), starts.tolist(), stops.tolist(), strict=True):
        if not dropped[head]:  # only a kept box suppresses
            dropped[loser[a:b]] = True
    return order[~dropped].astype(np.int64)


class Detector:
    """A detector session and its settings; build once per process, call per photo.

    Args:
        path: ONNX model in the YOLOv8 output layout.
        threads: onnxruntime intra-op threads.
        input_size: (width, height) for landscape photos where the model takes any input
            size, each rounded to a multiple of the largest stride (32) the network's
            feature maps must divide; default: the model's sidecar `input_size`, else
            1280x960.
        classes: Class names of the model's outputs; default: sidecar or model metadata,
            else `vision.types.CLASSES`.
        overview: `{"scale": s, "classes": [...]}`: those classes are taken from a second
            pass over the photo at `s` times the input size instead of the full-size pass
            (large objects, displays and POSM, are learnt from training crops that show
            them whole, so at a smaller scale); default: the sidecar's `overview`, none
            for a model with a fixed input size. `{}` turns it off.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_DETECTOR,
        *,
        threads: int = 2,
        input_size: tuple[int, int] | None = None,
        classes: tuple[str, ...] | None = None,
        overview: dict[str, Any] | None = None,
    ) -> None:
        self.model: ModelSession = load_session(path, threads=threads)
        meta = self.model.metadata
        size = input_size or meta.get("input_size") or DEFAULT_INPUT_SIZE
        w, h = (max(STRIDE, round(int(side) / STRIDE) * STRIDE) for side in size)
        self.input_size: tuple[int, int] = (w, h)
        self.classes: tuple[str, ...] = tuple(classes or meta.get("classes") or CLASSES)
        wide = (meta.get("overview") or {}) if overview is None else overview
        names = set(wide.get("classes", ())) if self.model.input_hw is None else set()
        self.overview_scale = float(wide.get("scale", 1.0))
        self.overview_ids = np.array(
            [i for i, name in enumerate(self.classes) if name in names], np.int64
        )

    def shrunk(self, image: Image.Image) -> Image.Image:
        """An upright RGB `image` resized down as the model's input will hold it, or the
        image itself where it is not larger. Detecting in the copy gives the same boxes,
        in its own pixels, without resampling the photo a second time."""
        size = input_size_for(image.size, self.model.input_hw, self.input_size)
        if image.width <= size[0] and image.height <= size[1]:
            return image
        return fit(image, size)

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
        size, *overview = self.input_sizes(full)
        shrunk = self.shrunk(open_image(image, size))
        found = self._pass(shrunk, size, full, conf, iou)
        if not overview:
            return found
        wide = self._pass(fit(shrunk, overview[0]), overview[0], full, conf, iou)
        mine = np.isin(found.class_id, self.overview_ids)
        theirs = np.isin(wide.class_id, self.overview_ids)
        return Detections(
            np.concatenate([found.xyxy[~mine], wide.xyxy[theirs]]),
            np.concatenate([found.class_id[~mine], wide.class_id[theirs]]),
            np.concatenate([found.score[~mine], wide.score[theirs]]),
        )

    def input_sizes(self, full: tuple[int, int]) -> list[tuple[int, int]]:
        """The (width, height) of each pass over a photo of size `full`: the input, then
        the overview's where there is one."""
        size = input_size_for(full, self.model.input_hw, self.input_size)
        if not len(self.overview_ids):
            return [size]
        w, h = (max(STRIDE, round(side * self.overview_scale / STRIDE) * STRIDE) for side in size)
        return [size, (w, h)]

    def batches(self, image: bytes | str | Path | Image.Image) -> list[NDArray[np.float32]]:
        """The input tensor of each pass over `image`: what a bare inference runs."""
        full = original_size(image)
        sizes = self.input_sizes(full)
        shrunk = self.shrunk(open_image(image, sizes[0]))
        return [letterbox(fit(shrunk, size), size, full).batch for size in sizes]

    def infer(self, batches: list[NDArray[np.float32]]) -> None:
        """Run the session on each of `batches` and nothing else: the bare inference the
        benchmarks compare the whole analysis with."""
        for batch in batches:
            self.model.run(batch)

    def _pass(
        self,
        image: Image.Image,
        size: tuple[int, int],
        full: tuple[int, int],
        conf: float,
        iou: float,
    ) -> Detections:
        """One inference of `image` letterboxed into `size`; boxes in `full` pixels."""
        boxed = letterbox(image, size, full)
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
