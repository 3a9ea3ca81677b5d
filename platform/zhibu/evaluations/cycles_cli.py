"""``zhibu cycles …`` and ``zhibu ledger …``: the workflow from the console."""

from __future__ import annotations

import json
from datetime import date

import click
from sqlalchemy import select

from zhibu.db import db
from zhibu.evaluations import compute, cycles, ledger, publication
from zhibu.evaluations.cli import _table
from zhibu.models import PHASES, Cycle, OrgUnit
from zhibu.tenancy.cli import _tenant, operator


def _cycle(tenant_code: str, scheme: str, label: str) -> Cycle:
    tenant = _tenant(tenant_code)
    found = db.session.scalar(
        select(Cycle).where(
            Cycle.tenant_id == tenant.id, Cycle.scheme_key == scheme, Cycle.label == label
        )
    )
    if found is None:
        raise click.BadParameter(
            f"{tenant_code} has no {scheme} cycle {label!r}", param_hint="LABEL"
        )
    return found


@click.group("cycles")
def cycles_group() -> None:
    """Evaluation cycles: open, move through the phases, recompute, read results."""


@cycles_group.command("list")
@click.option("--tenant", required=True)
@operator
def list_cycles(tenant: str) -> None:
    """The tenant's cycles with their phase."""
    for cycle in db.session.scalars(
        select(Cycle)
        .where(Cycle.tenant_id == _tenant(tenant).id)
        .order_by(Cycle.scheme_key, Cycle.label)
    ):
        deadline = cycle.deadlines.get(cycle.phase, "")
        click.echo(f"{cycle.scheme_key}\t{cycle.label}\t{cycle.phase}\t{deadline}")


@cycles_group.command("open")
@click.option("--tenant", required=True)
@click.argument("scheme")
@click.argument("period")
@click.option("--round", "round_", default=None, help="For schemes with several rounds.")
@operator
def open_command(tenant: str, scheme: str, period: str, round_: str | None) -> None:
    """Open a cycle of SCHEME for PERIOD (2021, 2021H1, 2021Q3, 2021-05)."""
    cycle = cycles.open_cycle(_tenant(tenant), scheme, period, round=round_)
    click.echo(f"opened {scheme} {cycle.label} ({cycle.starts_on} – {cycle.ends_on})")


@cycles_group.command("advance")
@click.option("--tenant", required=True)
@click.argument("scheme")
@click.argument("label")
@click.option("--to", default=None, help="Jump forward to this phase.")
@click.option(
    "--yes", is_flag=True, help="Into publicity or final: publish what the preview shows."
)
@operator
def advance_command(tenant: str, scheme: str, label: str, to: str | None, yes: bool) -> None:
    """Move the cycle to its next phase. Into publicity (结果公示) or final (确定结果) the
    results are published: without --yes only the preview is printed."""
    cycle = _cycle(tenant, scheme, label)
    target = to or PHASES[min(PHASES.index(cycle.phase) + 1, len(PHASES) - 1)]
    if target not in publication.PUBLISHED or cycle.phase == "final":
        click.echo(cycles.advance(cycle, to).phase)
        return
    seen = publication.preview(cycle, target)
    click.echo(
        f"version {seen['version']}: {seen['subjects']} subjects, "
        f"{len(seen['missing'])} without a total, "
        f"{len(seen['open_objections'])} open objections, "
        f"{len(seen['changes'])} changed since version {seen['based_on']}"
    )
    for track, levels in seen["counts"].items():
        click.echo(f"  {track}: " + ", ".join(f"{k} {n}" for k, n in levels.items()))
    if seen["refusal"]:
        raise click.ClickException(seen["refusal"])
    if not yes:
        raise click.ClickException("nothing published: add --yes to publish this")
    made = publication.publish(
        cycle, target, based_on=seen["based_on"], result_set_id=seen["result_set_id"]
    )
    click.echo(f"{cycle.phase} (version {made.version})")


@cycles_group.command("reopen")
@click.option("--tenant", required=True)
@click.argument("scheme")
@click.argument("label")
@click.option("--reason", required=True)
@operator
def reopen_command(tenant: str, scheme: str, label: str, reason: str) -> None:
    """Leave the final phase (audited, with the reason)."""
    click.echo(cycles.reopen(_cycle(tenant, scheme, label), reason).phase)


@cycles_group.command("recompute")
@click.option("--tenant", required=True)
@click.argument("scheme")
@click.argument("label")
@operator
def recompute_command(tenant: str, scheme: str, label: str) -> None:
    """Compute the cycle's results now."""
    result_set = compute.recompute(_cycle(tenant, scheme, label))
    click.echo(f"{result_set.subjects} results ({result_set.input_hash[:12]})")


@cycles_group.command("results")
@click.option("--tenant", required=True)
@click.argument("scheme")
@click.argument("label")
@click.option("--json", "as_json", is_flag=True)
@operator
def results_command(tenant: str, scheme: str, label: str, as_json: bool) -> None:
    """Print the current results."""
    rows = [
        {
            "subject": r.subject_code,
            "subject_kind": r.kind,
            "total": r.total,
            "stars": r.stars,
            "grade": r.grade,
            "titles": r.titles,
            "flags": r.flags,
            "actions": r.actions,
            "explanation": [x["text"] for x in compute.explanation_of(r)],
        }
        for r in compute.results_of(_cycle(tenant, scheme, label))
    ]
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else _table(rows))


@click.group("ledger")
def ledger_group() -> None:
    """The rectification ledger (整改台账)."""


@ledger_group.command("overdue")
@click.option("--tenant", required=True)
@operator
def overdue_command(tenant: str) -> None:
    """Items past their deadline and not signed off."""
    target = _tenant(tenant)
    names = dict(
        db.session.execute(
            select(OrgUnit.id, OrgUnit.name).where(OrgUnit.tenant_id == target.id)
        ).all()
    )
    for item in db.session.scalars(ledger.items_query(target.id, overdue_on=date.today())):
        click.echo(
            f"{item.deadline}\t{names.get(item.org_id, '')}\t{item.issue}\t"
            f"{item.responsible}\t{item.status}"
        )


def commands() -> list[click.Command]:
    return [cycles_group, ledger_group]
