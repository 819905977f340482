"""A procedural catalogue: brands with colours and logotypes, SKUs in shapes, sizes, flavours.

Every brand's SKUs share one pack design and differ by flavour (colour band and text) and
size, so near-identical variants are the rule, as on real shelves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.catalogue import CatalogueEntry, write_catalogue_json
from vision.synth import vocab
from vision.synth.logos import LOGO_SHAPES
from vision.synth.packs import reference_view
from vision.synth.palette import RGB, contrast, hsv, jitter, luminance, random_colour

TEMPLATES = ("band", "split", "hero", "white", "dark", "gradient", "pattern", "photo")
PATTERNS = ("none", "stripes", "dots", "waves", "chevrons", "diagonal")
BADGES = ("", "", "", "", "NEW", "ZERO", "+25%", "BIO", "XL", "LIGHT", "-20%")


@dataclass(frozen=True)
class BrandStyle:
    """A brand's visual identity, shared by all its packs."""

    primary: RGB
    secondary: RGB
    accent: RGB
    template: str
    pattern: str
    logo_shape: str
    logo_fill: RGB
    logo_text: RGB
    logo_case: str
    logo_slant: float
    logo_stretch: float
    logo_weight: float
    logo_y: float
    band_y: float


@dataclass(frozen=True)
class Brand:
    """A brand: `own` marks the user's brands, the rest are competitors."""

    id: str
    name: str
    category: str
    own: bool
    style: BrandStyle


@dataclass(frozen=True)
class Sku:
    """One stock-keeping unit; `seed` drives its pack's small random details."""

    sku: str
    name: str
    brand: Brand
    category: str
    shape: str
    flavour: str
    size_label: str
    width_cm: float
    height_cm: float
    flavour_colour: RGB
    badge: str
    seed: int


@dataclass(frozen=True)
class Catalogue:
    """Brands and SKUs generated from `seed`."""

    seed: int
    brands: tuple[Brand, ...]
    skus: tuple[Sku, ...]

    def by_category(self, category: str) -> tuple[Sku, ...]:
        """The SKUs of `category`, in catalogue order."""
        return tuple(s for s in self.skus if s.category == category)

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories present, in first-seen order."""
        return tuple(dict.fromkeys(s.category for s in self.skus))

    def entries(self) -> list[CatalogueEntry]:
        """The catalogue-directory rows (no images) for these SKUs."""
        return [
            CatalogueEntry(
                sku=s.sku,
                brand=s.brand.name,
                name=s.name,
                category=s.category,
                shape=s.shape,
                own=s.brand.own,
                width_cm=s.width_cm,
                height_cm=s.height_cm,
            )
            for s in self.skus
        ]


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(0, len(options)))]


def _style(rng: np.random.Generator) -> BrandStyle:
    primary = random_colour(rng, s=(0.35, 1.0), v=(0.25, 1.0))
    secondary = hsv(rng.random(), rng.uniform(0.2, 1.0), rng.uniform(0.2, 1.0))
    accent = random_colour(rng, s=(0.6, 1.0), v=(0.7, 1.0))
    fill = secondary if abs(luminance(secondary) - luminance(primary)) > 0.25 else contrast(primary)
    return BrandStyle(
        primary=primary,
        secondary=secondary,
        accent=accent,
        template=_pick(rng, TEMPLATES),
        pattern=_pick(rng, PATTERNS),
        logo_shape=_pick(rng, LOGO_SHAPES),
        logo_fill=fill,
        logo_text=contrast(fill),
        logo_case=_pick(rng, ("upper", "title", "title", "lower")),
        logo_slant=float(rng.choice([0.0, 0.0, rng.uniform(-0.15, 0.3)])),
        logo_stretch=float(rng.uniform(0.75, 1.3)),
        logo_weight=float(rng.uniform(0.0, 0.04)),
        logo_y=float(rng.uniform(0.08, 0.4)),
        band_y=float(rng.uniform(0.45, 0.75)),
    )


def _brand_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = vocab.brand_name(rng)
        if name not in names:
            names.append(name)
    return names


def _skus(rng: np.random.Generator, brand: Brand, n: int) -> list[Sku]:
    formats = vocab.FORMATS[brand.category]
    n_fmt = min(len(formats), int(rng.integers(1, 4)), n)
    fmts = [formats[i] for i in rng.choice(len(formats), n_fmt, replace=False)]
    flavours = list(vocab.FLAVOURS[brand.category])
    n_flav = min(math.ceil(n / n_fmt), len(flavours))
    chosen = [flavours[i] for i in rng.choice(len(flavours), n_flav, replace=False)]
    combos = [(f, p) for f in chosen for p in fmts][:n]
    out = []
    for j, (flavour, fmt) in enumerate(combos):
        base = vocab.FLAVOUR_COLOURS.get(flavour) or random_colour(rng, s=(0.4, 1), v=(0.4, 1))
        out.append(
            Sku(
                sku=f"{brand.id}-{j:02d}",
                name=f"{brand.name} {flavour} {fmt.label}",
                brand=brand,
                category=brand.category,
                shape=fmt.shape,
                flavour=flavour,
                size_label=fmt.label,
                width_cm=fmt.width_cm,
                height_cm=fmt.height_cm,
                flavour_colour=jitter(base, rng, 0.08),
                badge=_pick(rng, BADGES),
                seed=int(rng.integers(0, 2**31)),
            )
        )
    return out


def make_catalogue(
    seed: int,
    n_brands: int = 12,
    skus_per_brand: int = 6,
    *,
    categories: Sequence[str] | None = None,
    n_own: int | None = None,
    id_prefix: str = "b",
) -> Catalogue:
    """Generate a catalogue deterministically from `seed`.

    Args:
        seed: Random seed; equal seeds give equal catalogues.
        n_brands: Number of brands.
        skus_per_brand: SKUs per brand (fewer when a category's formats and flavours run out).
        categories: Categories to use; by default one per four brands, drawn at random.
        n_own: How many brands are the user's own (default a quarter, at least one).
        id_prefix: Prefix of brand ids; SKU ids are `<prefix><brand>-<n>`, e.g. "b03-02".
    """
    rng = np.random.default_rng(seed)
    if categories is None:
        k = min(len(vocab.CATEGORIES), max(1, math.ceil(n_brands / 4)))
        categories = [vocab.CATEGORIES[i] for i in rng.choice(len(vocab.CATEGORIES), k, False)]
    own = max(1, n_brands // 4) if n_own is None else n_own
    brands = [
        Brand(
            id=f"{id_prefix}{i:02d}",
            name=name,
            category=categories[i % len(categories)],
            own=i < own,
            style=_style(rng),
        )
        for i, name in enumerate(_brand_names(rng, n_brands))
    ]
    skus = [s for b in brands for s in _skus(rng, b, skus_per_brand)]
    return Catalogue(seed=seed, brands=tuple(brands), skus=tuple(skus))


def write_catalogue_dir(
    catalogue: Catalogue, path: str | Path, *, images_per_sku: int = 1, height: int = 256
) -> Path:
    """Render reference packs and write a catalogue directory (see `vision.catalogue`).

    Image `<sku>_0.png` is the clean front; `<sku>_1.png`... are mildly jittered views.
    Images are RGBA with a transparent, white-filled background.

    Returns:
        The path of the written `catalogue.json`.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for entry, sku in zip(catalogue.entries(), catalogue.skus, strict=True):
        names = []
        for n in range(images_per_sku):
            rng = np.random.default_rng([catalogue.seed, sku.seed, n])
            reference_view(sku, height, rng, clean=n == 0).save(folder / f"{sku.sku}_{n}.png")
            names.append(f"{sku.sku}_{n}.png")
        entries.append(CatalogueEntry(**{**entry.__dict__, "images": tuple(names)}))
    return write_catalogue_json(entries, folder)
