"""Run a scenario through the same services the app uses, on a throwaway database.

    results = run_scenario(load_scenario("tests/scenarios/akesu_college/quota.yaml"))

Every refusal names the line of the file and the subject at fault.
"""

from __future__ import annotations

import tempfile
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from zhibu.accounts.access import access_for
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import compute, cycles, facts, sheets, versions
from zhibu.evaluations.scenario_file import LINE, Scenario, ScenarioError, where
from zhibu.models import ORG_KINDS, RoleAssignment, Tenant, TenantScheme, User
from zhibu.orgs import service as orgs
from zhibu.tenancy.scope import system_scope, use_scope

RESULT_KEYS = (
    "subject",
    "subject_kind",
    "total",
    "stars",
    "grade",
    "titles",
    "flags",
    "actions",
    "explanation",
)


def run_scenario(scenario: Scenario, app: Flask | None = None) -> list[dict[str, Any]]:
    """Results of the scenario's cycle, one per unit and member the scheme covers."""
    if app is not None:
        with app.app_context():
            return _Run(scenario).run()
    with tempfile.TemporaryDirectory(prefix="zhibu-scenario-") as folder:
        app = throwaway_app(Path(folder))
        try:
            with app.app_context():
                return _Run(scenario).run()
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def throwaway_app(folder: Path) -> Flask:
    from flask_migrate import upgrade

    from zhibu.app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'scenario.sqlite3'}",
            "ZHIBU_INSTANCE_PATH": str(folder),
            "SECRET_KEY": "scenario",
        }
    )
    with app.app_context():
        upgrade()
    return app


class _Run:
    def __init__(self, scenario: Scenario):
        self.s = scenario
        self.problems: list[str] = []
        self.codes: dict[str, tuple[str, uuid.UUID]] = {}

    def run(self) -> list[dict[str, Any]]:
        with use_scope(system_scope(username="scenario")):
            self.tenant = self._tenant()
            self._settings()
            self._step(self._orgs)
            self.access = self._admin_access()
            self._step(self._members)
            self._step(self._history)
            self.cycle = self._cycle()
            for step in (self._scores, self._incidents, self._records):
                self._step(step)
            try:
                compute.recompute(self.cycle)
            except ServiceError as exc:
                raise ScenarioError(list(exc.errors or [exc.message])) from None
            return [self._output(r) for r in compute.results_of(self.cycle)]

    def _step(self, step) -> None:
        step()
        if self.problems:
            raise ScenarioError(self.problems)

    def _tenant(self) -> Tenant:
        tenant = Tenant(
            id=uuid.uuid4(),
            code=f"SCENARIO-{uuid.uuid4().hex[:8]}",
            name=self.s.name,
            kind="institution",
        )
        db.session.add(tenant)
        db.session.flush()
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key=self.s.doc["scheme"]))
        db.session.commit()
        try:
            versions.scheme_of(tenant, self.s.doc["scheme"])
        except ServiceError as exc:
            raise ScenarioError([f"line 1: {exc.message}"]) from None
        return tenant

    def _settings(self) -> None:
        scheme = versions.scheme_of(self.tenant, self.s.doc["scheme"])
        given = {k: v for k, v in (self.s.doc.get("settings") or {}).items() if k != LINE}
        options = {o.key for o in scheme.cycle_options}
        self.options = {k: v for k, v in given.items() if k in options}
        try:
            for option in scheme.cycle_options:
                if option.key in self.options:
                    option.check(self.options[option.key])
            versions.save_settings(
                self.tenant, scheme.key, {k: v for k, v in given.items() if k not in options}
            )
        except (ValueError, ServiceError) as exc:
            message = getattr(exc, "message", str(exc))
            raise ScenarioError([f"settings: {message}"]) from None

    def _orgs(self) -> None:
        for entry in self.s.entries("orgs"):
            parent = self.codes.get(entry.get("parent")) if entry.get("parent") else None
            if entry.get("parent") and parent is None:
                self.problems.append(
                    f"{where(entry, entry['code'])}: unknown parent "
                    f"{entry['parent']!r} (list parents first)"
                )
                continue
            if entry["kind"] not in ORG_KINDS:
                self.problems.append(
                    f"{where(entry, entry['code'])}: unknown kind "
                    f"{entry['kind']!r} (known: {', '.join(ORG_KINDS)})"
                )
                continue
            self._call(entry, entry["code"], lambda e=entry, p=parent: self._org(e, p))

    def _org(self, entry, parent) -> None:
        unit = orgs.create_org(
            self.tenant.id,
            code=str(entry["code"]),
            name=entry["name"],
            kind=entry["kind"],
            parent_id=parent[1] if parent else None,
            retired=bool(entry.get("retired")),
            exempt=bool(entry.get("exempt")),
        )
        self.codes[unit.code] = ("org", unit.id)

    def _admin_access(self):
        user = User(id=uuid.uuid4(), username=f"scenario-{uuid.uuid4().hex[:8]}", password_hash="!")
        db.session.add(user)
        db.session.flush()
        db.session.add(
            RoleAssignment(tenant_id=self.tenant.id, user_id=user.id, role="tenant_admin")
        )
        db.session.commit()
        return access_for(user, self.tenant.id)

    def _members(self) -> None:
        from zhibu.members.service import create_member

        for entry in self.s.entries("members"):
            unit = self._unit(entry, entry["org"], entry["code"])
            if unit is None:
                continue
            data = {
                "org_id": unit,
                "name": entry["name"],
                "archive_code": str(entry["code"]),
                "status": entry.get("status", "full"),
                "category": entry.get("category", "serving"),
                "exempt": bool(entry.get("exempt")),
                "position": entry.get("position"),
                "gender": entry.get("gender"),
                "joined_on": _date(entry.get("joined")),
                "birth_date": _date(entry.get("birth")),
                "full_member_on": _date(entry.get("full_since")),
            }
            if entry.get("left"):
                data.update(active=False, left_on=_date(entry["left"]))
            member = self._call(entry, entry["code"], lambda d=data: create_member(self.access, d))
            if member is not None:
                self.codes[member.archive_code] = ("member", member.id)

    def _history(self) -> None:
        by_period: dict[str, list[dict]] = defaultdict(list)
        for entry in self.s.entries("history"):
            if self._subject(entry, entry["subject"]) is not None:
                by_period[str(entry["period"])].append(entry)
        for period, entries in sorted(by_period.items()):
            cycle = self._call(
                entries[0],
                None,
                lambda p=period: cycles.open_cycle(self.tenant, self.s.doc["scheme"], p),
            )
            if cycle is not None:
                compute.store_history(
                    cycle, [dict(e, subject=self.codes[e["subject"]]) for e in entries]
                )

    def _cycle(self):
        try:
            return cycles.open_cycle(
                self.tenant, self.s.doc["scheme"], self.s.doc["period"], options=self.options
            )
        except ServiceError as exc:
            raise ScenarioError([f"period {self.s.doc['period']!r}: {exc.message}"]) from None

    def _scores(self) -> None:
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for entry in self.s.entries("scores"):
            key = (
                entry["subject"],
                entry["source"],
                str(entry.get("rater", "")),
                str(entry.get("period", "")),
            )
            groups[key].append(entry)
        for (code, source, rater, period), entries in groups.items():
            subject = self._subject(entries[0], code)
            if subject is None:
                continue
            data = sheets.SheetInput(subject[0], subject[1], source, rater, period)
            for entry in entries:
                data.score = entry.get("score", data.score)
                data.items.update(
                    {k: v for k, v in (entry.get("items") or {}).items() if k != LINE}
                )
                data.deductions += [
                    {
                        "item": d.get("item"),
                        "points": d.get("points", 0),
                        "reason": d.get("reason", ""),
                    }
                    for d in entry.get("deductions") or []
                ]
            self._call(
                entries[-1],
                code,
                lambda d=data: sheets.save_sheet(self.cycle, d),
                lines=[e[LINE] for e in entries],
            )

    def _incidents(self) -> None:
        for entry in self.s.entries("incidents"):
            subject = self._subject(entry, entry["subject"])
            if subject is not None:
                self._call(
                    entry,
                    entry["subject"],
                    lambda e=entry, s=subject: facts.add_incident(
                        self.access, s[0], s[1], e["kind"], _date(e["date"]), e.get("note", "")
                    ),
                )

    def _records(self) -> None:
        for entry in self.s.entries("records"):
            unit = self._unit(entry, entry["org"], entry["org"])
            people = [self._member(entry, c) for c in entry.get("attendees") or []]
            person = entry.get("member") or entry.get("lecturer")
            person_id = self._member(entry, person) if person else None
            if unit is None or None in people or (person and person_id is None):
                continue
            self._call(
                entry,
                entry["org"],
                lambda e=entry, u=unit, p=people, m=person_id: facts.add_record(
                    self.access,
                    u,
                    e["kind"],
                    _date(e["date"]),
                    attendees=p,
                    member_id=m,
                    month=e.get("month"),
                    hours=e.get("hours"),
                    topic=e.get("topic", ""),
                ),
            )

    # -- helpers ----------------------------------------------------------------------

    def _call(self, entry, subject, action, lines: list[int] | None = None):
        try:
            return action()
        except (ServiceError, ValueError) as exc:
            db.session.rollback()
            at = (
                f"lines {', '.join(map(str, lines))} ({subject})"
                if lines and len(lines) > 1
                else where(entry, subject)
            )
            details = (
                exc.errors.get("sheet") if isinstance(getattr(exc, "errors", None), dict) else None
            )
            message = "; ".join(details) if details else getattr(exc, "message", str(exc))
            self.problems.append(f"{at}: {message}")
            return None

    def _subject(self, entry, code) -> tuple[str, uuid.UUID] | None:
        found = self.codes.get(str(code))
        if found is None:
            self.problems.append(f"{where(entry, code)}: unknown subject {code!r}")
        return found

    def _unit(self, entry, code, subject) -> uuid.UUID | None:
        found = self.codes.get(str(code))
        if found is None or found[0] != "org":
            self.problems.append(f"{where(entry, subject)}: unknown org {code!r}")
            return None
        return found[1]

    def _member(self, entry, code) -> uuid.UUID | None:
        found = self.codes.get(str(code))
        if found is None or found[0] != "member":
            self.problems.append(f"{where(entry, code)}: unknown member {code!r}")
            return None
        return found[1]

    def _output(self, result) -> dict[str, Any]:
        return {
            "subject": result.subject_code,
            "subject_kind": result.kind,
            "total": result.total,
            "stars": result.stars,
            "grade": result.grade,
            "titles": result.titles,
            "flags": result.flags,
            "actions": result.actions,
            "rank": result.rank,
            "explanation": [line["text"] for line in compute.explanation_of(result)]
            + ([result.gap] if result.gap else []),
        }


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
