"""The flat, camera-facing canvas a scene is drawn on, with its ground truth.

Besides the RGB image the canvas keeps an id buffer at half resolution: every annotated
object writes its id over its box and every occluder writes 0 over its shape, in drawing
order, so at the end the share of each box still showing its own id is its visibility.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.synth.palette import RGB

Box = tuple[float, float, float, float]
ID_SCALE = 0.5


@dataclass(frozen=True)
class Item:
    """One annotated object on the canvas (box in canvas px)."""

    box: Box
    class_id: int
    sku: str | None
    brand: str | None
    occludable: bool
    cells: int


class Canvas:
    """An RGB image of `size` = (width, height) plus the objects drawn on it."""

    def __init__(self, size: tuple[int, int], fill: RGB = (128, 128, 128)) -> None:
        self.image = Image.new("RGB", size, fill)
        self.size = size
        self.ids = np.zeros(
            (math.ceil(size[1] * ID_SCALE), math.ceil(size[0] * ID_SCALE)), np.int32
        )
        self.items: list[Item] = []

    def _cells(self, box: Box) -> tuple[slice, slice]:
        h, w = self.ids.shape
        x0, y0 = (max(math.floor(v * ID_SCALE), 0) for v in box[:2])
        x1 = min(max(math.ceil(box[2] * ID_SCALE), x0 + 1), w)
        y1 = min(max(math.ceil(box[3] * ID_SCALE), y0 + 1), h)
        return slice(y0, y1), slice(x0, x1)

    def annotate(
        self,
        box: Box,
        class_id: int,
        *,
        sku: str | None = None,
        brand: str | None = None,
        occludable: bool = True,
    ) -> None:
        """Record an object drawn in `box`; occludable ones take their cells in the id buffer.

        Objects that are not occludable (displays, posters) keep visibility 1: their own
        contents drawn on top must not count against them.
        """
        cells = 0
        if occludable:
            rows, cols = self._cells(box)
            self.ids[rows, cols] = len(self.items) + 1
            cells = int(self.ids[rows, cols].size)
        self.items.append(Item(box, class_id, sku, brand, occludable, cells))

    def occlude(self, box: Box, mask: Image.Image | None = None) -> None:
        """Mark `box` (or the part of it where `mask` > 127) as hiding what lies beneath."""
        x0, y0 = math.floor(box[0] * ID_SCALE), math.floor(box[1] * ID_SCALE)
        x1 = max(math.ceil(box[2] * ID_SCALE), x0 + 1)
        y1 = max(math.ceil(box[3] * ID_SCALE), y0 + 1)
        h, w = self.ids.shape
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        if mask is None:
            self.ids[cy0:cy1, cx0:cx1] = 0
            return
        cover = np.asarray(mask.resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST)) > 127
        self.ids[cy0:cy1, cx0:cx1][cover[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]] = 0

    def paste(self, img: Image.Image, xy: tuple[int, int], *, occluder: bool = False) -> None:
        """Paste an RGBA image at `xy`; as an occluder it also hides what it covers."""
        self.image.paste(img, xy, img if img.mode == "RGBA" else None)
        if occluder:
            box = (xy[0], xy[1], xy[0] + img.width, xy[1] + img.height)
            self.occlude(box, img.getchannel("A") if img.mode == "RGBA" else None)

    def visibility(self) -> NDArray[np.float32]:
        """Visible share of each item's box, shape (N,); 1 for items not occludable."""
        n = len(self.items)
        shown = np.bincount(self.ids.ravel(), minlength=n + 1)[1:].astype(np.float32)
        cells = np.array([max(i.cells, 1) for i in self.items], np.float32)
        occludable = np.array([i.occludable for i in self.items], bool)
        return np.where(occludable, shown / cells, 1.0).astype(np.float32) if n else shown

    def boxes(self) -> NDArray[np.float32]:
        """Item boxes xyxy in canvas px, shape (N, 4)."""
        return np.array([i.box for i in self.items], np.float32).reshape(-1, 4)
