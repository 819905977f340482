"""Mixed load from simulated reps' phones, then a reconciliation with the database.

    .venv/bin/python -m bench.load [--reps 50] [--seconds 60] [--fault pg-restart]

On a throwaway PostGIS: seeds a territory per rep with outlets, the demo catalogue with its
reference pack images and the rep accounts; serves the API (one process) and runs 2 queue
workers; locust (headless, loopback) drives the reps of bench/locustfile.py for ``--seconds``.
Then it waits (bounded) for the photo queue to drain and checks that every acknowledged
check-in, audit, order, check-out and photo is in the database exactly once and that every
accepted photo ended analysed (or rejected with a reason). ``--fault pg-restart`` restarts
PostgreSQL halfway through the load; the phones retry with the same ids.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine

from bench._load_reconcile import (
    KindCheck,
    Ledger,
    PhotoOutcome,
    QueueFigures,
    check_kinds,
    pending_photos,
    photo_outcome,
    queue_figures,
    read_ledgers,
)
from bench._load_stack import Stack, locust, restart, server, services
from bench._load_world import seed_world
from models import migrate
from models.cluster import Cluster, free_port
from models.scratch import scratch_database
from models.settings import Settings

SECRET = "bench-signing-key-0123456789abcdef"
console = Console()


@dataclass
class Fault:
    began: float
    stopped: float
    up: float


@dataclass
class Outcome:
    seconds: float
    ledger: Ledger
    kinds: list[KindCheck]
    photos: PhotoOutcome
    queue: QueueFigures
    drain_s: float
    left_pending: int
    fault: Fault | None


def run_load(
    args: argparse.Namespace,
    engine: Engine,
    cluster: Cluster | None,
    env: dict[str, str],
    tmp: Path,
) -> Outcome:
    ledger_dir = tmp / "ledger"
    ledger_dir.mkdir()
    env = env | {
        "FIELDSALES_LOAD_LEDGER": str(ledger_dir),
        "FIELDSALES_LOAD_PACE_S": str(args.pace),
        "FIELDSALES_LOAD_THINK_S": str(args.think),
    }
    fault = None
    with services(engine, env, free_port(), args.workers, tmp) as stack:
        began = time.monotonic()
        driver = locust(
            stack.base, env, args.reps, args.seconds, args.pace, tmp / "stats", tmp / "locust.log"
        )
        if cluster is not None:
            time.sleep(args.seconds / 2)
            fault = Fault(*restart(cluster, args.down))
        driver.wait(timeout=args.seconds + 180)
        seconds = time.monotonic() - began
        if driver.returncode != 0:
            raise RuntimeError("locust failed:\n" + (tmp / "locust.log").read_text()[-3000:])
        drained = time.monotonic()
        deadline = drained + args.drain_seconds
        while (left := pending_photos(engine)) and time.monotonic() < deadline:
            check_alive(stack, tmp)
            time.sleep(1)
        drain_s = time.monotonic() - drained
        ledger = read_ledgers(ledger_dir)
        queue = queue_figures(engine)  # while the workers run: their ids are still kept
    return Outcome(
        seconds=seconds,
        ledger=ledger,
        kinds=check_kinds(engine, ledger),
        photos=photo_outcome(engine, ledger.acked["photo"]),
        queue=queue,
        drain_s=drain_s,
        left_pending=left,
        fault=fault,
    )


def check_alive(stack: Stack, logs: Path) -> None:
    for i, worker in enumerate(stack.workers, 1):
        if worker.poll() is not None:
            log = (logs / f"worker-{i}.log").read_text()[-3000:]
            raise RuntimeError(f"worker {i} stopped (exit {worker.returncode}):\n{log}")


def endpoint_table(stats: Path) -> Table:
    table = Table("endpoint", "requests", "failed", "req/s", "p50 ms", "p99 ms", title="Endpoints")
    with stats.open() as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Type"] else "all"
            table.add_row(
                f"{row['Type']} {name}".strip(),
                row["Request Count"],
                row["Failure Count"],
                f"{float(row['Requests/s']):.1f}",
                row["50%"],
                row["99%"],
            )
    return table


def reconciliation_table(outcome: Outcome) -> Table:
    table = Table(
        "operation", "acknowledged", "in database", "missing", "never sent", "doubled", "",
        title="Reconciliation",
    )  # fmt: skip
    for k in outcome.kinds:
        verdict = "[green]ok[/]" if k.ok else "[red]FAIL[/]"
        table.add_row(
            k.kind, str(k.acked), str(k.stored), str(k.missing), str(k.unexpected), str(k.doubled),
            verdict,
        )  # fmt: skip
    return table


def fault_lines(outcome: Outcome) -> list[str]:
    fault = outcome.fault
    if fault is None:
        return []
    retries = [t for t, _, _ in outcome.ledger.retries if t >= fault.began]
    lines = [
        f"PostgreSQL stopped in {fault.stopped - fault.began:.1f} s, down "
        f"{fault.up - fault.stopped:.1f} s until it accepted connections again",
        f"attempts refused (connection error or 5xx) from the stop on: {len(retries)}",
    ]
    if retries:
        last = max(retries)
        lines.append(
            f"errors seen by phones from {min(retries) - fault.began:+.1f} s to "
            f"{last - fault.began:+.1f} s after the stop; last error {last - fault.up:+.1f} s "
            "after PostgreSQL was back"
        )
    after = [t for t in outcome.ledger.acks if t >= fault.up]
    if after:
        lines.append(f"first acknowledged write {min(after) - fault.up:.1f} s after it was back")
    return lines


def report(
    outcome: Outcome, args: argparse.Namespace, stats: Path, load: tuple[float, ...]
) -> bool:
    console.print(endpoint_table(stats))
    ledger = outcome.ledger
    acked = sum(len(ids) for ids in ledger.acked.values())
    console.print(
        f"{args.reps} reps, {args.seconds:.0f} s of load ({outcome.seconds:.0f} s with the last "
        f"visits finishing): {acked} acknowledged operations ({acked / outcome.seconds:.1f}/s); "
        f"{len(ledger.retries)} attempts retried, {len(ledger.refused)} refused (4xx), "
        f"{ledger.gave_up} given up"
    )
    for entry in ledger.refused[:5]:
        console.print(f"  refused: {entry}")
    console.print(reconciliation_table(outcome))
    photos, queue = outcome.photos, outcome.queue
    console.print(
        f"photos accepted: {sum(photos.statuses.values())} {dict(sorted(photos.statuses.items()))};"
        f" not settled: {photos.unsettled}; most result sets per photo: "
        f"{photos.results_per_photo_max}; queue drained {outcome.drain_s:.0f} s after the load"
        f" ({outcome.left_pending} still pending at the {args.drain_seconds:.0f} s bound)"
    )
    console.print(
        f"analysis: {queue.jobs} jobs, {queue.per_minute:.1f} photos/min with {args.workers} "
        f"workers (by worker: {queue.by_worker}); queue delay p50 {queue.delay_p50_s:.1f} s, "
        f"p99 {queue.delay_p99_s:.1f} s"
    )
    for line in fault_lines(outcome):
        console.print(line)
    console.print(
        f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    ok = all(k.ok for k in outcome.kinds) and photos.ok and outcome.left_pending == 0
    console.print("[bold green]reconciled[/]" if ok else "[bold red]NOT reconciled[/]")
    return ok


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50, help="Simulated reps (locust users).")
    parser.add_argument("--seconds", type=float, default=60, help="Length of the load.")
    parser.add_argument("--workers", type=int, default=2, help="Queue worker processes.")
    parser.add_argument("--pace", type=float, default=60, help="Seconds between a rep's visits.")
    parser.add_argument("--think", type=float, default=1, help="Mean pause between steps (s).")
    parser.add_argument("--drain-seconds", type=float, default=600, help="Bound on the drain.")
    parser.add_argument("--fault", choices=["none", "pg-restart"], default="none")
    parser.add_argument("--down", type=float, default=5, help="Seconds PostgreSQL stays down.")
    return parser.parse_args()


def main() -> int:
    args = parse()
    if args.fault == "pg-restart" and os.environ.get("DATABASE_URL"):
        raise SystemExit("--fault pg-restart restarts a cluster of its own: unset DATABASE_URL")
    load = os.getloadavg()
    with (
        server(own=args.fault == "pg-restart") as (url, cluster),
        scratch_database(url, "fieldsales_bench") as db,
        tempfile.TemporaryDirectory(prefix="fieldsales-load-") as folder,
    ):
        tmp = Path(folder)
        engine = create_engine(db, pool_pre_ping=True)
        try:
            migrate.upgrade(engine)
            settings = Settings(database_url=db, data_dir=tmp / "data", secret_key=SECRET)
            world = seed_world(engine, settings, args.reps, tmp)
            env = {
                "DATABASE_URL": db,
                "FIELDSALES_DATA_DIR": str(tmp / "data"),
                "FIELDSALES_SECRET_KEY": SECRET,
                "FIELDSALES_DEMO_DATA": "false",
                "FIELDSALES_LOG_LEVEL": "WARNING",
                "FIELDSALES_LOAD_WORLD": str(world),
            }
            outcome = run_load(args, engine, cluster, env, tmp)
            ok = report(outcome, args, tmp / "stats_stats.csv", load)
        finally:
            engine.dispose()
            if keep := os.environ.get("FIELDSALES_LOAD_KEEP"):
                shutil.copytree(tmp, keep, dirs_exist_ok=True)  # logs, ledgers, locust's CSVs
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
