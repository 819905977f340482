"""Shelf rows from product boxes, robust to the camera's roll and yaw.

Products stand on their shelf, so the bottoms of one shelf's boxes lie on one line. A
camera's roll tilts every such line alike and its yaw tilts them more the farther they
are from the image centre, so the bottoms are straightened with a tilt that varies
linearly with height (measured between neighbouring products and fitted robustly), then
split into rows where consecutive straightened bottoms jump, and each row gets its own
fitted line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_ROW_JUMP = 0.35
"""Straightened bottoms this far apart (in typical product heights) start a new row."""


@dataclass(frozen=True)
class Shelf:
    """One shelf row of products, top to bottom order in the photo.

    Attributes:
        products: Indices (into the detections) of its products, left to right.
        y0: Where the row's bottom line crosses x = 0, px.
        slope: The bottom line's dy/dx.
        x0: Left end of its products, px.
        x1: Right end of its products, px.
        facing_px: Median product width on the row, px.
        display: Index (into the detections) of the display the row stands in, -1 for
            none.
    """

    products: tuple[int, ...]
    y0: float
    slope: float
    x0: float
    x1: float
    facing_px: float
    display: int = -1

    def y_at(self, x: float) -> float:
        """The row's bottom line at `x`."""
        return self.y0 + self.slope * x


def _neighbour_pairs(boxes: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each box and its nearest right-hand neighbour standing at about the same height.

    Returns:
        Index arrays (P,) of left and right boxes.
    """
    x = (boxes[:, 0] + boxes[:, 2]) / 2
    y, h = boxes[:, 3], boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    dx = x[None, :] - x[:, None]
    near = (
        (dx > 0.3 * w[:, None])
        & (dx < 2.5 * np.maximum(w[:, None], w[None, :]))
        & (np.abs(y[None, :] - y[:, None]) < 0.5 * np.minimum(h[:, None], h[None, :]))
    )
    cost = np.where(near, dx, np.inf)
    right = cost.argmin(1)
    left = np.flatnonzero(np.isfinite(cost[np.arange(len(boxes)), right]))
    return left, right[left]


def straighten(
    xyxy: NDArray[np.floating],
) -> tuple[NDArray[np.float64], tuple[float, float, float, float]]:
    """Product bottoms with the shelf tilt removed, and the tilt model found.

    The tilt of a shelf line is measured between neighbouring products (each product
    and the nearest one to its right standing at about its height); a robust straight
    line through those slopes over height gives the model.

    Args:
        xyxy: Product boxes (M, 4).

    Returns:
        Straightened bottoms (M,), and (cx, cy, tilt, gradient): a bottom (x, y) is
        straightened as `y - (tilt + gradient * (y - cy) / span) * (x - cx)`, span the
        bottoms' range.
    """
    boxes = np.asarray(xyxy, np.float64)
    x = (boxes[:, 0] + boxes[:, 2]) / 2
    y = boxes[:, 3]
    cx, cy = (float(np.median(x)), float(np.median(y))) if len(x) else (0.0, 0.0)
    dy = (y - cy) / max(float(np.ptp(y)) if len(y) else 0.0, 1.0)
    left, right = _neighbour_pairs(boxes)
    if len(left) == 0:
        return y.copy(), (cx, cy, 0.0, 0.0)
    slope = (y[right] - y[left]) / (x[right] - x[left])
    height = (dy[left] + dy[right]) / 2
    tilt, grad = float(np.median(slope)), 0.0
    if len(left) >= 6 and np.ptp(height) > 0.2:
        for _ in range(4):  # iteratively reweighted least squares, Cauchy weights
            r = slope - tilt - grad * height
            wt = 1.0 / (1.0 + (r / 0.03) ** 2)
            grad, tilt = (float(v) for v in np.polyfit(height, slope, 1, w=np.sqrt(wt)))
    return y - (tilt + grad * dy) * (x - cx), (cx, cy, tilt, grad)


def _line(x: NDArray[np.float64], y: NDArray[np.float64], slope: float) -> tuple[float, float]:
    """Intercept and slope of y over x: least squares from 3 points, else `slope` kept."""
    if len(x) >= 3 and np.ptp(x) > 0:
        a, b = np.polyfit(x, y, 1)
        return float(b), float(a)
    return float(np.mean(y - slope * x)), slope


def find_shelves(xyxy: NDArray[np.floating]) -> tuple[list[Shelf], NDArray[np.int64]]:
    """Group product boxes into shelf rows.

    Args:
        xyxy: Product boxes (M, 4).

    Returns:
        Rows top to bottom (`products` index into `xyxy`), and the row of each box (M,).
    """
    boxes = np.asarray(xyxy, np.float64)
    m = len(boxes)
    if m == 0:
        return [], np.zeros(0, np.int64)
    straight, (_, cy, tilt, grad) = straighten(boxes)
    heights = boxes[:, 3] - boxes[:, 1]
    jump = _ROW_JUMP * max(float(np.median(heights)), 1.0)
    order = np.argsort(straight, kind="stable")
    row = np.empty(m, np.int64)
    row[order] = np.cumsum(np.r_[0, np.diff(straight[order]) > jump])
    x = (boxes[:, 0] + boxes[:, 2]) / 2
    y = boxes[:, 3]
    lines = []
    for r in range(int(row.max()) + 1):
        members = row == r
        local = tilt + grad * (float(np.mean(y[members])) - cy) / max(float(np.ptp(y)), 1.0)
        lines.append(_line(x[members], y[members], local))
    return _assemble(boxes, row, lines)


def _assemble(
    boxes: NDArray[np.float64], row: NDArray[np.int64], lines: list[tuple[float, float]]
) -> tuple[list[Shelf], NDArray[np.int64]]:
    """Shelves sorted top to bottom (by their line at the boxes' centre x)."""
    mid = float((boxes[:, 0].min() + boxes[:, 2].max()) / 2)
    order = sorted(range(len(lines)), key=lambda r: lines[r][0] + lines[r][1] * mid)
    rank = np.empty(len(lines), np.int64)
    rank[order] = np.arange(len(lines))
    shelves = []
    for r in order:
        members = np.flatnonzero(row == r)
        members = members[np.argsort(boxes[members, 0], kind="stable")]
        widths = boxes[members, 2] - boxes[members, 0]
        shelves.append(
            Shelf(
                products=tuple(int(i) for i in members),
                y0=lines[r][0],
                slope=lines[r][1],
                x0=float(boxes[members, 0].min()),
                x1=float(boxes[members, 2].max()),
                facing_px=float(np.median(widths)),
            )
        )
    return shelves, rank[row]
