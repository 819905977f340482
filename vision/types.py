"""The result types of shelf vision: a validated set of boxes with classes and scores
(`Detections`), and the SKU recognised for each product box (`Recognition`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

CLASSES: tuple[str, ...] = ("product", "price_tag", "display", "posm")
"""Detector class names; a class id is an index into this tuple."""

CLASS_ID: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}


def _got(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is None:
        return type(value).__name__
    return f"{shape} of {value.dtype}"


def _validate_xyxy(xyxy: Any) -> None:
    ok = isinstance(xyxy, np.ndarray) and xyxy.ndim == 2 and xyxy.shape[1] == 4
    if not ok or not np.issubdtype(xyxy.dtype, np.floating):
        raise ValueError(
            f"xyxy must be an np.ndarray of shape (N, 4) and float dtype, but got {_got(xyxy)}"
        )


def _validate_vector(name: str, value: Any, n: int, kind: Any, label: str) -> None:
    ok = isinstance(value, np.ndarray) and value.shape == (n,)
    if not ok or not np.issubdtype(value.dtype, kind):
        raise ValueError(
            f"{name} must be an np.ndarray of shape ({n},) and {label} dtype, but got {_got(value)}"
        )


def _validate_sku(sku: Any, n: int) -> None:
    if sku is None:
        return
    if isinstance(sku, str | bytes) or not isinstance(sku, Sequence) or len(sku) != n:
        raise ValueError(
            f"sku must be None or a sequence of {n} str | None, but got {type(sku).__name__}"
            f" of length {len(sku) if hasattr(sku, '__len__') else '?'}"
        )


@dataclass(frozen=True)
class Detections:
    """Boxes found in one image.

    Attributes:
        xyxy: Box corners `(x0, y0, x1, y1)` in pixels, float32 of shape (N, 4).
        class_id: Index into `CLASSES` per box, int of shape (N,).
        score: Confidence per box in [0, 1], float32 of shape (N,).
        sku: Recognised SKU id per box (None where unknown or not a product), or None
            when recognition did not run; a tuple of length N.
    """

    xyxy: NDArray[np.float32]
    class_id: NDArray[np.int64]
    score: NDArray[np.float32]
    sku: tuple[str | None, ...] | None = None

    def __post_init__(self) -> None:
        _validate_xyxy(self.xyxy)
        n = len(self.xyxy)
        _validate_vector("class_id", self.class_id, n, np.integer, "int")
        _validate_vector("score", self.score, n, np.floating, "float")
        _validate_sku(self.sku, n)
        if self.sku is not None and not isinstance(self.sku, tuple):
            object.__setattr__(self, "sku", tuple(self.sku))

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls, *, with_sku: bool = False) -> Detections:
        """No detections: arrays of shapes (0, 4), (0,) and (0,)."""
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            class_id=np.zeros(0, np.int64),
            score=np.zeros(0, np.float32),
            sku=() if with_sku else None,
        )

    def __getitem__(self, index: NDArray[np.bool_] | NDArray[np.integer] | slice) -> Detections:
        """Select boxes by a boolean mask of shape (N,), an integer index array or a slice."""
        if (
            isinstance(index, np.ndarray)
            and index.dtype == np.bool_
            and index.shape != (len(self),)
        ):
            raise ValueError(
                f"a boolean mask must have shape ({len(self)},), but got {index.shape}"
            )
        if isinstance(index, np.ndarray) and not (
            index.dtype == np.bool_ or np.issubdtype(index.dtype, np.integer)
        ):
            raise ValueError(f"index must be a bool or int np.ndarray, but got {index.dtype}")
        rows = np.arange(len(self))[index]
        sku = None if self.sku is None else tuple(self.sku[i] for i in rows)
        return Detections(self.xyxy[rows], self.class_id[rows], self.score[rows], sku)


@dataclass(frozen=True)
class Recognition:
    """The SKU of each product crop.

    Attributes:
        entry: Index into the index's entries per crop, -1 where the SKU is unknown;
            int64 (N,).
        nearest: Index of the nearest entry whether accepted or not; int64 (N,).
        distance: To the nearest SKU: 1 - cosine (the embedding), or the mean squared
            fine-grid distance (the colour descriptor); float32 (N,).
        score: Similarity to the nearest SKU in [0, 1] (1 identical, 0 at and past the
            rejection threshold); float32 (N,).
        sku: SKU id per crop, None where unknown.
        brand: Brand per crop, None where unknown (known while the SKU is not where
            variants of the brand cannot be told apart).
    """

    entry: NDArray[np.int64]
    nearest: NDArray[np.int64]
    distance: NDArray[np.float32]
    score: NDArray[np.float32]
    sku: tuple[str | None, ...]
    brand: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.entry)

    @classmethod
    def unknown(cls, n: int) -> Recognition:
        """`n` crops with no SKU, nothing to compare them with."""
        empty = np.zeros(n, np.float32)
        none: tuple[str | None, ...] = (None,) * n
        return cls(
            np.full(n, -1, np.int64), np.full(n, -1, np.int64), empty + np.inf, empty, none, none
        )
