"""Charts and maps drawn on the server as inline SVG: no chart library, no base-map tiles."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Colour-blind-safe palette (Okabe-Ito), dark enough on white for lines and dots.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")


@dataclass(frozen=True)
class Series:
    name: str
    points: dict[str, float]  # x label (an ISO week) → value 0..1


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    path: str
    dots: list[tuple[float, float, str]]  # x, y, tooltip


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    labels: list[tuple[float, str]]
    ticks: list[tuple[float, str]]
    lines: list[Line]


def trend(series: Sequence[Series], width: int = 640, height: int = 220) -> Trend:
    """Weekly share lines, one per brand, on a 0 to max axis."""
    weeks = sorted({week for s in series for week in s.points})
    top = max((v for s in series for v in s.points.values()), default=0.0)
    top = max(0.1, min(1.0, (int(top * 10) + 1) / 10))
    left, right, upper, lower = 48, 36, 12, 28  # room for the last week's label
    span_x = max(1, len(weeks) - 1)

    def x(i: int) -> float:
        return left + (width - left - right) * i / span_x

    def y(v: float) -> float:
        return upper + (height - upper - lower) * (1 - v / top)

    lines = []
    for n, s in enumerate(series):
        dots = [
            (x(i), y(s.points[w]), f"{s.name} {w}: {s.points[w] * 100:.1f} %")
            for i, w in enumerate(weeks)
            if w in s.points
        ]
        path = " ".join(
            f"{'M' if k == 0 else 'L'}{px:.1f},{py:.1f}" for k, (px, py, _) in enumerate(dots)
        )
        lines.append(Line(s.name, PALETTE[n % len(PALETTE)], path, dots))
    ticks = [(y(top * k / 4), f"{top * k / 4 * 100:.0f} %") for k in range(5)]
    return Trend(width, height, [(x(i), w) for i, w in enumerate(weeks)], ticks, lines)


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    colour: str
    label: str
    href: str | None = None
    radius: float = 3.0


@dataclass(frozen=True)
class Map:
    width: int
    height: int
    polygons: list[str]
    dots: list[Dot]


def _rings(geometry: dict[str, Any] | None) -> list[list[list[float]]]:
    if not geometry:
        return []
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    colour: str
    label: str
    href: str | None = None
    radius: float = 3.0


def territory_map(
    geometry: dict[str, Any] | None, places: Iterable[Place], width: int = 520
) -> Map:
    """The territory's outline with points on it, in an equirectangular view of its box.

    Longitudes are squeezed by cos(latitude) so a city does not look stretched sideways.
    """
    places = list(places)
    rings = _rings(geometry)
    lons = [p[0] for ring in rings for p in ring] + [p.lon for p in places]
    lats = [p[1] for ring in rings for p in ring] + [p.lat for p in places]
    if not lons:
        return Map(width, width, [], [])
    squeeze = math.cos(math.radians(sum(lats) / len(lats)))
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    span_x = max((east - west) * squeeze, 1e-6)
    span_y = max(north - south, 1e-6)
    margin = 8
    scale = (width - 2 * margin) / max(span_x, span_y)
    height = int(span_y * scale + 2 * margin)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return margin + (lon - west) * squeeze * scale, margin + (north - lat) * scale

    polygons = [
        " ".join(f"{px:.1f},{py:.1f}" for px, py in (xy(lon, lat) for lon, lat, *_ in ring))
        for ring in rings
    ]
    dots = [Dot(*xy(p.lon, p.lat), p.colour, p.label, p.href, p.radius) for p in places]
    return Map(width, height, polygons, dots)


def pixel_deg(geometry: dict[str, Any] | None, width: int = 520) -> float:
    """About two pixels of ``territory_map``'s view of the geometry, in degrees of latitude."""
    rings = _rings(geometry)
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    if not lons:
        return 0.001
    squeeze = math.cos(math.radians(sum(lats) / len(lats)))
    span = max((max(lons) - min(lons)) * squeeze, max(lats) - min(lats), 1e-6)
    return 2 * span / width


def ramp(value: float, low: float, high: float) -> str:
    """A colour from pale yellow (low) to dark red (high) for expected uplift."""
    t = 0.0 if high <= low else max(0.0, min(1.0, (value - low) / (high - low)))
    stops = ((255, 214, 102), (230, 97, 1), (128, 0, 38))
    i = 0 if t < 0.5 else 1
    f = t * 2 - i
    r, g, b = (round(a + (c - a) * f) for a, c in zip(stops[i], stops[i + 1], strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
