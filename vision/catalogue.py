"""The catalogue directory the recogniser reads: `catalogue.json` plus reference pack images.

Layout of a catalogue directory::

    catalogue.json      JSON list, one object per SKU (see `CatalogueEntry`)
    <sku>_<n>.png       reference pack fronts, n = 0, 1, ... (.jpg also accepted)

Each object has at least `sku`, `brand` and `name`; `category`, `shape`, `own`,
`width_cm`, `height_cm` and `images` (file names relative to the directory) are optional.
When `images` is absent the images are found by name.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CATALOGUE_FILE = "catalogue.json"
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_REQUIRED = ("sku", "brand", "name")


@dataclass(frozen=True)
class CatalogueEntry:
    """One SKU of a catalogue directory.

    Attributes:
        sku: Stable SKU id, safe as a file-name prefix (no `/`).
        brand: Brand name.
        name: Display name.
        category: Product category, e.g. "beverages".
        shape: Pack shape: box, bottle, can, pouch or jar.
        own: True for the user's own brands, False for competitors.
        width_cm: Physical front width, if known.
        height_cm: Physical front height, if known.
        images: Reference image file names, relative to the directory.
    """

    sku: str
    brand: str
    name: str
    category: str = ""
    shape: str = ""
    own: bool = False
    width_cm: float | None = None
    height_cm: float | None = None
    images: tuple[str, ...] = ()


def _entry(raw: Any, folder: Path) -> CatalogueEntry:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in _REQUIRED):
        raise ValueError(f"each catalogue entry needs string fields {_REQUIRED}, got {raw!r}")
    if "/" in raw["sku"] or not raw["sku"]:
        raise ValueError(f"sku must be a non-empty file-name prefix, got {raw['sku']!r}")
    known = {k: v for k, v in raw.items() if k in CatalogueEntry.__dataclass_fields__}
    images = tuple(known.pop("images", ()) or _find_images(folder, raw["sku"]))
    return CatalogueEntry(**known, images=images)


def _find_images(folder: Path, sku: str) -> list[str]:
    found = [p for p in folder.glob(f"{sku}_*") if p.suffix.lower() in _IMAGE_SUFFIXES]
    return sorted(p.name for p in found if p.stem.rsplit("_", 1)[-1].isdigit())


def read_catalogue_dir(path: str | Path) -> list[CatalogueEntry]:
    """Read `catalogue.json` of a catalogue directory, finding images by name if unlisted.

    Raises:
        ValueError: The file is not a list of objects with `sku`, `brand` and `name`,
            or SKU ids repeat.
    """
    folder = Path(path)
    raw = json.loads((folder / CATALOGUE_FILE).read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{CATALOGUE_FILE} must hold a JSON list, got {type(raw).__name__}")
    entries = [_entry(item, folder) for item in raw]
    skus = [e.sku for e in entries]
    if len(set(skus)) != len(skus):
        raise ValueError("SKU ids in the catalogue must be unique")
    return entries


def write_catalogue_json(entries: list[CatalogueEntry], path: str | Path) -> Path:
    """Write `catalogue.json` for `entries` into the directory `path` (images not touched)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CATALOGUE_FILE
    rows = [{**asdict(e), "images": list(e.images)} for e in entries]
    target.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target
