"""The ``zhibu`` command: Flask's CLI group (``run``, ``shell``, ``routes``, ``db``) plus
the commands registered through the ``zhibu_cli_commands`` hook, built-in ones included."""

from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from zhibu import __version__, plugins
from zhibu.app import create_app


@click.group(
    cls=FlaskGroup,
    create_app=create_app,
    add_version_option=False,
    help="Zhibu (支部): Party branch standardization and star ratings.",
)
@click.version_option(__version__, prog_name="zhibu")
def cli() -> None:
    pass


def main() -> None:
    if sys.argv[1:2] == ["run"]:  # the development server speaks plain HTTP
        os.environ.setdefault("ZHIBU_SECURE_COOKIES", "false")
    cli(prog_name="zhibu")


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def plugins_command(as_json: bool) -> None:
    """List the loaded plugins: name, version, module path and what each contributes."""
    infos = plugins.registry().describe()
    if as_json:
        click.echo(json.dumps([info.as_dict() for info in infos], ensure_ascii=False, indent=2))
        return
    for info in infos:
        click.echo(f"{info.name} {info.version}  ({info.module}: {info.path})")
        for kind, names in info.contributes.items():
            click.echo(f"    {kind}: {', '.join(names)}")


@click.command("demo")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the demo will be served, for the printed links.",
)
@with_appcontext
def demo_command(base_url: str) -> None:
    """Load the demo data (idempotent) and print every role's login, with a password made
    for this run."""
    from zhibu.demo import load_demo
    from zhibu.tenancy import system_scope, use_scope

    with use_scope(system_scope(username="zhibu demo")):
        demo = load_demo()
    click.echo("演示数据已就绪。")
    for note in demo.notes:
        click.echo(f"  {note}")
    click.echo(f"登录地址:{base_url.rstrip('/')}/login(每次运行 zhibu demo 都会生成新的密码)")
    click.echo(demo_table(demo.logins, base_url))


def demo_table(logins, base_url: str) -> str:
    """The logins as a table aligned for a terminal (a Chinese character is two columns)."""
    from zhibu.web.account import first_page

    header = ("角色", "单位", "用户名", "密码", "首页")
    with current_app.test_request_context(base_url=base_url.rstrip("/")):
        rows = [
            (role_name(x.role), x.tenant or "—", x.username, x.password, first_page(x))
            for x in logins
        ]
    widths = [max(_width(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines)


def role_name(role: str) -> str:
    from zhibu.accounts.service import ROLE_NAMES

    return "平台管理员" if role == "platform_admin" else str(ROLE_NAMES[role])


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.argument("queues", nargs=-1)
@with_appcontext
def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker for the job queue (needs ZHIBU_REDIS_URL)."""
    from zhibu.jobs.worker import build_worker

    if not current_app.config.get("ZHIBU_REDIS_URL"):
        raise click.UsageError("ZHIBU_REDIS_URL is not set: without Redis, jobs run inline")
    worker = build_worker(current_app._get_current_object(), list(queues) or None)
    worker.work(burst=burst, with_scheduler=not burst)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run RQ's cron scheduler for the periodic jobs (needs ZHIBU_REDIS_URL)."""
    from zhibu.jobs.schedule import build_scheduler

    if not current_app.config.get("ZHIBU_REDIS_URL"):
        raise click.UsageError("ZHIBU_REDIS_URL is not set: the scheduler needs Redis")
    build_scheduler(current_app._get_current_object()).start()


def core_commands() -> list[click.Command]:
    from zhibu.evaluations.cli import scenario_group
    from zhibu.evaluations.cycles_cli import commands as workflow_commands
    from zhibu.jobs.cli import jobs_group
    from zhibu.members.cli import members_command
    from zhibu.tenancy.cli import commands as registry_commands

    return [
        plugins_command,
        demo_command,
        worker_command,
        scheduler_command,
        jobs_group,
        *registry_commands(),
        members_command,
        scenario_group,
        *workflow_commands(),
    ]
