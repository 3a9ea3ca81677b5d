"""Periodic jobs, scheduled with RQ's own cron scheduler (``rq.cron.CronScheduler``).

The scheduler enqueues; workers run. Each entry goes through :func:`run_job` like any
other job, so it runs in the app context and the platform's (or its tenant's) scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from rq.cron import CronScheduler

from zhibu.jobs.queue import FAILURE_TTL, RESULT_TTL, redis_connection, run_job


@dataclass(frozen=True)
class Periodic:
    """One periodic job: a dotted path to a job function, and when it runs."""

    name: str
    path: str
    cron: str


def periodic_jobs(app: Flask) -> list[Periodic]:
    return [
        Periodic("reminders", "zhibu.jobs.tasks.send_reminders", app.config["ZHIBU_REMINDER_CRON"])
    ]


def build_scheduler(app: Flask) -> CronScheduler:
    """A cron scheduler that enqueues the periodic jobs on the app's queue."""
    with app.app_context():
        connection = redis_connection()
    scheduler = CronScheduler(connection=connection, name=f"zhibu-{app.config['ZHIBU_JOB_QUEUE']}")
    for job in periodic_jobs(app):
        scheduler.register(
            run_job,
            app.config["ZHIBU_JOB_QUEUE"],
            args=(job.path, None, (), {}),
            cron=job.cron,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            meta={"tenant_id": None, "kind": job.path.rpartition(".")[2]},
            name=job.name,
        )
    return scheduler
