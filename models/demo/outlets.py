"""The demo outlets: clustered like real retail around Lyon, with channels, classes and statuses.

Locations mix four kinds of place: the dense centre, corridors along the radial roads out of
town, suburban town centres, and a thin scatter everywhere else. What a shop is depends on
where it is (hypermarkets sit on the corridors and in the suburbs, cafés in the centre); its
class depends on its channel.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.demo.geography import CENTRE, PLACES, inside_hull, leaf_of
from models.demo.names import BANNERS, BY_OWNER, LYON_STREETS, STREETS, SURNAMES
from models.outlets import Channel, OutletClass, OutletStatus

CHANNELS = tuple(Channel)
CLASSES = tuple(OutletClass)
STATUSES = (OutletStatus.active, OutletStatus.prospect, OutletStatus.closed)
AREAS = ("centre", "corridor", "suburb", "scatter")
AREA_WEIGHTS = (0.36, 0.24, 0.32, 0.08)

# Channel mix by area: hypermarket, supermarket, convenience, traditional trade, horeca, other.
CHANNEL_MIX = np.array(
    [
        [0.002, 0.070, 0.360, 0.260, 0.270, 0.038],
        [0.020, 0.130, 0.300, 0.270, 0.170, 0.090],
        [0.012, 0.110, 0.300, 0.360, 0.150, 0.060],
        [0.008, 0.060, 0.200, 0.450, 0.180, 0.100],
    ]
)
# Class mix (A, B, C) by channel: big formats are mostly A, the long tail mostly C.
CLASS_MIX = np.array(
    [
        [0.80, 0.20, 0.00],
        [0.40, 0.45, 0.15],
        [0.10, 0.40, 0.50],
        [0.05, 0.30, 0.65],
        [0.10, 0.35, 0.55],
        [0.05, 0.25, 0.70],
    ]
)
# Share of prospects (shops not yet served) by channel; about 15 % overall.
PROSPECT = np.array([0.03, 0.08, 0.14, 0.18, 0.16, 0.15])
CLOSED = 0.02  # served shops that closed during the year

# Radial roads out of the centre: A6 to Limonest, N6/Rillieux, route de Genas, A43 to
# Saint-Priest, route de Vienne, A7 along the Rhône to Givors, and west to Tassin.
ROADS = (
    (4.770, 45.835),
    (4.898, 45.820),
    (4.990, 45.770),
    (4.955, 45.700),
    (4.885, 45.695),
    (4.780, 45.625),
    (4.730, 45.755),
)
# Town centres: lon, lat, spread (km) and weight (roughly the population).
TOWNS = (
    (4.880, 45.770, 1.0, 6.0), (4.925, 45.780, 0.8, 2.5), (4.910, 45.735, 0.7, 2.0),
    (4.885, 45.698, 0.8, 3.0), (4.944, 45.696, 0.8, 2.2), (5.003, 45.767, 0.6, 1.6),
    (4.959, 45.769, 0.6, 1.4), (4.847, 45.796, 0.6, 2.0), (4.898, 45.820, 0.6, 1.5),
    (4.807, 45.714, 0.5, 1.3), (4.793, 45.696, 0.6, 1.1), (4.769, 45.590, 0.6, 1.0),
    (4.842, 45.876, 0.5, 0.7), (4.777, 45.774, 0.5, 0.9), (4.780, 45.764, 0.5, 1.0),
    (4.763, 45.736, 0.5, 0.7), (4.853, 45.708, 0.5, 0.8), (4.771, 45.837, 0.4, 0.4),
    (4.805, 45.790, 0.5, 1.0),
)  # fmt: skip
KM_LON = 1 / (111.32 * math.cos(math.radians(CENTRE[1])))
KM_LAT = 1 / 110.57


@dataclass(frozen=True)
class Outlets:
    """Generated outlets, one entry per outlet in every field (indices into the tuples above)."""

    ids: list[uuid.UUID]
    codes: list[str]
    names: list[str]
    addresses: list[str]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    area: NDArray[np.intp]
    channel: NDArray[np.intp]
    klass: NDArray[np.intp]
    status: NDArray[np.intp]
    leaf: NDArray[np.intp]
    closes: NDArray[np.intp]  # the month index (0-11) from which a closed shop sells nothing

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def served(self) -> NDArray[np.bool_]:
        return np.asarray(self.status != STATUSES.index(OutletStatus.prospect), dtype=np.bool_)


def pick(rng: np.random.Generator, probabilities: NDArray[np.float64]) -> NDArray[np.intp]:
    """One draw per row from each row's categorical distribution."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    draws = rng.random(len(probabilities))[:, None]
    return np.asarray((draws > cumulative).sum(axis=1), dtype=np.intp)


Points = tuple[NDArray[np.float64], NDArray[np.float64]]


def _around(lon: Any, lat: Any, dx_km: Any, dy_km: Any) -> Points:
    return np.asarray(lon + dx_km * KM_LON), np.asarray(lat + dy_km * KM_LAT)


def _centre(rng: np.random.Generator, n: int) -> Points:
    return _around(CENTRE[0], CENTRE[1], rng.normal(0, 1.6, n), rng.normal(0, 1.3, n))


def _corridors(rng: np.random.Generator, n: int) -> Points:
    """Along a radial road, thinning out of town, a few hundred metres either side."""
    ends = np.array(ROADS)[rng.integers(0, len(ROADS), n)]
    vx, vy = (ends[:, 0] - CENTRE[0]) / KM_LON, (ends[:, 1] - CENTRE[1]) / KM_LAT
    along = 0.12 + 0.88 * rng.random(n) ** 1.3
    across = rng.normal(0, 0.3, n) / np.hypot(vx, vy)
    return _around(CENTRE[0], CENTRE[1], vx * along - vy * across, vy * along + vx * across)


def _towns(rng: np.random.Generator, n: int) -> Points:
    towns = np.array(TOWNS)
    town = towns[rng.choice(len(TOWNS), size=n, p=towns[:, 3] / towns[:, 3].sum())]
    dx, dy = rng.normal(0, 1, (2, n)) * town[:, 2]
    return _around(town[:, 0], town[:, 1], dx, dy)


def _scatter(rng: np.random.Generator, n: int) -> Points:
    return rng.uniform(4.68, 5.07, n), rng.uniform(45.58, 45.92, n)


def _candidates(rng: np.random.Generator, n: int) -> tuple[NDArray[np.float64], ...]:
    """``n`` points, each from one of ``AREAS`` (drawn by ``AREA_WEIGHTS``), with its area."""
    area = rng.choice(len(AREAS), size=n, p=AREA_WEIGHTS)
    drawn = [make(rng, n) for make in (_centre, _corridors, _towns, _scatter)]
    chosen = [area == i for i in range(len(AREAS))]
    lon = np.select(chosen, [points[0] for points in drawn])
    lat = np.select(chosen, [points[1] for points in drawn])
    return np.round(lon, 6), np.round(lat, 6), area.astype(np.float64)


def _locations(
    rng: np.random.Generator, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """``n`` points inside the outline with their areas, drawn in batches, kept when inside."""
    kept: list[tuple[NDArray[np.float64], ...]] = []
    while sum(len(batch[0]) for batch in kept) < n:
        lon, lat, area = _candidates(rng, n)
        inside = inside_hull(lon, lat)
        kept.append((lon[inside], lat[inside], area[inside]))
    lon, lat, area = (np.concatenate(parts)[:n] for parts in zip(*kept, strict=True))
    return lon, lat, area.astype(np.intp)


def _place_label(place: int, town: str) -> str:
    """What a chain calls its branch: the town, or the district within Lyon."""
    return PLACES[place].name.removeprefix("Lyon ") if town == "Lyon" else town


def _texts(
    rng: np.random.Generator, channel: NDArray[np.intp], leaf: NDArray[np.intp]
) -> Iterator[tuple[str, str]]:
    """Each outlet's name and address."""
    n = len(channel)
    draws = zip(
        channel.tolist(),
        leaf.tolist(),
        rng.random((n, 5)).tolist(),
        rng.integers(1, 180, n).tolist(),
        strict=True,
    )
    for ch, place, (u_town, u_street, u_banner, u_owner, u_surname), number in draws:
        towns = PLACES[place].towns
        postcode, town = towns[int(u_town * len(towns))]
        streets = LYON_STREETS + STREETS if town == "Lyon" else STREETS
        street = streets[int(u_street * len(streets))]
        channel_name = CHANNELS[ch].value
        banners = BANNERS[channel_name]
        banner = banners[int(u_banner * len(banners))]
        if channel_name in BY_OWNER and u_owner < 0.7:
            name = f"{banner} {SURNAMES[int(u_surname * len(SURNAMES))]}"
        elif CHANNELS[ch] in (Channel.hypermarket, Channel.supermarket):
            name = f"{banner} {_place_label(place, town)}"
        else:
            name = f"{banner} {street.split()[-1]}"
        yield name, f"{number} {street}, {postcode} {town}"


def make_outlets(rng: np.random.Generator, n: int) -> Outlets:
    """``n`` outlets drawn from ``rng``: the same generator state gives the same outlets."""
    lon, lat, area = _locations(rng, n)
    channel = pick(rng, CHANNEL_MIX[area])
    klass = pick(rng, CLASS_MIX[channel])
    prospect = rng.random(n) < PROSPECT[channel]
    closed = ~prospect & (rng.random(n) < CLOSED) & (channel != 0)
    status = np.where(prospect, 1, np.where(closed, 2, 0)).astype(np.intp)
    leaf = leaf_of(lon, lat)
    numbers = rng.choice(900_000, size=n, replace=False) + 100_000
    texts = list(_texts(rng, channel, leaf))
    return Outlets(
        ids=[uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(n)],
        codes=[f"LY{number}" for number in numbers.tolist()],
        names=[name for name, _ in texts],
        addresses=[address for _, address in texts],
        lon=lon,
        lat=lat,
        area=area,
        channel=channel,
        klass=klass,
        status=status,
        leaf=leaf,
        closes=np.where(closed, rng.integers(3, 12, n), 12).astype(np.intp),
    )


COLUMNS = ("id", "code", "name", "address", "channel", "outlet_class", "status", "location")
COLUMNS_ALL = (*COLUMNS, "attributes")


def outlet_rows(outlets: Outlets) -> Iterator[Sequence[object]]:
    """Rows for COPY into ``outlet`` (territories are assigned afterwards, in SQL)."""
    for i in range(len(outlets)):
        yield (
            outlets.ids[i],
            outlets.codes[i],
            outlets.names[i],
            outlets.addresses[i],
            CHANNELS[outlets.channel[i]].value,
            CLASSES[outlets.klass[i]].value,
            STATUSES[outlets.status[i]].value,
            f"SRID=4326;POINT({outlets.lon[i]} {outlets.lat[i]})",
            json.dumps({"demo": True, "area": AREAS[outlets.area[i]]}),
        )
