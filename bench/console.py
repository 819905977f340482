"""Benchmark: every console page on the demo market, server-side, against the sign-in page.

Loads the demo market (medium by default: 5,000 outlets, a month of shelf photos) into a
throwaway database (the load refreshes the rollups, as a worker would), signs in as the demo
France manager and the demo planner, and requests each page ``--repeat`` times through the app
in this process (no network, no browser: what is timed is the server's work and the page's
HTML). Prints the median and the slowest time per page, and the ratio of the median to the
sign-in page's, measured in the same run as the floor of a rendered page. The goal is a median
under 300 ms for every page.

    .venv/bin/python -m bench.console [--scale small|medium] [--repeat 7]
    .venv/bin/python -m bench.console --database URL   # a market loaded by `fieldsales seed demo`
    .venv/bin/python -m bench.console --written        # as between two refreshes of a workday

``--written`` first marks every territory as written to today, as the triggers do for a day's
check-ins and orders (until the next refresh of the rollups clears the marks): the pages then
compute those territories' coverage from the facts, as they do during the day.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from api.app import create_app
from bench._common import database
from models.demo import SIZES, Scale, load_demo
from models.demo.accounts import PASSWORDS
from models.demo.planted import SHARE_DROP
from models.settings import Settings
from models.storage import LocalStore
from models.users import Role

GOAL_MS = 300.0


def load(engine: Engine, settings: Settings, scale: Scale) -> float:
    start = time.perf_counter()
    with Session(engine) as session:
        load_demo(session, settings, LocalStore(settings.data_dir / "photos"), size=SIZES[scale])
        session.commit()
    return time.perf_counter() - start


def pages(engine: Engine) -> dict[Role, list[tuple[str, str]]]:
    """The France manager's and the planner's pages, drilling down to the planted share drop."""
    with Session(engine) as session:

        def one(sql: str, **params: str) -> str:
            params.setdefault("code", SHARE_DROP.territory_code)
            return str(session.execute(text(sql), params).scalar())

        leaf = one("SELECT id FROM territory WHERE code = :code")
        outlet = one(
            "SELECT v.outlet_id FROM photo AS p JOIN visit AS v ON v.id = p.visit_id "
            "JOIN outlet AS o ON o.id = v.outlet_id JOIN territory AS t ON t.id = o.territory_id "
            "WHERE t.code = :code AND p.status = 'analysed' ORDER BY v.started_at DESC LIMIT 1"
        )
        photo = one(
            "SELECT p.id FROM photo AS p JOIN visit AS v ON v.id = p.visit_id "
            "WHERE v.outlet_id = :outlet AND p.status = 'analysed' LIMIT 1",
            outlet=outlet,
        )
        region = one("SELECT id FROM territory WHERE level = 'region' ORDER BY code LIMIT 1")
    return {
        Role.manager: [
            ("shelf share", "/console/shelf-share"),
            ("shelf share > territory", f"/console/shelf-share/territories/{leaf}"),
            ("outlet", f"/console/outlets/{outlet}"),
            ("photos", "/console/photos"),
            ("photo", f"/console/photos/{photo}"),
            ("alerts", "/console/alerts"),
            ("reps", "/console/reps"),
        ],
        Role.planner: [
            ("coverage: country", "/console/coverage"),
            ("coverage: region", f"/console/coverage?territory_id={region}"),
            ("coverage: territory", f"/console/coverage?territory_id={leaf}"),
            ("gap: country", "/console/gap"),
            ("gap: territory", f"/console/gap?territory_id={leaf}"),
            ("opportunities: country", "/console/opportunities"),
            ("opportunities: territory", f"/console/opportunities?territory_id={leaf}"),
            ("targets", "/console/targets"),
        ],
    }


# The France manager sees every region, the planted share drop among them.
USERNAMES = {Role.manager: "isabelle.moreau", Role.planner: "planner"}


def sign_in(client: TestClient, role: Role) -> None:
    client.cookies.clear()
    form = client.get("/console/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert match, "no CSRF token on the sign-in page"
    answer = client.post(
        "/console/login",
        data={"username": USERNAMES[role], "password": PASSWORDS[role], "csrf_token": match[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, f"{role.value} could not sign in: {answer.status_code}"


def timed(client: TestClient, path: str, repeat: int) -> list[float]:
    client.get(path)  # the first request warms the caches, as the Monday's first reader does
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=Scale, choices=list(Scale), default=Scale.medium)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--written",
        action="store_true",
        help="Mark every territory as written to today first (the rollup's marks of a workday).",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="A database the demo market is already loaded in (fieldsales seed demo): no load.",
    )
    args = parser.parse_args()
    if args.database:
        engine = create_engine(args.database)
        with tempfile.TemporaryDirectory() as folder:
            if args.written:
                write_every_territory(engine)
            measure(engine, Path(folder), args.repeat)
        engine.dispose()
        return
    with database() as engine, tempfile.TemporaryDirectory() as folder:
        settings = bench_settings(engine, Path(folder))
        seconds = load(engine, settings, args.scale)
        Console().print(f"demo market ({args.scale.value}) loaded in {seconds:.0f} s")
        if args.written:
            write_every_territory(engine)
        measure(engine, Path(folder), args.repeat)


# The marks a check-in at an outlet of every territory leaves (migrations 0009 and 0010).
WRITTEN = (
    "INSERT INTO planning_dirty (territory_id) SELECT id FROM territory",
    "INSERT INTO planning_history_mark (territory_id, day) SELECT id, current_date FROM territory",
)


def write_every_territory(engine: Engine) -> None:
    with Session(engine) as session:
        for statement in WRITTEN:
            session.execute(text(statement))
        session.commit()


def bench_settings(engine: Engine, folder: Path) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        data_dir=folder,
        secret_key="bench-signing-key-0123456789abcdef",
    )


def measure(engine: Engine, folder: Path, repeat: int) -> None:
    """Time each page of the market in ``engine``'s database."""
    console = Console(width=100)
    settings = bench_settings(engine, folder)
    table = Table("page", "median ms", "slowest ms", "× sign-in page", "goal")
    with TestClient(create_app(settings)) as client:
        floor = statistics.median(timed(client, "/console/login", repeat))
        table.add_row("/console/login (floor)", f"{floor:.1f}", "", "1.0", "")
        for role, labelled in pages(engine).items():
            sign_in(client, role)
            for label, path in labelled:
                times = timed(client, path, repeat)
                median = statistics.median(times)
                table.add_row(
                    f"{role.value}: {label}",
                    f"{median:.0f}",
                    f"{max(times):.0f}",
                    f"{median / floor:.0f}",
                    "ok" if median < GOAL_MS else "SLOW",
                )
    console.print(table)


if __name__ == "__main__":
    main()
