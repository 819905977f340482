"""Benchmark: the planning queries on a generated market, against a bare GROUP BY of the sales.

Builds a country of R regions × L leaf territories over lon 2 to 5, lat 48 to 49, N outlets
(bench.imports' generator: every channel, class and status), S SKUs and M months of sales at
a given SKU-outlet density, loaded through the bulk import path; then visits, audits and
orders for the last months in SQL. Times the coverage table for the country, a region and a
leaf computed from the facts, then the rollup's refresh and the same tables read from it (and
with one territory written to since; then with 1, 10, 50 and 500 outlets written to since,
read with their outlets' marks and with the same marks as whole territories), the gap, the
opportunities, and ``SELECT sku_id, count(*) ... GROUP BY`` over the same month of sales as
the floor; prints EXPLAIN ANALYZE summaries of the coverage (both ways) and gap plans. Uses a
throwaway cluster, or a throwaway database on DATABASE_URL's server, or with ``--keep URL``
that database, loaded once and kept so that later runs only measure.

    .venv/bin/python -m bench.planning [--outlets 5000 --skus 60 --months 13 --density 0.1]
    .venv/bin/python -m bench.planning --outlets 100000 --skus 300 --regions 10 --leaves 19
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.progress import track
from sqlalchemy import Engine, TextClause, create_engine, text
from sqlmodel import Session, col, select

from bench._common import database
from bench.imports import outlets_csv
from models import migrate
from models.db import unit_of_work
from models.imports import Kind, import_file
from models.planning import coverage, gap, opportunities, rollup
from models.planning.coverage import CoverageFilter, CoverageTable
from models.planning.frame import Frame, add_months
from models.planning.gap import GapOptions
from models.planning.opportunities import OpportunityOptions
from models.planning.rollup import refresh_planning_rollup
from models.territories import Territory
from models.users import Role, create_user

PERIOD = date(2026, 10, 1)
AS_OF = date(2026, 10, 20)
WEST, SOUTH, WIDTH, HEIGHT = 2.0, 48.0, 3.0, 1.0


def territories_csv(path: Path, regions: int, leaves: int) -> Path:
    """The country, R vertical strips (regions), each cut into L horizontal leaves."""
    lines = ["code,name,level,parent_code,geometry", f"FR,Country,country,,{box(0, 0, 1, 1)}"]
    for r in range(regions):
        lines.append(f"R{r:02d},Region {r},region,FR,{box(r / regions, 0, 1 / regions, 1)}")
        for leaf in range(leaves):
            cell = box(r / regions, leaf / leaves, 1 / regions, 1 / leaves)
            lines.append(f"R{r:02d}-{leaf:02d},Area {r}.{leaf},territory,R{r:02d},{cell}")
    path.write_text("\n".join(lines) + "\n")
    return path


def box(x: float, y: float, w: float, h: float) -> str:
    """A rectangle given in fractions of the country's extent, as a quoted WKT polygon."""
    lon, lat, w, h = WEST + x * WIDTH, SOUTH + y * HEIGHT, w * WIDTH, h * HEIGHT
    ring = [(lon, lat), (lon + w, lat), (lon + w, lat + h), (lon, lat + h), (lon, lat)]
    return '"POLYGON((' + ", ".join(f"{a:.6f} {b:.6f}" for a, b in ring) + '))"'


def skus_csv(path: Path, count: int) -> Path:
    lines = ["code,name,brand_code,category_code,brand_name,brand_own,category_name,rrp"]
    for i in range(count):
        brand, category = i % 10, i % 6
        lines.append(
            f"SKU-{i:04d},Product {i},B{brand},C{category},Brand {brand},"
            f"{'true' if brand < 5 else 'false'},Category {category},{1 + i % 9}.50"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def sales_csv(
    folder: Path, outlets: list[str], skus: int, months: int, density: float, rng: random.Random
) -> tuple[list[Path], int]:
    """One row per outlet, SKU and month, for a ``density`` share of outlet-SKU pairs.

    One file per month, as an ERP exports them (an import takes at most 5 million rows).
    """
    first = add_months(PERIOD, 1 - months)
    paths = [folder / f"sales-{add_months(first, m):%Y-%m}.csv" for m in range(months)]
    files = [path.open("w") for path in paths]
    rows = 0
    try:
        for out in files:
            out.write("outlet_code,sku_code,date,quantity,value\n")
        for outlet in outlets:
            pace = rng.uniform(0.2, 3.0)
            for sku in range(skus):
                if rng.random() >= density:
                    continue
                price = 1 + sku % 9 + 0.5
                for m, out in enumerate(files):
                    day = add_months(first, m).replace(day=1 + rng.randrange(AS_OF.day))
                    quantity = max(1, round(rng.expovariate(1 / (8 * pace))))
                    out.write(f"{outlet},SKU-{sku:04d},{day},{quantity},{quantity * price:.2f}\n")
                    rows += 1
    finally:
        for out in files:
            out.close()
    return paths, rows


def targets_csv(path: Path, leaves: list[str], skus: int, rng: random.Random) -> Path:
    lines = ["territory_code,sku_code,period,quantity"]
    for leaf in leaves:
        for sku in range(skus):
            lines.append(f"{leaf},SKU-{sku:04d},{PERIOD:%Y-%m},{rng.randint(50, 2000)}")
    path.write_text("\n".join(lines) + "\n")
    return path


# Visits across the history and the period: the active outlets' served footprint; audits and
# orders on the period's visits are the presence evidence.
FIELD_WORK = [
    """
    INSERT INTO visit (id, rep_id, outlet_id, started_at, location, mock_location, distance_m,
                       geofence, trust_score, checkin_digest, ended_at)
    SELECT gen_random_uuid(), :rep, x.id, x.at, x.location, false, 5, 'inside', 1, 'bench',
           x.at + interval '20 minutes'
    FROM (SELECT o.id, o.location,
                 timestamptz '2026-07-01' + random() * interval '111 days' AS at
          FROM outlet AS o CROSS JOIN generate_series(1, 4)
          WHERE o.status = 'active' AND random() < 0.8) AS x
    """,
    "INSERT INTO audit (id, visit_id, digest) "
    "SELECT gen_random_uuid(), id, 'bench' FROM visit WHERE started_at >= :period",
    """
    INSERT INTO audit_line (audit_id, sku_id, present, facings)
    SELECT a.id, k.id, random() < 0.85, floor(random() * 7)
    FROM audit AS a CROSS JOIN sku AS k WHERE random() < 0.15
    """,
    "INSERT INTO sales_order (id, visit_id, digest) SELECT gen_random_uuid(), id, 'bench' "
    "FROM visit WHERE started_at >= :period AND random() < 0.3",
    """
    INSERT INTO order_line (order_id, sku_id, quantity, price)
    SELECT so.id, k.id, 1 + floor(random() * 10), 2.50
    FROM sales_order AS so CROSS JOIN sku AS k WHERE random() < 0.05
    """,
    "INSERT INTO msl (channel, sku_id) SELECT c, k.id FROM unnest(enum_range(NULL::outlet_channel))"
    " AS c CROSS JOIN sku AS k WHERE k.code < 'SKU-0020'",
]


def load(engine: Engine, folder: Path, args: argparse.Namespace) -> None:
    rng = random.Random(20261201)
    files = [
        (Kind.territories, territories_csv(folder / "t.csv", args.regions, args.leaves)),
        (Kind.outlets, outlets_csv(folder / "o.csv", args.outlets, 1, rng)),
        (Kind.skus, skus_csv(folder / "s.csv", args.skus)),
    ]
    for kind, path in files:
        timed(f"import {kind.value}", partial(_import, engine, kind, path))
    with Session(engine) as session:
        active = list(session.scalars(text("SELECT code FROM outlet WHERE status = 'active'")))
        leaves = list(session.scalars(text("SELECT code FROM territory WHERE level = 'territory'")))
    paths, rows = sales_csv(folder, active, args.skus, args.months, args.density, rng)
    print(f"{rows:,} sales rows in {len(paths)} files ({len(active):,} active outlets)")  # noqa: T201
    start = time.perf_counter()
    for path in track(paths, description="import sales"):
        _import(engine, Kind.sales, path)
    seconds = time.perf_counter() - start
    print(f"import sales: {seconds:.1f}s, {rows / seconds:,.0f} rows/s")  # noqa: T201
    targets = targets_csv(folder / "targets.csv", leaves, args.skus, rng)
    timed("import targets", lambda: _import(engine, Kind.targets, targets))
    with unit_of_work(engine) as session:
        rep = create_user(session, username="bench-rep", password="bench-password", role=Role.rep)
        for statement in FIELD_WORK:
            session.execute(text(statement), {"rep": rep.id, "period": PERIOD})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def _import(engine: Engine, kind: Kind, path: Path) -> None:
    with unit_of_work(engine) as session, path.open("rb") as source:
        import_file(session, kind, source)


def timed(label: str, work: Callable[[], Any], repeat: int = 1) -> float:
    """Seconds `work` takes (the median of `repeat` runs), printed under `label`."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    seconds = statistics.median(runs)
    spread = f" (median of {repeat}, {min(runs):.3f}-{max(runs):.3f})" if repeat > 1 else ""
    print(f"{label}: {seconds:.3f}s{spread}")  # noqa: T201
    return seconds


def territory(session: Session, code: str) -> Territory:
    return session.exec(select(Territory).where(col(Territory.code) == code)).one()


def frame(session: Session, code: str) -> Frame:
    return Frame(territory(session, code), PERIOD, AS_OF, ZoneInfo("UTC"))


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def explain(session: Session, query: TextClause, params: dict[str, Any], label: str) -> None:
    """EXPLAIN ANALYZE: total time, the nodes that spent the most, the most memory used."""
    plan = session.execute(text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query.text), params)
    root = plan.scalar_one()[0]
    nodes = list(plan_nodes(root["Plan"]))

    def own(node: dict[str, Any]) -> float:
        children = sum(c["Actual Total Time"] * c["Actual Loops"] for c in node.get("Plans", []))
        return float(node["Actual Total Time"] * node["Actual Loops"] - children)

    memory = max(n.get("Peak Memory Usage", 0) or n.get("Sort Space Used", 0) for n in nodes)
    print(  # noqa: T201
        f"EXPLAIN {label}: execution {root['Execution Time']:.1f} ms, planning "
        f"{root['Planning Time']:.1f} ms, {len(nodes)} nodes, largest hash/sort {memory} kB"
    )
    for node in sorted(nodes, key=own, reverse=True)[:5]:
        name = node.get("Relation Name") or node.get("CTE Name") or ""
        print(  # noqa: T201
            f"    {own(node):8.1f} ms  {node['Node Type']} {name}  rows={node['Actual Rows']}"
            f" loops={node['Actual Loops']}"
        )


BASELINE = text(
    "SELECT sku_id, count(*), sum(quantity) FROM sale WHERE day >= :start AND day < :cut "
    "GROUP BY sku_id"
)


def rollup_times(
    session: Session, country: Frame, region: Frame, leaf: Frame, live: CoverageTable
) -> dict[str, float]:
    """Refresh the rollup, read the tables from it, then with one territory changed since."""
    everything = CoverageFilter()
    # A kept database may hold this span already: then only what changed is recomputed.
    held = coverage.rollup_usable(session, country)
    label = "rollup refresh (nothing changed)" if held else "rollup refresh (all)"
    times = {label: timed(label, lambda: refresh_planning_rollup(session, [country.span]))}
    session.commit()
    # The API's answer (JSON written by PostgreSQL), and the same read into the model.
    for label, where in (("country", country), ("region", region), ("leaf", leaf)):
        times[f"coverage {label} (rollup)"] = timed(
            f"coverage {label} (rollup)",
            partial(coverage.coverage_json, session, where, everything),
            repeat=7,
        )
        times[f"coverage {label} (rollup, as the model)"] = timed(
            f"coverage {label} (rollup, as the model)",
            partial(coverage.coverage_table, session, where, everything),
            repeat=7,
        )
    rolled = coverage.coverage_table(session, country, everything)
    print(f"rollup gives the live figures: {rolled == live}")  # noqa: T201
    # A rep's visit in one leaf: that territory is read from the facts until the next refresh.
    session.execute(
        text(
            "UPDATE visit SET ended_at = ended_at + interval '1 minute' WHERE id = "
            "(SELECT v.id FROM visit AS v JOIN outlet AS o ON o.id = v.outlet_id "
            "WHERE o.territory_id = :leaf LIMIT 1)"
        ),
        {"leaf": leaf.territory.id},
    )
    session.commit()
    times["coverage country (rollup, 1 changed)"] = timed(
        "coverage country (rollup, 1 changed)",
        lambda: coverage.coverage_table(session, country, everything),
    )
    times["rollup refresh (1 changed)"] = timed(
        "rollup refresh (1 changed)", lambda: refresh_planning_rollup(session, [country.span])
    )
    session.commit()
    return times


# One visit at each of ``:count`` outlets, each in another leaf while there are leaves left: written
# to since the refresh, as a working day's check-outs are.
TOUCH = text("""
WITH touched AS (
    SELECT DISTINCT ON (v.outlet_id) v.id, v.outlet_id, o.territory_id
    FROM visit AS v JOIN outlet AS o ON o.id = v.outlet_id
    WHERE v.ended_at IS NOT NULL AND o.status = 'active'
    ORDER BY v.outlet_id, v.id
),
spread AS (
    SELECT id, outlet_id, row_number() OVER (PARTITION BY territory_id ORDER BY outlet_id) AS nth
    FROM touched
)
UPDATE visit SET ended_at = ended_at + interval '1 minute'
WHERE id IN (SELECT id FROM spread ORDER BY nth, outlet_id LIMIT :count)
""")
# The same marks read as before outlets were marked on their own: their whole territories.
AS_TERRITORIES = text("UPDATE planning_dirty SET outlet_id = NULL")


def marks_times(session: Session, country: Frame, counts: tuple[int, ...]) -> dict[str, float]:
    """The country's table from the rollup with outlets written to since its refresh, each
    taken off its territory's cells (outlet marks), against the same marks read as whole
    territories recomputed from the facts; then the refresh that claims them, both ways."""
    everything = CoverageFilter()
    times: dict[str, float] = {}
    for count in counts:
        session.execute(TOUCH, {"count": count})
        session.commit()
        marks = rollup.marks(session)
        leaves = len(
            {t for (t,) in session.execute(text("SELECT territory_id FROM planning_dirty"))}
        )
        label = (
            f"coverage country (rollup, {len(marks.outlets)} outlets in {leaves} leaves written)"
        )
        read = partial(coverage.coverage_json, session, country, everything)
        times[label] = timed(label, read, repeat=5)
        by_outlet = read()
        session.execute(AS_TERRITORIES)
        times[f"{label}, whole leaves"] = timed(f"{label}, whole leaves", read, repeat=3)
        print(f"same answer both ways: {read() == by_outlet}")  # noqa: T201
        session.rollback()
        refresh = partial(refresh_planning_rollup, session, [country.span])
        label = f"rollup refresh ({len(marks.outlets)} outlets in {leaves} leaves written)"
        times[label] = timed(label, refresh)
        session.commit()
        session.execute(TOUCH, {"count": count})
        session.execute(AS_TERRITORIES)
        session.commit()
        times[f"{label}, whole leaves"] = timed(f"{label}, whole leaves", refresh)
        session.commit()
    return times


def measure(engine: Engine, *, coverage_only: bool = False) -> None:
    everything = CoverageFilter()
    with Session(engine) as session:
        country, region, leaf = (
            frame(session, "FR"),
            frame(session, "R00"),
            frame(session, "R00-00"),
        )
        # From the facts: the first question after a load, before any refresh of the rollup.
        times: dict[str, float] = {}
        for label, where in (
            ("coverage country (cold)", country),
            ("coverage country", country),
            ("coverage region", region),
            ("coverage leaf", leaf),
        ):
            live_table = partial(
                coverage.coverage_table, session, where, everything, use_rollup=False
            )
            times[f"{label}, from the facts"] = timed(f"{label}, from the facts", live_table)
        live = coverage.coverage_table(session, country, everything, use_rollup=False)
        times |= rollup_times(session, country, region, leaf, live)
        times |= marks_times(session, country, (1, 10, 50, 500))
        options = GapOptions()
        for label, where in () if coverage_only else (("country", country), ("region", region)):
            report = partial(gap.gap_report, session, where, options, after=0, visible=None)
            times[f"gap {label}"] = timed(f"gap {label}", report)
            ranking = partial(
                opportunities.opportunities, session, where, OpportunityOptions(), None
            )
            times[f"opportunities {label}"] = timed(f"opportunities {label}", ranking)
        base = timed("baseline GROUP BY", lambda: session.execute(BASELINE, country.params()).all())
        rows = len(coverage.coverage_table(session, country, everything).rows)
        print(f"coverage country: {rows:,} rows")  # noqa: T201
        for label, seconds in times.items():
            print(f"{label} / baseline: {seconds / base:.1f}x")  # noqa: T201
        explain(
            session, coverage.QUERY, coverage.parameters(country, everything), "coverage country"
        )
        rolled = coverage.parameters(country, everything, rolled=True)
        explain(session, coverage.QUERY_ROLLED, rolled, "coverage country (rollup)")
        if not coverage_only:
            explain(session, gap.QUERY, gap.parameters(region, options, 0, None), "gap region")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")  # noqa: T201
    print(json.dumps({k: round(v, 3) for k, v in times.items()}))  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=5_000)
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--months", type=int, default=13, help="Of sales, up to the period.")
    parser.add_argument("--density", type=float, default=0.1, help="Share of SKU-outlet pairs.")
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--leaves", type=int, default=8, help="Leaf territories per region.")
    parser.add_argument(
        "--keep",
        metavar="URL",
        help="Load into this migrated database and keep it; a second run only measures.",
    )
    parser.add_argument(
        "--coverage-only",
        action="store_true",
        help="Time the coverage tables only (no gap, no opportunities).",
    )
    args = parser.parse_args()
    if args.keep:
        engine = create_engine(args.keep, pool_size=20)
        migrate.upgrade(engine)
        with Session(engine) as session:
            loaded = session.execute(text("SELECT count(*) FROM outlet")).scalar_one()
        if not loaded:
            with tempfile.TemporaryDirectory() as folder:
                load(engine, Path(folder), args)
        measure(engine, coverage_only=args.coverage_only)
        return
    with database() as engine, tempfile.TemporaryDirectory() as folder:
        load(engine, Path(folder), args)
        measure(engine, coverage_only=args.coverage_only)


if __name__ == "__main__":
    main()
