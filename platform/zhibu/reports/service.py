"""Build a cycle's reports: load the data once, in bulk, and hand it to the builders."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from zhibu import plugins
from zhibu.db import db
from zhibu.errors import NotFound
from zhibu.evaluations import compute
from zhibu.evidence import service as evidence_files
from zhibu.i18n import _
from zhibu.models import (
    Cycle,
    EvaluationResult,
    FollowUp,
    Member,
    OrgUnit,
    RectificationItem,
    ScoreSheet,
    Tenant,
)
from zhibu.reports.table import ReportData

UNIT_FIELDS = ("id", "code", "name", "kind", "parent_id", "retired", "exempt", "status")
MEMBER_FIELDS = (
    "id",
    "archive_code",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "joined_on",
    "full_member_on",
    "position",
    "education",
    "org_id",
    "status",
    "category",
)
ITEM_FIELDS = (
    "id",
    "org_id",
    "member_id",
    "issue",
    "measure",
    "deadline",
    "responsible",
    "status",
    "signed_off_at",
)


def builders_for(cycle: Cycle) -> dict:
    """The reports of the cycle's scheme: every builder made for it or for every scheme,
    less those another one ``replaces``."""
    found = {
        key: b
        for key, b in plugins.registry().contributions["reports"].items()
        if not b.schemes or cycle.scheme_key in b.schemes
    }
    replaced = {key for b in found.values() for key in b.replaces}
    return {key: b for key, b in found.items() if key not in replaced}


def builder(cycle: Cycle, key: str):
    found = builders_for(cycle).get(key)
    if found is None:
        raise NotFound(
            _(
                "考评周期 %(cycle)s 没有“%(key)s”这份报表(可选:%(known)s)。",
                cycle=cycle.label,
                key=key,
                known="、".join(str(b.title) for b in builders_for(cycle).values()) or "无",
            ),
            field="key",
        )
    return found


CURRENT: Any = object()  # "the cycle's current result set, looked up now"


def result_rows(
    cycle: Cycle, result_set: Any = CURRENT, subject_kind: str | None = None, subject_id=None
) -> list[Any]:
    """The results of ``result_set`` (default: the current one; of ``subject_kind``, or
    of one subject, only, if given) as rows (the result columns as attributes), in one
    query."""
    current = compute.current_set(cycle) if result_set is CURRENT else result_set
    if current is None:
        return []
    query = select(*(getattr(EvaluationResult, f) for f in compute.RESULT_COLUMNS)).where(
        EvaluationResult.tenant_id == cycle.tenant_id,
        EvaluationResult.result_set_id == current.id,
    )
    if subject_kind is not None:
        query = query.where(EvaluationResult.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(EvaluationResult.subject_id == subject_id)
    return db.session.execute(
        query.order_by(EvaluationResult.subject_kind.desc(), EvaluationResult.subject_code)
    ).all()


def as_dict(row) -> dict[str, Any]:
    return {
        "subject_kind": row.subject_kind,
        "subject_id": row.subject_id,
        "code": row.subject_code,
        "kind": row.kind,
        "track": row.track,
        "rated": row.rated,
        "total": row.total,
        "stars": row.stars,
        "grade": row.grade,
        "titles": row.titles,
        "flags": row.flags,
        "actions": row.actions,
        "scores": row.source_scores,
        "rank": row.rank,
        "explanation": compute.explanation_of(row),
    }


def _rows(model, fields, *where) -> list[dict[str, Any]]:
    columns = [getattr(model, f) for f in fields]
    return [
        dict(zip(fields, row, strict=True))
        for row in db.session.execute(select(*columns).where(*where))
    ]


Shown = bool | frozenset[str]


def _shown(row, shown: Shown) -> bool:
    """``shown``: every file (True), none (False), or the files of these owner kinds (the
    kinds a scheme shares with an overseer, :attr:`zhibu.engine.Scheme.shareable_evidence`)."""
    return shown if isinstance(shown, bool) else row.owner_kind in shown


def _evidence(rows, shown: Shown) -> list[dict[str, Any]]:
    """Files as a report prints them: name and thumbnail (``shown``), else the count."""
    found = []
    for row in rows:
        thumb, visible = None, _shown(row, shown)
        if visible and row.thumb_key:
            content = evidence_files.store().get(row.tenant_id, row.thumb_key)
            thumb = "data:image/jpeg;base64," + base64.b64encode(content).decode()
        name = row.filename if visible else ""
        found.append({"name": name, "indicator": row.ref, "thumb": thumb})
    return found


def deduction_evidence(cycle: Cycle, shown: Shown) -> dict[Any, list[dict[str, Any]]]:
    """The files of the cycle's deductions, by subject (two queries)."""
    sheets = dict(
        db.session.execute(
            select(ScoreSheet.id, ScoreSheet.subject_id).where(
                ScoreSheet.tenant_id == cycle.tenant_id, ScoreSheet.cycle_id == cycle.id
            )
        ).all()
    )
    found: dict[Any, list[dict[str, Any]]] = {}
    for (sheet_id, _ref), rows in evidence_files.files_of(
        cycle.tenant_id, "deduction", sheets
    ).items():
        found.setdefault(sheets[sheet_id], []).extend(_evidence(rows, shown))
    return found


def ledger_of(cycle: Cycle, shown: Shown = False) -> list[dict[str, Any]]:
    """The cycle's rectification items, each with its last 回头看 (two queries) and its
    evidence files (names and thumbnails if ``shown``, else the count)."""
    items = _rows(
        RectificationItem,
        ITEM_FIELDS,
        RectificationItem.tenant_id == cycle.tenant_id,
        RectificationItem.cycle_id == cycle.id,
    )
    ids = select(RectificationItem.id).where(
        RectificationItem.tenant_id == cycle.tenant_id, RectificationItem.cycle_id == cycle.id
    )
    last: dict[Any, dict[str, Any]] = {}
    for check in sorted(
        _rows(
            FollowUp,
            ("item_id", "checked_on", "finding", "satisfactory"),
            FollowUp.tenant_id == cycle.tenant_id,
            FollowUp.item_id.in_(ids),
        ),
        key=lambda c: c["checked_on"],
    ):
        last[check["item_id"]] = check
    files = evidence_files.of_items(cycle.tenant_id, [item["id"] for item in items])
    return [
        {
            **item,
            "last_check": last.get(item["id"]),
            "evidence": _evidence(files[item["id"]], shown),
        }
        for item in items
    ]


def report_data(
    cycle: Cycle,
    today: date | None = None,
    params: dict[str, Any] | None = None,
    result_set: Any = CURRENT,
    personal: bool = True,
    evidence: Shown = False,
    lazy: bool = False,
) -> ReportData:
    """What the builders read, in a few bulk queries; the results of ``result_set``
    (default: the cycle's current one).

    :param personal: with the members (roster, results, rectification items); without
        (for an overseer, :func:`zhibu.accounts.policy.sees_personal_data`) the data holds
        units only, so no builder can print a member's name or score; the summary's counts
        stay.
    :param evidence: the reader may open the evidence files (their names and thumbnails
        are printed; else their count); a set of owner kinds: only those (an overseer's,
        the kinds the scheme shares), the rest counted.
    :param lazy: the units, members, results, summary, ledger and evidence are read when
        a builder first asks for them (inside the request), so that the ledger's report
        reads no result and the ranking no ledger."""
    current = compute.current_set(cycle) if result_set is CURRENT else result_set
    definition, _, _ = compute.definition_for(cycle)

    def units():
        return {
            u["id"]: u for u in _rows(OrgUnit, UNIT_FIELDS, OrgUnit.tenant_id == cycle.tenant_id)
        }

    def members():
        if not personal:
            return {}
        where = Member.tenant_id == cycle.tenant_id
        return {m["id"]: m for m in _rows(Member, MEMBER_FIELDS, where)}

    def results():
        found = [as_dict(r) for r in result_rows(cycle, current)]
        return found if personal else [r for r in found if r["subject_kind"] == "org"]

    def results_of(kind: str):  # a report about units reads no member's result
        if kind != "org" and not personal:
            return []
        return [as_dict(r) for r in result_rows(cycle, current, kind)]

    def result_of(subject_id: uuid.UUID):  # one subject's sheet reads its result alone
        found = [as_dict(r) for r in result_rows(cycle, current, subject_id=subject_id)]
        return next((r for r in found if personal or r["subject_kind"] == "org"), None)

    def levels_by_unit():
        if current is None:
            return []
        return compute.count_levels_by_unit(current, None if personal else "org")

    def summary():
        groups = compute.level_groups(cycle, current) if current is not None else []
        return compute.summary_of_groups(cycle, groups, definition)

    def ledger():
        items = ledger_of(cycle, evidence)
        return items if personal else [item for item in items if item["member_id"] is None]

    data = LazyReportData(
        {
            "units": units,
            "members": members,
            "results": results,
            "summary": summary,
            "ledger": ledger,
            "evidence": lambda: deduction_evidence(cycle, evidence),
        },
        (results_of, result_of, levels_by_unit),
        tenant=db.session.get(Tenant, cycle.tenant_id),
        cycle=cycle,
        today=(today or date.today()).isoformat(),
        definition=definition,
        scheme=plugins.registry().scheme(cycle.scheme_key),
        params=dict(params or {}),
    )
    if not lazy:
        for name in ("units", "members", "results", "summary", "ledger", "evidence"):
            getattr(data, name)
    return data


class LazyReportData(ReportData):
    """A :class:`ReportData` whose named fields are read on first use (each loader once)."""

    def __init__(self, loaders: dict[str, Any], some: Any = None, **given: Any) -> None:
        self.__dict__.update(given, _loaders=dict(loaders), _some=some, _read={})

    def results_of(self, subject_kind: str) -> list[dict[str, Any]]:
        """The results of one kind: read alone (a city's 2,000 units, not its 62,000
        results) unless every result is read already."""
        part = self._part("results_of", subject_kind)
        return super().results_of(subject_kind) if part is None else part[0]

    def result_of(self, subject_id: Any) -> dict[str, Any] | None:
        """One subject's result, read alone unless every result is read already."""
        part = self._part("result_of", subject_id)
        return super().result_of(subject_id) if part is None else part[0]

    def levels_by_unit(self) -> list[dict[str, Any]]:
        """Counted by the database (once) unless every result is read already."""
        part = self._part("levels_by_unit", "")
        return super().levels_by_unit() if part is None else part[0]

    def _part(self, which: str, key: Any) -> Any:
        """What the loader ``which`` reads for ``key`` (once), as a one-item list so that
        an empty answer is an answer; None when every result is read already."""
        some = self.__dict__.get("_some")
        if "results" in self.__dict__ or some is None:
            return None
        read = self.__dict__["_read"]
        if (which, str(key)) not in read:
            read[which, str(key)] = [self._load(which, key)]
        return read[which, str(key)]

    def _load(self, which: str, key: Any) -> Any:
        results_of, result_of, levels_by_unit = self.__dict__["_some"]
        if which == "results_of":
            return results_of(key)
        if which == "levels_by_unit":
            return levels_by_unit()
        try:
            return result_of(key if isinstance(key, uuid.UUID) else uuid.UUID(str(key)))
        except ValueError:  # not an id: no subject has it
            return None

    def __getattr__(self, name: str) -> Any:
        loaders = self.__dict__.get("_loaders", {})
        if name not in loaders:
            raise AttributeError(name)
        value = loaders.pop(name)()
        self.__dict__[name] = value
        return value


def level_data(cycle: Cycle) -> ReportData:
    """What the star chart reads, counted by the database: the current results grouped by
    track and level (:func:`zhibu.evaluations.compute.level_groups`), no unit, no member —
    a few dozen rows whatever the cycle's size."""
    groups = compute.level_groups(cycle)
    definition, _, _ = compute.definition_for(cycle)
    return ReportData(
        None,
        cycle,
        {},
        {},
        groups,
        compute.summary_of_groups(cycle, groups, definition),
        date.today().isoformat(),
        definition=definition,
        scheme=plugins.registry().scheme(cycle.scheme_key),
    )


def names_a_member(tables, data: ReportData) -> bool:
    """Whether any cell of ``tables`` holds the name of one of ``data``'s members: a
    report is personal by what it shows, whatever its builder declares."""
    names = {m["name"] for m in data.members.values() if m.get("name")}
    if not names:
        return False
    for table in tables:
        for row in table.rows:
            for value in row.values():
                if isinstance(value, str) and any(name in value for name in names):
                    return True
    return False


def build(
    cycle: Cycle,
    key: str,
    params: dict[str, Any] | None = None,
    personal: bool = True,
    evidence: Shown = False,
):
    """The tables of one report, and its title. ``params["subject_id"]`` picks one subject
    (the score sheet); it must have a result in the cycle. Without ``personal`` the report
    is built from data without members; ``evidence``: see :func:`report_data`."""
    found = builder(cycle, key)
    data = report_data(cycle, params=params, personal=personal, evidence=evidence, lazy=True)
    subject = data.params.get("subject_id")
    if subject is not None and data.result_of(subject) is None:
        raise NotFound(_("这个考评周期中没有该对象的评定结果。"), field="subject_id")
    return found.build(data), found.title
