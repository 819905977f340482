"""Benchmark: outlet imports through the domain function, against a bare COPY of the same file.

Generates N outlets (default 100,000) spread over a dozen leaf territories, every channel,
class and status, two extra columns; imports them twice (insert, then every row changed:
update), each in one unit of work; then COPYs the same file into an unlogged scratch table,
the floor any import stands on. Uses its own throwaway PostgreSQL cluster, or a throwaway
database on the server of ``DATABASE_URL``.

    .venv/bin/python -m bench.imports [--outlets 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import Engine, make_url

from bench._common import database
from models.db import unit_of_work
from models.imports import ImportSummary, Kind, import_file
from models.outlets import Channel, OutletClass, OutletStatus

# Three regions side by side, each cut into four leaf squares of half a degree.
REGIONS = [(2.0 + 1.0 * r, 48.0) for r in range(3)]
CHANNEL_WEIGHTS = {
    Channel.traditional_trade: 40,
    Channel.convenience: 25,
    Channel.supermarket: 15,
    Channel.horeca: 12,
    Channel.hypermarket: 3,
    Channel.other: 5,
}


def square(lon: float, lat: float, size: float) -> str:
    corners = f"{lon} {lat}, {lon + size} {lat}, {lon + size} {lat + size}, {lon} {lat + size}"
    return f'"POLYGON(({corners}, {lon} {lat}))"'


def territories_csv(path: Path) -> Path:
    lines = ["code,name,level,parent_code,geometry"]
    for r, (lon, lat) in enumerate(REGIONS):
        lines.append(f"R{r},Region {r},region,,{square(lon, lat, 1.0)}")
        for leaf in range(4):
            corner = (lon + 0.5 * (leaf % 2), lat + 0.5 * (leaf // 2))
            lines.append(f"R{r}-{leaf},Area {r}.{leaf},territory,R{r},{square(*corner, 0.5)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def outlets_csv(path: Path, count: int, version: int, rng: random.Random) -> Path:
    """N outlets; 3% fall outside every territory. ``version`` changes every name."""
    channels = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()), k=count)
    with path.open("w") as out:
        out.write("code,name,address,channel,class,status,lon,lat,phone,chain\n")
        for i in range(count):
            if rng.random() < 0.03:
                lon, lat = rng.uniform(-10, 0), rng.uniform(40, 47)
            else:
                lon, lat = rng.uniform(2.0, 5.0), rng.uniform(48.0, 49.0)
            status = rng.choices(list(OutletStatus), [80, 15, 5])[0]
            out.write(
                f'OUT-{i:07d},Shop {i} v{version},"{i % 300} rue {i % 97}, Ville",'
                f"{channels[i].value},{rng.choice(list(OutletClass)).value},{status.value},"
                f"{lon:.6f},{lat:.6f},+33 1 {i % 100:02d} {i % 1000:03d},"
                f"{'Chain ' + str(i % 40) if rng.random() < 0.3 else ''}\n"
            )
    return path


class Stopwatch:
    """A Progress that notes when each stage starts."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def stage(self, name: str, total: int | None = None) -> None:
        self.marks.append((name, time.perf_counter()))

    def advance(self, done: int) -> None:
        pass

    def report(self, end: float) -> str:
        ends = [at for _, at in self.marks[1:]] + [end]
        return ", ".join(
            f"{name} {e - at:.2f}s" for (name, at), e in zip(self.marks, ends, strict=True)
        )


def timed_import(engine: Engine, kind: Kind, path: Path) -> tuple[ImportSummary, float, str]:
    watch = Stopwatch()
    start = time.perf_counter()
    with unit_of_work(engine) as session, path.open("rb") as source:
        summary = import_file(session, kind, source, progress=watch)
        applied = time.perf_counter()
    end = time.perf_counter()
    return summary, end - start, watch.report(applied) + f", commit {end - applied:.2f}s"


def bare_copy(url: str, path: Path) -> float:
    """COPY the file into an unlogged table of text columns: no checks, no indexes, no WAL."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    columns = "code,name,address,channel,class,status,lon,lat,phone,chain"
    definition = sql.SQL(", ").join(
        sql.SQL("{} text").format(sql.Identifier(c)) for c in columns.split(",")
    )
    with psycopg.connect(libpq) as conn, conn.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE UNLOGGED TABLE scratch ({})").format(definition))
        conn.commit()
        start = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.copy("COPY scratch FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=100_000, help="How many outlets.")
    count = parser.parse_args().outlets
    rng = random.Random(20261201)
    with database() as engine, tempfile.TemporaryDirectory() as folder:
        url = engine.url.render_as_string(hide_password=False)
        first = outlets_csv(Path(folder) / "outlets.csv", count, 1, rng)
        second = outlets_csv(Path(folder) / "outlets-v2.csv", count, 2, random.Random(20261201))
        megabytes = first.stat().st_size / 1e6
        print(f"{count:,} outlets, {megabytes:.1f} MB of CSV")  # noqa: T201
        timed_import(engine, Kind.territories, territories_csv(Path(folder) / "territories.csv"))
        results = []
        for label, path in (("insert", first), ("update", second)):
            summary, seconds, stages = timed_import(engine, Kind.outlets, path)
            results.append(seconds)
            print(  # noqa: T201
                f"{label}: {seconds:.2f}s, {count / seconds:,.0f} rows/s "
                f"(inserted {summary.inserted:,}, updated {summary.updated:,}, "
                f"assigned {summary.assigned:,}; {stages})"
            )
        copy = bare_copy(url, first)
        print(f"bare COPY: {copy:.2f}s, {count / copy:,.0f} rows/s")  # noqa: T201
        for label, seconds in zip(("insert", "update"), results, strict=True):
            print(f"{label} / bare COPY: {seconds / copy:.1f}x")  # noqa: T201


if __name__ == "__main__":
    main()
