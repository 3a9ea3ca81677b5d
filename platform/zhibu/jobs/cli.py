"""``zhibu jobs``: look at a job, retry a failed one, send the reminders now."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from zhibu.jobs.queue import enqueue, fetch, retry


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: status, retry, reminders."""


@jobs_group.command("show")
@click.argument("job_id")
@with_appcontext
def show_command(job_id: str) -> None:
    """A job's status, progress, result or error, as JSON."""
    handle = fetch(job_id)
    if handle is None:
        raise click.ClickException(f"no job {job_id} (unknown, or its record expired)")
    click.echo(json.dumps(handle.as_dict(), ensure_ascii=False, indent=2, default=str))


@jobs_group.command("retry")
@click.argument("job_id")
@with_appcontext
def retry_command(job_id: str) -> None:
    """Run a failed job again with the same arguments."""
    from zhibu.errors import ServiceError

    try:
        handle = retry(job_id)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    if handle is None:
        raise click.ClickException(f"no job {job_id} (unknown, or its record expired)")
    click.echo(f"{handle.id} {handle.status}")


@jobs_group.command("reminders")
@click.option("--date", "day", help="The day to remind for (YYYY-MM-DD); default today.")
@with_appcontext
def reminders_command(day: str | None) -> None:
    """Enqueue the reminders job now (inline without Redis)."""
    handle = enqueue("zhibu.jobs.tasks.send_reminders", day)
    click.echo(f"{handle.id} {handle.status}")
    if handle.status == "finished":
        for code, count in sorted(handle.result.items()):
            click.echo(f"  {code}: {count} new")
    elif handle.error:
        raise click.ClickException(handle.error.strip().splitlines()[-1])
