"""The demo catalogue: vision.synth's procedural brands and SKUs, with EANs, prices, pack images.

Brands, SKUs and their codes are exactly those of ``vision.synth.make_catalogue`` for the
seed, and each SKU's reference image is the clean front that ``write_catalogue_dir`` would
write, so shelf photos rendered from the same catalogue are recognised against it.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session

from models.catalogue import Brand, Category, Sku, add_sku_image, gtin_check_digit
from models.storage import PhotoStore
from vision.synth import Catalogue, make_catalogue
from vision.synth.packs import reference_view

CATEGORIES = ("beverages", "snacks", "dairy", "confectionery")
# Brand i sells in BRAND_CATEGORIES[i]; the first three are ours, confectionery is all rivals'.
BRAND_CATEGORIES = (*CATEGORIES[:3], *CATEGORIES[:3], CATEGORIES[3], CATEGORIES[3])
OWN_BRANDS = 3
SKUS_PER_BRAND = 8
# Typical shelf price of a pack, by category (euros).
PRICE = {"beverages": 1.3, "snacks": 2.1, "dairy": 1.7, "confectionery": 2.6}
# New SKUs: (brand index, month index of the launch); the brand's last SKU is the new one.
LAUNCHES = ((0, 6), (4, 8))
# Delisted: (brand index, first month without sales); its last SKU goes, inactive since.
DELISTING = (1, 9)
IMAGE_HEIGHT = 256


@dataclass(frozen=True)
class Products:
    """The catalogue as generated; per-SKU arrays follow ``catalogue.skus`` order."""

    catalogue: Catalogue
    brand_ids: list[uuid.UUID]
    category_ids: list[uuid.UUID]
    sku_ids: list[uuid.UUID]
    eans: list[str]
    rrp: NDArray[np.float64]
    category: NDArray[np.intp]
    brand: NDArray[np.intp]
    own: NDArray[np.bool_]
    rank: NDArray[np.intp]
    launch: NDArray[np.intp]  # first month with sales (0: sold all year)
    delist: NDArray[np.intp]  # first month without sales (12: never)

    def __len__(self) -> int:
        return len(self.sku_ids)

    @property
    def brand_own(self) -> NDArray[np.bool_]:
        """Per brand: ours or a competitor's."""
        return np.array([brand.own for brand in self.catalogue.brands])


def demo_catalogue(seed: int) -> Catalogue:
    """The procedural catalogue of the demo market for ``seed``: 8 brands, 64 SKUs, 4 categories."""
    return make_catalogue(
        seed, len(BRAND_CATEGORIES), SKUS_PER_BRAND, categories=BRAND_CATEGORIES, n_own=OWN_BRANDS
    )


def _ids(rng: np.random.Generator, n: int) -> list[uuid.UUID]:
    return [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(n)]


def _eans(rng: np.random.Generator, brand: NDArray[np.intp], rank: NDArray[np.intp]) -> list[str]:
    """EAN-13s: a French GS1 prefix, a company number per brand, an item number, the check."""
    companies = rng.choice(90_000, size=int(brand.max()) + 1, replace=False) + 10_000
    bodies = [
        f"37{int(rng.integers(0, 10))}{companies[b]}{r:04d}"
        for b, r in zip(brand.tolist(), rank.tolist(), strict=True)
    ]
    return [body + str(gtin_check_digit(body)) for body in bodies]


def make_products(rng: np.random.Generator, seed: int) -> Products:
    catalogue = demo_catalogue(seed)
    brand_index = {b.id: i for i, b in enumerate(catalogue.brands)}
    brand = np.array([brand_index[s.brand.id] for s in catalogue.skus], dtype=np.intp)
    rank = np.array([int(s.sku.rsplit("-", 1)[1]) for s in catalogue.skus], dtype=np.intp)
    last = np.array([rank[brand == b].max() for b in brand]) == rank
    launch = np.zeros(len(brand), dtype=np.intp)
    for b, month in LAUNCHES:
        launch[(brand == b) & last] = month
    delist = np.full(len(brand), 12, dtype=np.intp)
    delist[(brand == DELISTING[0]) & last] = DELISTING[1]
    base = np.array([PRICE[s.category] for s in catalogue.skus])
    rrp = np.round(base * rng.lognormal(0, 0.25, len(brand)), 1) - 0.01
    return Products(
        catalogue=catalogue,
        brand_ids=_ids(rng, len(catalogue.brands)),
        category_ids=_ids(rng, len(CATEGORIES)),
        sku_ids=_ids(rng, len(brand)),
        eans=_eans(rng, brand, rank),
        rrp=rrp,
        category=np.array([CATEGORIES.index(s.category) for s in catalogue.skus], dtype=np.intp),
        brand=brand,
        own=np.array([s.brand.own for s in catalogue.skus]),
        rank=rank,
        launch=launch,
        delist=delist,
    )


def insert_catalogue(session: Session, products: Products) -> None:
    """Brands, categories and SKUs (a few dozen rows). Flushes, never commits."""
    catalogue = products.catalogue
    session.add_all(
        Category(id=cid, code=name, name=name.capitalize())
        for cid, name in zip(products.category_ids, CATEGORIES, strict=True)
    )
    session.add_all(
        Brand(id=bid, code=b.id, name=b.name, own=b.own)
        for bid, b in zip(products.brand_ids, catalogue.brands, strict=True)
    )
    session.flush()
    session.add_all(
        Sku(
            id=products.sku_ids[i],
            code=sku.sku,
            name=sku.name,
            brand_id=products.brand_ids[products.brand[i]],
            category_id=products.category_ids[products.category[i]],
            pack_size=sku.size_label,
            ean=products.eans[i],
            rrp=Decimal(f"{products.rrp[i]:.2f}"),
            active=bool(products.delist[i] == 12),
        )
        for i, sku in enumerate(catalogue.skus)
    )
    session.flush()


def pack_png(catalogue: Catalogue, index: int) -> bytes:
    """The clean reference front of the SKU, as ``write_catalogue_dir`` renders ``<sku>_0.png``."""
    sku = catalogue.skus[index]
    rng = np.random.default_rng([catalogue.seed, sku.seed, 0])
    buffer = io.BytesIO()
    reference_view(sku, IMAGE_HEIGHT, rng, clean=True).save(buffer, "PNG")
    return buffer.getvalue()


def add_pack_images(
    session: Session, store: PhotoStore, products: Products, *, max_bytes: int
) -> int:
    """One reference pack image per SKU, kept in the photo store; returns how many were new."""
    added = 0
    for i, sku_id in enumerate(products.sku_ids):
        _, new = add_sku_image(
            session, store, sku_id, pack_png(products.catalogue, i), max_bytes=max_bytes
        )
        added += new
    return added
