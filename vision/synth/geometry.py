"""Camera geometry: a random view of the rendered canvas and the boxes carried through it."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from vision.synth.styles import Style

Size = tuple[int, int]
Matrix = NDArray[np.float64]


def homography(src: NDArray[np.float64], dst: NDArray[np.float64]) -> Matrix:
    """The 3x3 projective map taking the 4 points `src` (4, 2) onto `dst` (4, 2)."""
    rows = []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    h = np.linalg.solve(np.asarray(rows, np.float64), dst.reshape(-1))
    return np.append(h, 1.0).reshape(3, 3)


def _view_quad(rng: np.random.Generator, canvas: Size, out: Size, style: Style) -> Matrix:
    """The canvas quad (4, 2) the camera sees, corners clockwise from top-left."""
    (cw, ch), aspect = canvas, out[0] / out[1]
    bw = min(cw, ch * aspect)
    zoom = rng.uniform(*style.zoom)
    hw, hh = bw / 2 / zoom, bw / aspect / 2 / zoom
    quad = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]], np.float64)
    yaw, pitch = rng.uniform(-style.perspective, style.perspective, 2)
    quad[:, 1] *= 1 + yaw * np.sign(quad[:, 0])
    quad[:, 0] *= 1 + pitch * np.sign(quad[:, 1])
    angle = np.deg2rad(rng.uniform(-style.roll_deg, style.roll_deg))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    quad = quad @ rot.T
    fit = min(1.0, float(np.min(np.array([cw / 2, ch / 2]) / np.abs(quad).max(axis=0))))
    quad *= fit
    lo = -np.array([cw / 2, ch / 2]) - quad.min(axis=0)
    hi = np.array([cw / 2, ch / 2]) - quad.max(axis=0)
    centre = np.array([cw / 2, ch / 2]) + rng.uniform(lo, np.maximum(hi, lo))
    return np.asarray(quad + centre, np.float64)


def sample_view(rng: np.random.Generator, canvas: Size, out: Size, style: Style) -> Matrix:
    """A random camera: the homography (3, 3) from canvas pixels to output pixels.

    The camera sees a quad inside the canvas (zoomed, rolled and foreshortened per
    `style`) and maps it onto the whole output image, so no undrawn area shows.
    """
    w, h = out
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    return homography(_view_quad(rng, canvas, out, style), corners)


def warp(img: Image.Image, canvas_to_out: Matrix, out: Size) -> Image.Image:
    """Render `img` through the homography onto an image of size `out` (bilinear)."""
    inv = np.linalg.inv(canvas_to_out)
    inv /= inv[2, 2]
    coeffs = tuple(float(c) for c in inv.reshape(-1)[:8])
    return img.transform(out, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)


def project_corners(boxes: NDArray[np.float32], m: Matrix) -> NDArray[np.float64]:
    """Each box's corners (clockwise from top-left) mapped through `m`.

    Args:
        boxes: Boxes xyxy, shape (N, 4).
        m: Homography (3, 3).

    Returns:
        Corners of shape (N, 4, 2); NaN where a corner falls behind the camera.
    """
    x0, y0, x1, y1 = boxes.reshape(-1, 4).T.astype(np.float64)
    xs = np.stack([x0, x1, x1, x0], axis=1)
    ys = np.stack([y0, y0, y1, y1], axis=1)
    pts = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ m.T
    w = np.where(pts[..., 2] > 1e-9, pts[..., 2], np.nan)
    return np.stack([pts[..., 0] / w, pts[..., 1] / w], axis=-1)


def project_boxes(boxes: NDArray[np.float32], m: Matrix) -> NDArray[np.float32]:
    """The axis-aligned hull of each box's 4 corners mapped through `m`, not clipped.

    Returns:
        Boxes xyxy, shape (N, 4).
    """
    corners = project_corners(boxes, m)
    return np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1).astype(np.float32)


def clip_boxes(
    boxes: NDArray[np.float32], size: Size
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Clip axis-aligned boxes to the image and say how much of each stayed inside.

    Returns:
        Clipped boxes (N, 4) and the kept fraction of each box's area (N,), 0 for
        degenerate boxes.
    """
    w, h = size
    clipped = np.clip(boxes, 0, [w, h, w, h]).astype(np.float32)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    frac = np.divide(kept, area, out=np.zeros_like(area), where=area > 0)
    return clipped, frac.astype(np.float32)


Polygon = list[tuple[float, float]]


def _clip_edge(poly: Polygon, axis: int, limit: float, keep_below: bool) -> Polygon:
    """One Sutherland-Hodgman pass: keep the side of the line `p[axis] = limit`."""
    out: Polygon = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        cur_in = (cur[axis] <= limit) if keep_below else (cur[axis] >= limit)
        prev_in = (prev[axis] <= limit) if keep_below else (prev[axis] >= limit)
        if cur_in != prev_in:
            t = (limit - prev[axis]) / (cur[axis] - prev[axis])
            out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
        if cur_in:
            out.append(cur)
    return out


def _area(poly: Polygon) -> float:
    """Shoelace area of a simple polygon."""
    return (
        abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(poly, poly[1:] + poly[:1], strict=True)))
        / 2
    )


def _clip_quad(quad: NDArray[np.float64], size: Size) -> tuple[list[float], float]:
    """The hull of the quad's part inside the image, and that part's share of its area."""
    poly: Polygon = [(float(x), float(y)) for x, y in quad]
    whole = _area(poly)
    for axis, limit, below in ((0, 0.0, False), (0, size[0], True), (1, 0.0, False),
                               (1, size[1], True)):  # fmt: skip
        poly = _clip_edge(poly, axis, float(limit), below) if poly else poly
    if not poly or whole <= 0:
        return [0.0, 0.0, 0.0, 0.0], 0.0
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    return [min(xs), min(ys), max(xs), max(ys)], _area(poly) / whole


def project_clip(
    boxes: NDArray[np.float32], m: Matrix, size: Size
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Map boxes through `m` and clip them to the image as the quads they become.

    Boxes wholly inside take the hull of their corners. Boxes crossing the border are
    clipped as quadrilaterals first, so a rotated box leaving the frame does not keep
    the width of its hidden corner; their kept share is a true area ratio.

    Args:
        boxes: Boxes xyxy in the source, shape (N, 4).
        m: Homography (3, 3) from source to image.
        size: Image (width, height).

    Returns:
        Boxes xyxy inside the image, shape (N, 4), and the share of each mapped box
        that lies inside, shape (N,); 0 for boxes behind the camera or degenerate.
    """
    corners = project_corners(boxes, m)
    out = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
    frac = np.ones(len(out))
    finite = np.isfinite(corners).all(axis=(1, 2))
    inside = finite & (out[:, :2] >= 0).all(1) & (out[:, 2] <= size[0]) & (out[:, 3] <= size[1])
    frac[~finite] = 0.0
    out[~finite] = 0.0
    for i in np.flatnonzero(finite & ~inside):
        out[i], frac[i] = _clip_quad(corners[i], size)
    out = np.clip(out, 0, [size[0], size[1], size[0], size[1]])
    return out.astype(np.float32), frac.astype(np.float32)
