"""Camera geometry: homographies, box hulls through them, clipping, random views."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vision.synth.geometry import (
    clip_boxes,
    homography,
    project_boxes,
    project_clip,
    sample_view,
    warp,
)
from vision.synth.styles import STYLES

_IDENTITY = np.eye(3)


def test_homography_maps_the_four_points() -> None:
    src = np.array([[0, 0], [10, 0], [10, 5], [0, 5]], np.float64)
    dst = np.array([[1, 2], [12, 1], [11, 8], [0, 7]], np.float64)
    m = homography(src, dst)
    pts = np.c_[src, np.ones(4)] @ m.T
    np.testing.assert_allclose(pts[:, :2] / pts[:, 2:], dst, atol=1e-9)


@pytest.mark.parametrize(
    ("m", "boxes", "expected"),
    [
        (_IDENTITY, np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)),
        (_IDENTITY, np.array([[1, 2, 3, 4]], np.float32), np.array([[1, 2, 3, 4]], np.float32)),
        (
            np.array([[2, 0, 5], [0, 3, -1], [0, 0, 1]], np.float64),
            np.array([[1, 2, 3, 4]], np.float32),
            np.array([[7, 5, 11, 11]], np.float32),
        ),
        (
            np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], np.float64),  # 90 degrees
            np.array([[1, 2, 3, 6]], np.float32),
            np.array([[-6, 1, -2, 3]], np.float32),
        ),
    ],
)
def test_project_boxes_takes_the_hull_of_mapped_corners(
    m: np.ndarray, boxes: np.ndarray, expected: np.ndarray
) -> None:
    np.testing.assert_allclose(project_boxes(boxes, m), expected, atol=1e-5)


def test_projected_hull_contains_every_mapped_corner() -> None:
    rng = np.random.default_rng(0)
    m = np.eye(3) + rng.normal(0, [[0.1, 0.1, 5], [0.1, 0.1, 5], [1e-4, 1e-4, 0]])
    boxes = np.sort(rng.uniform(0, 100, (20, 2, 2)), axis=1).transpose(0, 2, 1).reshape(20, 4)
    hull = project_boxes(boxes.astype(np.float32), m)
    for (x0, y0, x1, y1), h in zip(boxes, hull, strict=True):
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
            u, v, w = m @ (x, y, 1)
            assert h[0] - 1e-3 <= u / w <= h[2] + 1e-3
            assert h[1] - 1e-3 <= v / w <= h[3] + 1e-3


@pytest.mark.parametrize(
    ("box", "clipped", "frac"),
    [
        ((2, 2, 4, 4), (2, 2, 4, 4), 1.0),
        ((-2, 0, 2, 4), (0, 0, 2, 4), 0.5),
        ((8, 8, 12, 12), (8, 8, 10, 10), 0.25),
        ((11, 0, 14, 4), (10, 0, 10, 4), 0.0),
        ((3, 3, 3, 5), (3, 3, 3, 5), 0.0),
    ],
)
def test_clip_boxes_keeps_the_inside_share(
    box: tuple[float, ...], clipped: tuple[float, ...], frac: float
) -> None:
    out, kept = clip_boxes(np.array([box], np.float32), (10, 10))
    np.testing.assert_allclose(out[0], clipped)
    assert kept[0] == pytest.approx(frac)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_views_only_see_the_canvas(style: str) -> None:
    canvas, out = (1472, 1104), (1280, 960)
    for seed in range(25):
        m = sample_view(np.random.default_rng(seed), canvas, out, STYLES[style])
        corners = np.array([[0, 0, 1], [1280, 0, 1], [1280, 960, 1], [0, 960, 1]], np.float64)
        back = corners @ np.linalg.inv(m).T
        xy = back[:, :2] / back[:, 2:]
        assert (xy >= -1e-6).all()
        assert (xy <= np.array(canvas) + 1e-6).all()


@pytest.mark.parametrize("box", [(120, 90, 250, 190), (200, 150, 368, 276), (0, 0, 90, 276)])
@pytest.mark.parametrize(("style", "seed"), [("train", 0), ("train", 1), ("hard", 2), ("hard", 3)])
def test_projected_box_matches_the_warped_pixels(
    box: tuple[int, int, int, int], style: str, seed: int
) -> None:
    canvas, out = (368, 276), (320, 240)
    img = Image.new("L", canvas, 0)
    ImageDraw.Draw(img).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=255)
    m = sample_view(np.random.default_rng(seed), canvas, out, STYLES[style])
    ys, xs = np.nonzero(np.asarray(warp(img, m, out)) > 127)
    clipped, frac = project_clip(np.array([box], np.float32), m, out)
    if len(xs) == 0:
        assert frac[0] == pytest.approx(0.0, abs=0.01)
        return
    seen = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)
    # Pixels are sampled at their centres: where an edge meets the border at a grazing
    # angle the last lit pixel can sit a couple of px short of the exact crossing.
    np.testing.assert_allclose(seen, clipped[0], atol=2.5)
    assert 0 < frac[0] <= 1


@pytest.mark.parametrize(
    ("m", "boxes", "expected", "frac"),
    [
        (_IDENTITY, np.zeros((0, 4), np.float32), np.zeros((0, 4)), np.zeros(0)),
        (_IDENTITY, np.array([[1, 2, 3, 4]], np.float32), [[1, 2, 3, 4]], [1.0]),
        (_IDENTITY, np.array([[-2, 0, 2, 4]], np.float32), [[0, 0, 2, 4]], [0.5]),
        (_IDENTITY, np.array([[20, 0, 30, 4]], np.float32), [[0, 0, 0, 0]], [0.0]),
        (
            np.array([[1, 0, 0], [0, 1, 0], [0, 0, -1]], np.float64),  # behind the camera
            np.array([[1, 2, 3, 4]], np.float32),
            [[0, 0, 0, 0]],
            [0.0],
        ),
    ],
)
def test_project_clip_cases(
    m: np.ndarray, boxes: np.ndarray, expected: object, frac: object
) -> None:
    out, kept = project_clip(boxes, m, (10, 10))
    np.testing.assert_allclose(out, np.asarray(expected, np.float32).reshape(-1, 4), atol=1e-5)
    np.testing.assert_allclose(kept, np.asarray(frac, np.float32), atol=1e-5)


def test_project_clip_drops_the_hidden_corner_of_a_rotated_box() -> None:
    angle = np.deg2rad(30)
    rot = np.array([[np.cos(angle), -np.sin(angle), 90], [np.sin(angle), np.cos(angle), 0],
                    [0, 0, 1]])  # fmt: skip
    box = np.array([[0, 0, 20, 300]], np.float32)
    naive, _ = clip_boxes(project_boxes(box, rot), (100, 100))
    tight, frac = project_clip(box, rot, (100, 100))
    assert naive[0, 0] == 0
    assert tight[0, 0] == pytest.approx(90 - 150 * 100 / 260, abs=0.5)
    assert 0 < frac[0] < 1
