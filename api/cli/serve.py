"""``fieldsales serve`` and ``fieldsales worker``: the processes of the service."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from contextlib import ExitStack
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from api.app import create_app
from api.cli.runtime import embedded_cluster, ready_engine, run_lock
from api.cli.seed import load_on_start
from api.observability import configure_logging, logging_config
from jobs import supervise
from jobs.app import make_app
from models.cluster import ClusterError, port_is_free
from models.demo import DEFAULT_SEED, DEMO_USERS, Scale
from models.settings import Settings

console = Console()


def _banner(settings: Settings, demo: bool, market: bool) -> None:
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"\n[bold]Fieldsales[/] is serving on {base}")
    console.print(f"  API docs   {base}/docs")
    console.print(f"  readiness  {base}/readyz")
    where = (
        "embedded PostgreSQL in " + str(settings.cluster_dir)
        if settings.embedded
        else "DATABASE_URL"
    )
    console.print(f"  database   {where}")
    if demo:
        console.print(
            "  demo users " + ", ".join(f"{u.username} / {u.password}" for u in DEMO_USERS)
        )
    if market:
        console.print(
            "  demo market Lyon: 19 more reps and 3 more managers, passwords rep-demo and"
            " manager-demo (`fieldsales seed demo` lists them)"
        )
    console.print("Press Ctrl-C to stop.\n")


def _start_worker(stack: ExitStack) -> None:
    """One queue worker beside the API, so photos are analysed with nothing else to start."""
    worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=worker_env())

    def stop() -> None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()

    stack.callback(stop)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port.")] = None,
    with_worker: Annotated[bool, typer.Option(help="Run a queue worker beside the API.")] = True,
    demo_scale: Annotated[
        Scale, typer.Option(help="Size of the demo market loaded into an empty database.")
    ] = Scale.small,
    demo_seed: Annotated[int, typer.Option(help="Random seed of the demo market.")] = DEFAULT_SEED,
    processes: Annotated[
        int, typer.Option(min=1, help="API processes sharing the port (one per core is typical).")
    ] = 1,
) -> None:
    """Run the API (and a worker); on the embedded default, also its own PostgreSQL."""
    settings = Settings()
    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    configure_logging(settings)
    with ExitStack() as stack:
        if settings.embedded:
            stack.enter_context(run_lock(settings))
        if not port_is_free(settings.port, settings.host):
            raise ClusterError(
                f"Port {settings.port} is already in use: stop what uses it or pass --port."
            )
        if settings.embedded:
            stack.enter_context(embedded_cluster(settings))
        engine = ready_engine(settings, upgrade=True)
        market = settings.demo_data and load_on_start(
            engine, settings, seed=demo_seed, scale=demo_scale
        )
        engine.dispose()
        settings.signing_key  # noqa: B018  (created once here, before other processes read it)
        if with_worker:
            _start_worker(stack)
        _banner(settings, settings.demo_data, market)
        # Several processes need the app by name: each builds its own from the environment.
        uvicorn.run(
            create_app(settings) if processes == 1 else "api.app:create_app",
            factory=processes > 1,
            workers=processes,
            host=settings.host,
            port=settings.port,
            log_config=logging_config(settings),
            access_log=False,
        )


def worker_env() -> dict[str, str]:
    """The environment a worker runs in: one BLAS thread per job.

    numpy's BLAS spreads even small products over every core by default, which made shelf
    analysis 2-4 times slower on two cores; concurrency comes from jobs, not from BLAS.
    """
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once by this worker.")] = 1,
) -> None:
    """Run a queue worker; start as many as you like, on any machine."""
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        # BLAS reads its thread count once, at import: start again with it set.
        os.execve(sys.executable, [sys.executable, "-m", "api.cli", *sys.argv[1:]], worker_env())
    settings = Settings()
    configure_logging(settings)
    ready_engine(settings, upgrade=False).dispose()
    # Started again on a fresh pool whenever the database goes away (a restart, a failover).
    supervised = supervise.run_worker(
        lambda: make_app(settings, with_periodic=True),
        concurrency=concurrency,
        update_heartbeat_interval=settings.worker_heartbeat_s,
        stalled_worker_timeout=settings.worker_stalled_after_s,
    )
    asyncio.run(supervised)
