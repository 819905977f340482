"""Plain SVG pictures of the demo: a share-of-shelf chart by week and a territory map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 760, 420
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
FONT = 'font-family="Helvetica, Arial, sans-serif"'


@dataclass(frozen=True)
class Series:
    label: str
    own: bool
    points: dict[str, float]  # week -> share (0-1)


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="16" y="26" font-size="16" font-weight="bold" {FONT}>{escape(title)}</text>',
            *body,
            "</svg>",
            "",
        ]
    )


def share_chart(weeks: Sequence[str], series: Sequence[Series], title: str) -> str:
    """Lines of each brand's linear share of shelf by week; our brands drawn solid."""
    left, right, top, bottom = 56, 190, 44, 40
    w, h = WIDTH - left - right, HEIGHT - top - bottom
    peak = max((v for s in series for v in s.points.values()), default=0.0)
    ceiling = max(0.1, min(1.0, (int(peak * 10) + 1) / 10))

    def x(i: int) -> float:
        return left + (w * i / max(len(weeks) - 1, 1))

    def y(v: float) -> float:
        return top + h * (1 - v / ceiling)

    body = []
    for k in range(6):
        v = ceiling * k / 5
        body.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + w}" y2="{y(v):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" {FONT}>'
            f"{100 * v:.0f} %</text>"
        )
    for i, week in enumerate(weeks):
        body.append(
            f'<text x="{x(i):.1f}" y="{top + h + 18}" font-size="11" text-anchor="middle" '
            f"{FONT}>{escape(week)}</text>"
        )
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        dash = "" if s.own else ' stroke-dasharray="6 4"'
        points = [(x(i), y(s.points[wk])) for i, wk in enumerate(weeks) if wk in s.points]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        body.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>' for px, py in points
        )
        ly = top + 14 + 20 * n
        label = f"{s.label} ({'ours' if s.own else 'rival'})"
        body.append(
            f'<line x1="{left + w + 16}" y1="{ly - 4}" x2="{left + w + 40}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
            f'<text x="{left + w + 46}" y="{ly}" font-size="12" {FONT}>{escape(label)}</text>'
        )
    return _svg(WIDTH, HEIGHT, body, title)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [ring for polygon in polygons for ring in polygon]


@dataclass(frozen=True)
class Marker:
    lon: float
    lat: float
    kind: str  # "active", "prospect" or "opportunity"
    label: str = ""


MARKERS = {
    "active": ('r="3" fill="#1f77b4" fill-opacity="0.75"', "active outlet (served)"),
    "prospect": ('r="3" fill="none" stroke="#777" stroke-width="1.2"', "prospect"),
    "opportunity": ('r="7" fill="#ff7f0e" stroke="#7a3d00" stroke-width="1.5"', "top opportunity"),
}


def territory_map(geometry: dict[str, Any], markers: Sequence[Marker], title: str) -> str:
    """The territory's outline with its outlets, prospects and ranked opportunities."""
    rings = _rings(geometry)
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    # Equirectangular at Lyon's latitude: a degree of longitude is ~0.69 of one of latitude.
    aspect = 0.69
    size, top, pad = 560, 40, 20
    span = max((max(lons) - min(lons)) * aspect, max(lats) - min(lats))
    scale = (size - 2 * pad) / span
    width = int((max(lons) - min(lons)) * aspect * scale + 2 * pad) + 220
    height = int((max(lats) - min(lats)) * scale + 2 * pad) + top

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return pad + (lon - min(lons)) * aspect * scale, top + pad + (max(lats) - lat) * scale

    body = []
    for ring in rings:
        path = " ".join("{:.1f},{:.1f}".format(*xy(lon, lat)) for lon, lat in ring[:])
        body.append(f'<polygon points="{path}" fill="#f3f6fa" stroke="#345" stroke-width="1.5"/>')
    order = {"prospect": 0, "active": 1, "opportunity": 2}
    for m in sorted(markers, key=lambda m: order[m.kind]):
        cx, cy = xy(m.lon, m.lat)
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" {MARKERS[m.kind][0]}/>')
        if m.label:
            body.append(
                f'<text x="{cx:.1f}" y="{cy + 3.5:.1f}" font-size="9" text-anchor="middle" '
                f'fill="white" font-weight="bold" {FONT}>{escape(m.label)}</text>'
            )
    legend_x = width - 200
    for n, (style, label) in enumerate(MARKERS.values()):
        ly = top + 20 + 22 * n
        body.append(
            f'<circle cx="{legend_x}" cy="{ly - 4}" {style}/>'
            f'<text x="{legend_x + 14}" y="{ly}" font-size="12" {FONT}>{escape(label)}</text>'
        )
    return _svg(width, height, body, title)
