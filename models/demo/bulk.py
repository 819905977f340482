"""Set-based writes of the generated market: COPY into the tables, in the session's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from psycopg import sql
from sqlalchemy import text
from sqlmodel import Session

from models.checkins import FLAG_WEIGHTS
from models.demo.visits import VisitRow
from models.imports.staging import driver
from models.settings import Settings
from models.visits import VisitFlag

CHUNK_ROWS = 50_000


def _copy(table: str, columns: Sequence[str]) -> sql.Composed:
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    return sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), names)


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    """COPY Python rows into ``table``; returns how many were written."""
    written = 0
    with driver(session).cursor() as cursor, cursor.copy(_copy(table, columns)) as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def copy_text(session: Session, table: str, columns: Sequence[str], chunks: Iterable[str]) -> None:
    """COPY text already in COPY's format (tab-separated lines): the fast path for big tables."""
    with driver(session).cursor() as cursor, cursor.copy(_copy(table, columns)) as copy:
        for chunk in chunks:
            copy.write(chunk.encode())


def sales_text(
    outlet_ids: Sequence[str],
    sku_ids: Sequence[str],
    months: Sequence[date],
    rows: tuple[list[int], list[int], list[int], list[int], list[int]],
) -> Iterator[str]:
    """Sale rows as COPY text, ``CHUNK_ROWS`` at a time; values come in cents."""
    days = [m.isoformat() for m in months]
    outlet, sku, month, quantity, cents = rows
    for start in range(0, len(outlet), CHUNK_ROWS):
        end = start + CHUNK_ROWS
        yield "".join(
            f"{outlet_ids[o]}\t{sku_ids[s]}\t{days[m]}\t{q}\t{c // 100}.{c % 100:02d}\n"
            for o, s, m, q, c in zip(
                outlet[start:end],
                sku[start:end],
                month[start:end],
                quantity[start:end],
                cents[start:end],
                strict=True,
            )
        )


_VISIT_STAGE = text("""
CREATE TEMPORARY TABLE demo_visit (
    id uuid, rep_id uuid, outlet_id uuid, started_at timestamptz, ended_at timestamptz,
    received_at timestamptz, checkout_received_at timestamptz, lon float8, lat float8,
    accuracy_m float8, end_lon float8, end_lat float8, end_accuracy_m float8
) ON COMMIT DROP
""")
# The verdict, flags and trust score are those models.checkins gives a live check-in; the
# distance is measured on the spheroid against the stored outlet, as there.
_VISIT_INSERT = text("""
INSERT INTO visit (
    id, rep_id, outlet_id, started_at, received_at, device_time, location, accuracy_m,
    mock_location, distance_m, geofence, flags, trust_score, checkin_digest, ended_at,
    end_location, end_accuracy_m, checkout_received_at, checkout_digest
)
SELECT v.id, v.rep_id, v.outlet_id, v.started_at, v.received_at, v.received_at, v.point,
       v.accuracy_m, false, round(v.distance::numeric, 2), v.geofence::geofence_verdict,
       array_remove(ARRAY[
           CASE WHEN v.geofence = 'outside' THEN :far END,
           CASE WHEN v.accuracy_m > :poor_accuracy THEN :poor END
       ], NULL),
       round(((CASE WHEN v.geofence = 'outside' THEN 1 - :far_weight ELSE 1 END)
              * (CASE WHEN v.accuracy_m > :poor_accuracy THEN 1 - :poor_weight ELSE 1 END)
             )::numeric, 3),
       encode(sha256(convert_to(v.id::text || '/check-in', 'UTF8')), 'hex'),
       v.ended_at, ST_SetSRID(ST_MakePoint(v.end_lon, v.end_lat), 4326), v.end_accuracy_m,
       v.checkout_received_at,
       encode(sha256(convert_to(v.id::text || '/check-out', 'UTF8')), 'hex')
FROM (
    SELECT s.*, p.point, d.distance,
           CASE WHEN d.distance <= :radius THEN 'inside'
                WHEN d.distance - s.accuracy_m <= :radius THEN 'uncertain'
                ELSE 'outside' END AS geofence
    FROM demo_visit AS s
    JOIN outlet AS o ON o.id = s.outlet_id
    CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) AS point) AS p
    CROSS JOIN LATERAL (
        SELECT ST_Distance(p.point::geography, o.location::geography) AS distance
    ) AS d
) AS v
""")
VISIT_COLUMNS = (
    "id", "rep_id", "outlet_id", "started_at", "ended_at", "received_at", "checkout_received_at",
    "lon", "lat", "accuracy_m", "end_lon", "end_lat", "end_accuracy_m",
)  # fmt: skip


def insert_visits(session: Session, settings: Settings, visits: Sequence[VisitRow]) -> int:
    """Stage the visits with COPY, then store them with their geofence verdicts in one INSERT."""
    session.execute(_VISIT_STAGE)
    copy_rows(
        session,
        "demo_visit",
        VISIT_COLUMNS,
        ([getattr(v, name) for name in VISIT_COLUMNS] for v in visits),
    )
    result = session.execute(
        _VISIT_INSERT,
        {
            "radius": settings.geofence_radius_m,
            "poor_accuracy": settings.poor_gps_accuracy_m,
            "far": VisitFlag.far_from_outlet.value,
            "poor": VisitFlag.poor_gps_accuracy.value,
            "far_weight": FLAG_WEIGHTS[VisitFlag.far_from_outlet],
            "poor_weight": FLAG_WEIGHTS[VisitFlag.poor_gps_accuracy],
        },
    )
    session.execute(text("DROP TABLE demo_visit"))
    return int(result.rowcount)  # type: ignore[attr-defined]
