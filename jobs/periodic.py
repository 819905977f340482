"""Periodic jobs: stalled-job recovery and report rollups, deferred by whichever worker runs.

Every worker runs procrastinate's periodic deferrer; each tick is deferred once whatever the
number of workers (procrastinate keys it by task and timestamp).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import procrastinate
from procrastinate.exceptions import ConnectorException
from procrastinate.jobs import Job, Status
from procrastinate.manager import JobManager

from jobs.photos import ATTEMPTS, runtime, settle
from models.db import unit_of_work
from models.planning import rollup
from models.rollups import refresh_shelf_rollup
from models.settings import Settings
from models.visits import PhotoStatus

QUEUE = "periodic"
log = logging.getLogger("fieldsales.jobs.periodic")


def blueprint(settings: Settings) -> procrastinate.Blueprint:
    """The periodic tasks, on their schedules from the settings."""
    tasks = procrastinate.Blueprint()

    async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
        """Put the jobs of workers that stopped sending heartbeats back in the queue."""
        manager = context.app.job_manager
        stalled = await manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.worker_stalled_after_s
        )
        for job in stalled:
            try:
                await recover(manager, job)
            except ConnectorException:
                # Another run of this task (on another worker) got to it first.
                log.info("job %s was already recovered", job.id)

    def refresh_rollups(timestamp: int) -> None:
        """Bring the report rollups up to date with what was written since the last run."""
        with unit_of_work(runtime().engine) as session:
            keys = refresh_shelf_rollup(session, settings.timezone)
        log.info("shelf rollup refreshed: %s outlet-days", keys)
        months = rollup.spans(settings.timezone, settings.presence_window_days)
        with unit_of_work(runtime().engine) as session:
            territories = rollup.refresh_planning_rollup(session, months)
        log.info("planning rollup refreshed: %s territories per month", territories)

    # A queueing lock keeps one of each waiting. No procrastinate lock: a run lost with its
    # worker would hold it, and the next runs, the very ones that recover it, would wait on it.
    stalled = "retry_stalled_jobs"
    tasks.periodic(cron=settings.stalled_jobs_cron)(
        tasks.task(name=stalled, queue=QUEUE, queueing_lock=stalled, pass_context=True)(
            retry_stalled_jobs
        )
    )
    rollups = "refresh_rollups"
    tasks.periodic(cron=settings.rollups_cron)(
        tasks.task(name=rollups, queue=QUEUE, queueing_lock=rollups)(refresh_rollups)
    )
    return tasks


async def recover(manager: JobManager, job: Job) -> None:
    """Queue a lost job again, or fail it when its worker was lost on its last attempt."""
    if job.attempts + 1 >= ATTEMPTS:
        # Lost this many times, it is more likely the job that kills its workers (memory, a
        # native crash) than bad luck: stop, and keep it for an admin to see.
        await manager.finish_job(job, status=Status.FAILED, delete_job=False)
        await asyncio.to_thread(settle_lost, job)
        log.warning("job %s lost its worker %s times; failed", job.id, ATTEMPTS)
    else:
        await manager.retry_job(job)
        log.warning("job %s lost its worker; retried", job.id)


def settle_lost(job: Job) -> None:
    """A photo whose analysis job was given up on ends ``failed``, with the reason."""
    photo_id = job.task_kwargs.get("photo_id") if job.task_name.endswith("analyse_photo") else None
    if isinstance(photo_id, str):
        reason = f"analysis failed: the worker was lost {ATTEMPTS} times while analysing it"
        settle(runtime(), uuid.UUID(photo_id), PhotoStatus.failed, reason)
