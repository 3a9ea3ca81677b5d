"""The RQ worker: the app is created once; each forked work horse runs jobs in its context."""

from __future__ import annotations

from flask import Flask
from rq import Queue, Worker

from zhibu.db import db

MAINTENANCE_SECONDS = 60  # RQ's clean-up of its registries (its own default: ten minutes)


class AppWorker(Worker):
    """An RQ worker whose jobs run inside the Flask application context.

    The database engine's pooled connections are not shared across the fork: the work
    horse discards the inherited ones and opens its own (Redash habit).

    While a job runs, the worker vouches for it every ``ZHIBU_JOB_HEARTBEAT_SECONDS``
    (RQ's job monitoring interval) for three times as long (RQ's own grace is a fixed
    minute). A worker killed with its job (``kill -9``, a lost container) stops vouching;
    the job is then marked failed as soon as anyone looks at it
    (:func:`zhibu.jobs.queue.fetch`), or at the next maintenance of the registries, which
    runs every minute here instead of RQ's ten.
    """

    app: Flask

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = max(1, min(job.timeout - working_time, interval))
        return int(interval + 2 * self.job_monitoring_interval)

    def main_work_horse(self, job, queue):
        with self.app.app_context():
            db.engine.dispose(close=False)
            super().main_work_horse(job, queue)


def build_worker(app: Flask, queue_names: list[str] | None = None) -> AppWorker:
    from zhibu.jobs.queue import redis_connection

    with app.app_context():
        connection = redis_connection()
        names = queue_names or [app.config["ZHIBU_JOB_QUEUE"]]
        db.engine.dispose()  # the parent keeps no connection a child could inherit
    worker = AppWorker(
        [Queue(name, connection=connection) for name in names],
        connection=connection,
        job_monitoring_interval=app.config["ZHIBU_JOB_HEARTBEAT_SECONDS"],
        maintenance_interval=MAINTENANCE_SECONDS,
    )
    worker.app = app
    return worker
