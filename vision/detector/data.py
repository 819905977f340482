"""Reading detection annotations: YOLO txt folders and SKU-110K CSV files.

Both readers return `Sample`s with boxes normalised to the image size, so nothing has to
decode an image to read its labels. Torch-free: the tests and the evaluation use it too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})


@dataclass(frozen=True)
class Sample:
    """One annotated image.

    Attributes:
        image: Path of the image file.
        boxes: Box corners `(x0, y0, x1, y1)` as fractions of the image width and height,
            float32 of shape (N, 4).
        classes: Class id per box, int64 of shape (N,).
    """

    image: Path
    boxes: NDArray[np.float32]
    classes: NDArray[np.int64]


def _images_under(folder: Path) -> Iterator[Path]:
    # A dataset folder may hold more than images/ (our generator writes catalogue/ too).
    if (folder / "images").is_dir():
        folder = folder / "images"
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            yield path


def _label_path(image: Path) -> Path:
    # Ultralytics layout: .../images/<split>/x.jpg pairs with .../labels/<split>/x.txt.
    parts = list(image.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def parse_yolo_lines(text: str) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Parse YOLO label text: `class cx cy w h` per line (or `class x y x y ...` polygons).

    Returns:
        Normalised xyxy boxes (N, 4) and class ids (N,).

    Raises:
        ValueError: On a line with fewer than five numbers or an odd polygon.
    """
    boxes: list[list[float]] = []
    classes: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 5 or (len(fields) > 5 and len(fields) % 2 == 0):
            raise ValueError(f"line {number}: expected 'class cx cy w h', got {line!r}")
        values = [float(v) for v in fields[1:]]
        if len(values) == 4:
            cx, cy, w, h = values
            boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        else:
            xs, ys = values[0::2], values[1::2]
            boxes.append([min(xs), min(ys), max(xs), max(ys)])
        classes.append(int(float(fields[0])))
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    return np.clip(np.array(boxes, np.float32), 0.0, 1.0), np.array(classes, np.int64)


def read_yolo(folder: str | Path) -> list[Sample]:
    """Every image under `folder` (or `folder/images` where it exists) with its YOLO labels.

    An image without a label file is a background image (no boxes).

    Labels are found Ultralytics-style: the last `images` folder of the image's path
    replaced by `labels` and the suffix by `.txt`, else next to the image.
    """
    samples = []
    for image in _images_under(Path(folder)):
        label = _label_path(image)
        text = label.read_text() if label.is_file() else ""
        try:
            boxes, classes = parse_yolo_lines(text)
        except ValueError as error:
            raise ValueError(f"{label}: {error}") from None
        samples.append(Sample(image, boxes, classes))
    return samples


def _sku110k_csvs(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = sorted(path.rglob("*.csv"))
    if not found:
        raise FileNotFoundError(f"no .csv annotation file under {path}")
    return found


def _image_folder(csv_path: Path, root: Path) -> Path:
    for candidate in (root / "images", csv_path.parent.parent / "images", csv_path.parent):
        if candidate.is_dir():
            return candidate
    return csv_path.parent


def read_sku110k(path: str | Path, class_id: int = 0) -> list[Sample]:
    """SKU-110K CSV rows `image_name,x1,y1,x2,y2,class,image_width,image_height`.

    `path` is one CSV or a folder searched for CSVs (SKU-110K ships
    `annotations/annotations_{train,val,test}.csv` beside `images/`). Every box gets
    `class_id` (SKU-110K's only class is "object": a product). A header row is skipped.
    Images are looked up in `<path>/images`, the CSV's `../images`, or beside the CSV.
    """
    root = Path(path) if Path(path).is_dir() else Path(path).parent
    per_image: dict[Path, tuple[list[list[float]], tuple[float, float]]] = {}
    for csv_path in _sku110k_csvs(Path(path)):
        folder = _image_folder(csv_path, root)
        with csv_path.open(newline="") as handle:
            for number, row in enumerate(csv.reader(handle), 1):
                if not row or (number == 1 and not row[1].strip().lstrip("-").isdigit()):
                    continue
                if len(row) < 8:
                    raise ValueError(f"{csv_path}:{number}: expected 8 columns, got {row}")
                name, x1, y1, x2, y2, _, w, h = row[:8]
                size = (float(w), float(h))
                boxes, _size = per_image.setdefault(folder / name, ([], size))
                boxes.append(
                    [
                        float(x1) / size[0],
                        float(y1) / size[1],
                        float(x2) / size[0],
                        float(y2) / size[1],
                    ]
                )
    samples = []
    for image, (boxes, _size) in sorted(per_image.items()):
        array = np.clip(np.array(boxes, np.float32).reshape(-1, 4), 0.0, 1.0)
        samples.append(Sample(image, array, np.full(len(array), class_id, np.int64)))
    return samples


def read_annotations(path: str | Path, fmt: str) -> list[Sample]:
    """Read a dataset in `fmt` "yolo" or "sku110k"."""
    if fmt == "yolo":
        return read_yolo(path)
    if fmt == "sku110k":
        return read_sku110k(path)
    raise ValueError(f"unknown annotation format {fmt!r}; expected 'yolo' or 'sku110k'")
