"""``zhibu members``: import and export the roster of a tenant from the command line.

Both run with every tenant in scope (:func:`zhibu.tenancy.system_scope`) and as the
tenant's administrator would: the whole tree, ID cards in the export when enabled.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.members import importer
from zhibu.models import Tenant, User
from zhibu.tenancy import system_scope, use_scope

CLI_USER = "zhibu members"


@click.group("members")
def members_command() -> None:
    """Member roster (党员花名册): import and export .xlsx workbooks."""


def _tenant(code: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
    if tenant is None:
        raise click.BadParameter(f"没有编码为 {code} 的单位 / no tenant with code {code!r}")
    return tenant


def _system_access(tenant: Tenant) -> TenantAccess:
    """The command line acts as the platform administrator (never stored: no user row)."""
    user = User(id=uuid.UUID(int=0), username=CLI_USER, is_platform_admin=True)
    return TenantAccess(tenant.id, user, frozenset({"tenant_admin"}))


def _echo_report(report: importer.ImportReport) -> None:
    click.echo(
        f"共 {report.total} 行 / rows: {report.total}; 新增 / create: {report.to_create}; "
        f"更新 / update: {report.to_update}; 未变 / unchanged: {report.unchanged}; "
        f"转接 / transfers: {report.to_transfer}"
    )
    if report.ignored_headers:
        click.echo(f"忽略的列 / ignored columns: {', '.join(report.ignored_headers)}")
    for error in report.row_errors():
        click.echo(str(error))


@members_command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "tenant_code", required=True, help="The tenant's code.")
@click.option("--commit", is_flag=True, help="Write the import (default: preview only).")
@with_appcontext
def import_command(file: Path, tenant_code: str, commit: bool) -> None:
    """Preview (or with --commit, import) FILE; exit code 1 when it has problems."""
    data = file.read_bytes()
    with use_scope(system_scope(username=CLI_USER)):
        tenant = _tenant(tenant_code)
        access = _system_access(tenant)
        try:
            report = (importer.commit if commit else importer.preview)(tenant, access, data)
        except importer.ImportRejected as rejected:
            db.session.rollback()
            report = rejected.report
    _echo_report(report)
    if not report.ok:
        click.echo(f"{len(report.errors)} 处错误，未导入 / problems: nothing imported", err=True)
        raise SystemExit(1)
    click.echo("已导入 / imported" if report.committed else "预览，未写入 / preview only")


@members_command.command("export")
@click.option("--tenant", "tenant_code", required=True, help="The tenant's code.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the .xlsx.",
)
@with_appcontext
def export_command(tenant_code: str, output: Path) -> None:
    """Write the tenant's roster (active members) to an .xlsx file."""
    with use_scope(system_scope(username=CLI_USER)):
        tenant = _tenant(tenant_code)
        data = importer.export(tenant, _system_access(tenant))
    output.write_bytes(data)
    click.echo(f"已导出 / exported {output}")
