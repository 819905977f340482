"""The demo market's geography: the Métropole de Lyon, cut into three regions and 20 territories.

Each leaf territory is the Voronoi cell of a real place (a district of Lyon or a suburb),
clipped to an outline of the metropolis, so leaves tile the area exactly: neighbours share
their edges vertex for vertex, nothing overlaps, nothing is left out. Regions are the union of
their leaves and the country is the outline itself. Cells are computed in lon/lat degrees, as
PostGIS does; ``leaf_of`` answers the same nearest-place question for generated points.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlmodel import Session


@dataclass(frozen=True)
class Place:
    """A leaf territory's seed: where it is, what it is called, the towns in it."""

    name: str
    lon: float
    lat: float
    region: str
    towns: tuple[tuple[str, str], ...]  # (post code, town) of its addresses


@dataclass(frozen=True)
class Region:
    code: str
    name: str


COUNTRY_CODE = "FR"
COUNTRY_NAME = "France"
REGIONS = (
    Region("FR-LYO-CEN", "Lyon Centre"),
    Region("FR-LYO-NOR", "Lyon Nord-Ouest"),
    Region("FR-LYO-EST", "Lyon Est & Sud"),
)
CENTRE = (4.842, 45.760)  # between Bellecour and Part-Dieu

PLACES = (
    Place("Lyon Presqu'île", 4.8330, 45.7600, "FR-LYO-CEN", (("69001", "Lyon"), ("69002", "Lyon"))),
    Place("Lyon Part-Dieu", 4.8580, 45.7640, "FR-LYO-CEN", (("69003", "Lyon"), ("69006", "Lyon"))),
    Place("Lyon Croix-Rousse", 4.8300, 45.7790, "FR-LYO-CEN", (("69004", "Lyon"),)),
    Place("Lyon Fourvière", 4.8100, 45.7590, "FR-LYO-CEN", (("69005", "Lyon"),)),
    Place("Lyon Gerland", 4.8400, 45.7370, "FR-LYO-CEN", (("69007", "Lyon"),)),
    Place("Lyon Monplaisir", 4.8690, 45.7350, "FR-LYO-CEN", (("69008", "Lyon"),)),
    Place(
        "Vaise / Écully", 4.7900, 45.7760, "FR-LYO-NOR",
        (("69009", "Lyon"), ("69130", "Écully")),
    ),
    Place(
        "Tassin / Francheville", 4.7650, 45.7500, "FR-LYO-NOR",
        (("69160", "Tassin-la-Demi-Lune"), ("69340", "Francheville")),
    ),
    Place("Caluire-et-Cuire", 4.8470, 45.7960, "FR-LYO-NOR", (("69300", "Caluire-et-Cuire"),)),
    Place("Rillieux-la-Pape", 4.8980, 45.8200, "FR-LYO-NOR", (("69140", "Rillieux-la-Pape"),)),
    Place(
        "Val de Saône", 4.8250, 45.8650, "FR-LYO-NOR",
        (("69250", "Neuville-sur-Saône"), ("69270", "Fontaines-sur-Saône")),
    ),
    Place(
        "Limonest / Dardilly", 4.7650, 45.8250, "FR-LYO-NOR",
        (("69760", "Limonest"), ("69570", "Dardilly")),
    ),
    Place("Villeurbanne", 4.8800, 45.7700, "FR-LYO-EST", (("69100", "Villeurbanne"),)),
    Place("Vaulx-en-Velin", 4.9250, 45.7800, "FR-LYO-EST", (("69120", "Vaulx-en-Velin"),)),
    Place(
        "Meyzieu / Décines", 4.9900, 45.7700, "FR-LYO-EST",
        (("69330", "Meyzieu"), ("69150", "Décines-Charpieu")),
    ),
    Place("Bron", 4.9100, 45.7350, "FR-LYO-EST", (("69500", "Bron"),)),
    Place("Saint-Priest", 4.9550, 45.7000, "FR-LYO-EST", (("69800", "Saint-Priest"),)),
    Place("Vénissieux", 4.8850, 45.6980, "FR-LYO-EST", (("69200", "Vénissieux"),)),
    Place(
        "Oullins / Saint-Genis", 4.8000, 45.7050, "FR-LYO-EST",
        (("69600", "Oullins-Pierre-Bénite"), ("69230", "Saint-Genis-Laval")),
    ),
    Place(
        "Givors / Vallée du Rhône", 4.7800, 45.6250, "FR-LYO-EST",
        (("69700", "Givors"), ("69390", "Vernaison")),
    ),
)  # fmt: skip


# The outline of the metropolis, clockwise from the Saône north of Neuville (lon, lat).
HULL = (
    (4.770, 45.905), (4.835, 45.915), (4.880, 45.880), (4.925, 45.845), (4.975, 45.820),
    (5.030, 45.805), (5.065, 45.785), (5.060, 45.750), (5.020, 45.725), (4.990, 45.690),
    (4.960, 45.670), (4.915, 45.670), (4.870, 45.665), (4.830, 45.640), (4.800, 45.600),
    (4.760, 45.585), (4.735, 45.605), (4.745, 45.650), (4.730, 45.690), (4.700, 45.720),
    (4.690, 45.760), (4.705, 45.800), (4.720, 45.840), (4.745, 45.875),
)  # fmt: skip


def leaf_codes() -> list[str]:
    """Codes of the leaves in ``PLACES`` order: the region's code and a number within it."""
    counts: dict[str, int] = {}
    codes = []
    for place in PLACES:
        counts[place.region] = counts.get(place.region, 0) + 1
        codes.append(f"{place.region}-{counts[place.region]:02d}")
    return codes


def territory_names() -> dict[str, str]:
    """Every demo territory's name by its code."""
    leaves = dict(zip(leaf_codes(), (place.name for place in PLACES), strict=True))
    return {COUNTRY_CODE: COUNTRY_NAME, **{r.code: r.name for r in REGIONS}, **leaves}


def hull_wkt() -> str:
    ring = ", ".join(f"{lon} {lat}" for lon, lat in (*HULL, HULL[0]))
    return f"POLYGON(({ring}))"


def inside_hull(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether each point lies inside the outline (even-odd ray casting, vectorised)."""
    inside = np.zeros(lon.shape, dtype=bool)
    xs, ys = np.array([p[0] for p in HULL]), np.array([p[1] for p in HULL])
    for i in range(len(HULL)):
        x1, y1, x2, y2 = xs[i - 1], ys[i - 1], xs[i], ys[i]
        crosses = (y1 > lat) != (y2 > lat)
        at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1 if y2 != y1 else 1e-12)
        inside ^= crosses & (lon < at)
    return inside


def leaf_of(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index in ``PLACES`` of each point's leaf: its nearest place, as the Voronoi cells say."""
    px = np.array([p.lon for p in PLACES])
    py = np.array([p.lat for p in PLACES])
    d2 = (lon[:, None] - px[None, :]) ** 2 + (lat[:, None] - py[None, :]) ** 2
    return np.asarray(np.argmin(d2, axis=1), dtype=np.intp)


# Voronoi cells of the places, each matched to its place and clipped to the outline. The
# extent envelope is wider than the outline so that no cell is cut short before clipping.
_TERRITORIES = text("""
WITH hull AS (SELECT ST_SetSRID(ST_GeomFromText(:hull), 4326) AS g),
places AS (
    SELECT p.id, p.code, p.name, p.region, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326) AS pt
    FROM unnest(CAST(:ids AS uuid[]), CAST(:codes AS text[]), CAST(:names AS text[]),
                CAST(:regions AS text[]), CAST(:lons AS float8[]), CAST(:lats AS float8[]))
         AS p(id, code, name, region, lon, lat)
),
cells AS (
    SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(pt), 0, ST_Expand(hull.g, 0.2)))).geom AS g
    FROM places, hull GROUP BY hull.g
),
leaves AS (
    SELECT places.*,
           ST_Multi(ST_CollectionExtract(ST_Intersection(ST_SetSRID(cells.g, 4326), hull.g), 3))
               AS geom
    FROM places JOIN cells ON ST_Contains(ST_SetSRID(cells.g, 4326), places.pt) CROSS JOIN hull
),
country AS (
    INSERT INTO territory (id, code, name, level, parent_id, geom)
    SELECT :country_id, :country_code, :country_name, 'country', NULL, ST_Multi(hull.g) FROM hull
    RETURNING id
),
regions AS (
    INSERT INTO territory (id, code, name, level, parent_id, geom)
    SELECT r.id, r.code, r.name, 'region', (SELECT id FROM country),
           (SELECT ST_Multi(ST_Union(geom)) FROM leaves WHERE leaves.region = r.code)
    FROM unnest(CAST(:region_ids AS uuid[]), CAST(:region_codes AS text[]),
                CAST(:region_names AS text[])) AS r(id, code, name)
    RETURNING id, code
)
INSERT INTO territory (id, code, name, level, parent_id, geom)
SELECT leaves.id, leaves.code, leaves.name, 'territory', regions.id, leaves.geom
FROM leaves JOIN regions ON regions.code = leaves.region
""")


@dataclass(frozen=True)
class Geography:
    """Ids of the territories made: the country, regions by code, leaves in ``PLACES`` order."""

    country: uuid.UUID
    regions: dict[str, uuid.UUID]
    leaves: list[uuid.UUID]
    leaf_codes: list[str]


def make_geography(rng: np.random.Generator) -> Geography:
    def ids(n: int) -> list[uuid.UUID]:
        return [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(n)]

    country, *regions = ids(1 + len(REGIONS))
    return Geography(
        country=country,
        regions={r.code: rid for r, rid in zip(REGIONS, regions, strict=True)},
        leaves=ids(len(PLACES)),
        leaf_codes=leaf_codes(),
    )


def insert_territories(session: Session, geography: Geography) -> None:
    """The country, its regions and its leaves, in one statement. Flushes, never commits."""
    session.execute(
        _TERRITORIES,
        {
            "hull": hull_wkt(),
            "ids": geography.leaves,
            "codes": geography.leaf_codes,
            "names": [p.name for p in PLACES],
            "regions": [p.region for p in PLACES],
            "lons": [p.lon for p in PLACES],
            "lats": [p.lat for p in PLACES],
            "country_id": geography.country,
            "country_code": COUNTRY_CODE,
            "country_name": COUNTRY_NAME,
            "region_ids": list(geography.regions.values()),
            "region_codes": list(geography.regions),
            "region_names": [r.name for r in REGIONS],
        },
    )
