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
from zhibu.i18n import _
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
        raise click.BadParameter(_("没有编码为 %(code)s 的单位。", code=code))
    return tenant


def _system_access(tenant: Tenant) -> TenantAccess:
    """The command line acts as the platform administrator (never stored: no user row)."""
    user = User(id=uuid.UUID(int=0), username=CLI_USER, is_platform_admin=True)
    return TenantAccess(tenant.id, user, frozenset({"tenant_admin"}))


def _echo_report(report: importer.ImportReport) -> None:
    click.echo(
        _(
            "共 %(total)s 行:新增 %(c)s,更新 %(u)s,无变化 %(n)s,转接 %(t)s,待确认 %(p)s,"
            "错误 %(e)s;未出现在本次名册中 %(a)s 人。",
            total=report.total,
            c=report.to_create,
            u=report.to_update,
            n=report.unchanged,
            t=report.to_transfer,
            p=report.pending,
            e=report.error_rows,
            a=report.absent_count,
        )
    )
    for column in report.ignored:
        click.echo(
            _(
                "未导入的列:%(column)s列“%(header)s”(%(reason)s)",
                column=column["column"],
                header=column["header"],
                reason=column["reason"],
            )
        )
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
            if commit:
                report = importer.commit(tenant, access, data, filename=file.name)
            else:
                report = importer.preview(tenant, access, data)
        except importer.ImportRejected as rejected:
            db.session.rollback()
            report = rejected.report
    _echo_report(report)
    if not report.ok:
        click.echo(_("有 %(n)s 处问题,未导入任何数据。", n=len(report.errors)), err=True)
        raise SystemExit(1)
    click.echo(_("已导入。") if report.committed else _("仅预览,未写入;加 --commit 导入。"))


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
    click.echo(_("已导出:%(path)s", path=output))
