"""A queue worker that outlives a restart of its database.

procrastinate stops a worker, as if asked to, when one of its side tasks fails: the LISTEN
connection or the heartbeat's, both cut when PostgreSQL restarts. Left alone, the process
would exit with status 0 and photos would wait forever. Here the worker runs again, on a
fresh connection pool, until SIGINT or SIGTERM; a job that was running when the database
went away is taken up again by the stalled-jobs task once its worker's heartbeat is stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

import procrastinate

log = logging.getLogger(__name__)
RESTART_AFTER_S = 2.0


async def run_worker(make_app: Callable[[], procrastinate.App], **options: Any) -> None:
    """Run a worker of a new app each time the last one stopped on its own; stop on a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    while True:
        worker = asyncio.create_task(_run_once(make_app(), options))
        await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            worker.cancel()  # procrastinate then stops gracefully: running jobs finish first
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            return
        error = worker.exception()
        log.warning(
            "the worker stopped (%s); starting again in %.0f s",
            f"{type(error).__name__}: {error}" if error else "its database connection was lost",
            RESTART_AFTER_S,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RESTART_AFTER_S)
        if stop.is_set():
            return


async def _run_once(app: procrastinate.App, options: dict[str, Any]) -> None:
    async with app.open_async():
        await app.run_worker_async(install_signal_handlers=False, **options)
