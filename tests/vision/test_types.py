"""Detections: shape validation with useful messages, length, empty, mask indexing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from vision.types import CLASS_ID, CLASSES, Detections


def _dets(n: int, sku: Any = None) -> Detections:
    xyxy = np.arange(n * 4, dtype=np.float32).reshape(n, 4)
    return Detections(xyxy, np.arange(n, dtype=np.int64) % 4, np.full(n, 0.5, np.float32), sku)


def test_classes_are_the_four_detector_classes() -> None:
    assert CLASSES == ("product", "price_tag", "display", "posm")
    assert [CLASS_ID[c] for c in CLASSES] == [0, 1, 2, 3]


def test_empty_has_zero_rows_of_each_shape() -> None:
    empty = Detections.empty()
    assert (len(empty), empty.xyxy.shape, empty.class_id.shape, empty.score.shape) == (
        0,
        (0, 4),
        (0,),
        (0,),
    )


@pytest.mark.parametrize(
    ("xyxy", "class_id", "score", "sku", "message"),
    [
        (
            np.zeros((0,), np.float32),
            np.zeros(0, np.int64),
            np.zeros(0, np.float32),
            None,
            r"xyxy must be an np.ndarray of shape \(N, 4\) and float dtype, but got \(0,\)",
        ),
        (
            [[0, 0, 1, 1]],
            np.zeros(1, np.int64),
            np.zeros(1, np.float32),
            None,
            r"xyxy must be .* but got list",
        ),
        (
            np.zeros((2, 3), np.float32),
            np.zeros(2, np.int64),
            np.zeros(2, np.float32),
            None,
            r"shape \(N, 4\) and float dtype, but got \(2, 3\) of float32",
        ),
        (
            np.zeros((2, 4), np.int64),
            np.zeros(2, np.int64),
            np.zeros(2, np.float32),
            None,
            r"float dtype, but got \(2, 4\) of int64",
        ),
        (
            np.zeros((2, 4), np.float32),
            np.zeros(3, np.int64),
            np.zeros(2, np.float32),
            None,
            r"class_id must be an np.ndarray of shape \(2,\) and int dtype, but got \(3,\)",
        ),
        (
            np.zeros((2, 4), np.float32),
            np.zeros(2, np.float32),
            np.zeros(2, np.float32),
            None,
            r"class_id .* int dtype, but got \(2,\) of float32",
        ),
        (
            np.zeros((2, 4), np.float32),
            np.zeros(2, np.int64),
            np.zeros((2, 1), np.float32),
            None,
            r"score must be an np.ndarray of shape \(2,\) and float dtype, but got \(2, 1\)",
        ),
        (
            np.zeros((2, 4), np.float32),
            np.zeros(2, np.int64),
            np.zeros(2, np.float32),
            ("a",),
            r"sku must be None or a sequence of 2 str \| None, but got tuple of length 1",
        ),
        (
            np.zeros((2, 4), np.float32),
            np.zeros(2, np.int64),
            np.zeros(2, np.float32),
            "ab",
            r"sku must be None or a sequence of 2",
        ),
    ],
)
def test_invalid_fields_say_what_was_expected(
    xyxy: Any, class_id: Any, score: Any, sku: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Detections(xyxy, class_id, score, sku)


def test_sku_list_is_stored_as_tuple() -> None:
    assert _dets(2, ["a", None]).sku == ("a", None)


@pytest.mark.parametrize(
    ("mask", "rows"),
    [
        (np.zeros(3, bool), []),
        (np.array([True, False, True]), [0, 2]),
        (np.array([2, 0]), [2, 0]),
        (slice(1, None), [1, 2]),
    ],
)
def test_indexing_selects_rows_of_every_field(mask: Any, rows: list[int]) -> None:
    dets = _dets(3, ("a", "b", None))
    picked = dets[mask]
    assert len(picked) == len(rows)
    np.testing.assert_array_equal(picked.xyxy, dets.xyxy[rows])
    np.testing.assert_array_equal(picked.class_id, dets.class_id[rows])
    assert picked.sku == tuple(("a", "b", None)[r] for r in rows)


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.array([True, False]), r"a boolean mask must have shape \(3,\), but got \(2,\)"),
        (np.array([0.5, 1.0]), r"index must be a bool or int np.ndarray, but got float64"),
    ],
)
def test_bad_masks_are_rejected(mask: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _dets(3)[mask]
