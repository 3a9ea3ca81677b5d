"""The RQ worker: the app is created once; each forked work horse runs jobs in its context."""

from __future__ import annotations

from flask import Flask
from rq import Queue, Worker

from zhibu.db import db


class AppWorker(Worker):
    """An RQ worker whose jobs run inside the Flask application context.

    The database engine's pooled connections are not shared across the fork: the work
    horse discards the inherited ones and opens its own (Redash habit).
    """

    app: Flask

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
        [Queue(name, connection=connection) for name in names], connection=connection
    )
    worker.app = app
    return worker
