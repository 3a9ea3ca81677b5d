"""Run a scenario through the same services the app uses, on the app's database.

    results = run_scenario(load_scenario("tests/scenarios/akesu_college/quota.yaml"), app)

``zhibu scenario run FILE`` (and :func:`zhibu.testing.run_scenario`) give it an app of
its own on a throwaway database.

Every refusal names the line of the file and the subject at fault.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Flask

from zhibu import plugins
from zhibu.accounts.access import access_for
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import compute, cycles, facts, sheets, versions
from zhibu.evaluations.scenario_file import (
    LINE,
    Scenario,
    ScenarioError,
    unmet,
    unmet_refusal,
    where,
)
from zhibu.models import Cycle, RoleAssignment, Tenant, TenantScheme, User
from zhibu.orgs import service as orgs
from zhibu.tenancy.scope import system_scope, use_scope

T = TypeVar("T")

__all__ = ["check_scenario", "run_scenario"]

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


def run_scenario(scenario: Scenario, app: Flask) -> list[dict[str, Any]]:
    """Results of the scenario's cycle in ``app`` (a tenant of its own is made for it),
    one per unit and member the scheme covers.

    :raises ScenarioError: listing every refusal, each naming its line and subject.
    """
    with app.app_context():
        return _Run(scenario).run()


def on_scenario_cycle(scenario: Scenario, app: Flask, use: Callable[[Cycle], T]) -> T:
    """Run the scenario in ``app``, then what ``use`` makes of its computed cycle (called
    in the app's context and the scenario tenant's scope: a report built on it …).

    :raises ScenarioError: as :func:`run_scenario`.
    """
    with app.app_context():
        run = _Run(scenario)
        run.run()
        with use_scope(system_scope(username="scenario")):
            return use(run.cycle)


def check_scenario(scenario: Scenario, app: Flask) -> list[str]:
    """Run the scenario in ``app`` and say what its expectations find wrong: the ``expect``
    entries the results do not meet, or, for a refused scenario, the ``expect_refusal``
    texts the refusal does not contain (a refusal nobody expected is itself the problem).
    An empty list: every expectation met."""
    try:
        results = run_scenario(scenario, app)
    except ScenarioError as exc:
        return unmet_refusal(scenario, exc.problems)
    return unmet(scenario, results)


class _Run:
    def __init__(self, scenario: Scenario):
        self.s = scenario
        self.problems: list[str] = []
        self.codes: dict[str, tuple[str, uuid.UUID]] = {}
        self.units_of: dict[str, list[tuple[date, str]]] = {}  # member → (from, unit), dated

    def run(self) -> list[dict[str, Any]]:
        with use_scope(system_scope(username="scenario")):
            self.tenant = self._tenant()
            self._settings()
            self._step(self._orgs)
            self.access = self._admin_access()
            self._step(self._members)
            self._step(self._transfers)
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
            kinds = plugins.registry().org_kinds
            if entry["kind"] not in kinds:
                self.problems.append(
                    f"{where(entry, entry['code'])}: unknown kind "
                    f"{entry['kind']!r} (known: {', '.join(kinds)})"
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
                "ethnicity": entry.get("ethnicity"),
                "education": entry.get("education"),
                "joined_on": _date(entry.get("joined")),
                "birth_date": _date(entry.get("birth")),
                "full_member_on": _date(entry.get("full_since")),
            }
            if entry.get("left"):
                data.update(active=False, left_on=_date(entry["left"]))
            member = self._call(entry, entry["code"], lambda d=data: create_member(self.access, d))
            if member is not None:
                self.codes[member.archive_code] = ("member", member.id)
                self.units_of[member.archive_code] = [(date.min, str(entry["org"]))]

    def _transfers(self) -> None:
        """Members moving between units (组织关系转接), in date order, each through the
        registry's transfer: the member's ``org`` is where they started."""
        from zhibu.members.service import get_member, transfer_member

        entries = self.s.entries("transfers")
        for entry in sorted(entries, key=lambda e: str(e.get("date"))):
            code = str(entry["member"])
            member_id = self._member(entry, code)
            unit = self._unit(entry, entry["to"], code)
            if member_id is None or unit is None:
                continue
            moved = self._call(
                entry,
                code,
                lambda e=entry, m=member_id, u=unit: transfer_member(
                    self.access,
                    get_member(self.access, m),
                    u,
                    _date(e["date"]),
                    e.get("reason", ""),
                ),
            )
            if moved is not None:
                self.units_of[code].append((moved.transferred_on, str(entry["to"])))

    def _unit_of(self, member: str, day: date) -> str | None:
        """The unit a member of the scenario was in on ``day``, from its transfers."""
        found = None
        for since, unit in self.units_of.get(member, ()):
            if since <= day:
                found = unit
        return found

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
                lines=[e.get(LINE, "?") for e in entries],
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
            person = entry.get("member") or entry.get("lecturer")
            day, org = self._record_place(entry, person)
            if day is None or org is None:
                continue
            unit = self._unit(entry, org, org)
            people = [self._member(entry, c) for c in entry.get("attendees") or []]
            person_id = self._member(entry, person) if person else None
            if unit is None or None in people or (person and person_id is None):
                continue
            self._call(
                entry,
                org,
                lambda e=entry, u=unit, p=people, m=person_id, d=day: facts.add_record(
                    self.access,
                    u,
                    e["kind"],
                    d,
                    attendees=p,
                    member_id=m,
                    month=e.get("month"),
                    hours=e.get("hours"),
                    topic=e.get("topic", ""),
                ),
            )

    def _record_place(self, entry, person) -> tuple[date | None, str | None]:
        """A record's date and unit: as given, or the date from its month (the month's
        first day) and the unit from its member (theirs on that day): a dues record is
        written with the member and the month alone."""
        label = entry.get("org") or person or entry.get("kind")
        try:
            day = _date(entry.get("date")) or _month_start(entry.get("month"))
        except ValueError as exc:
            self.problems.append(f"{where(entry, label)}: {exc}")
            return None, None
        if day is None:
            self.problems.append(f"{where(entry, label)}: a record needs a date (or a month)")
            return None, None
        org = entry.get("org")
        if org is None and person is not None:
            org = self._unit_of(str(person), day)
        if org is None:
            self.problems.append(
                f"{where(entry, label)}: a record needs an org (or a member whose unit gives it)"
            )
        return day, None if org is None else str(org)

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


def _month_start(value) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise ValueError(f"{value!r} is not a month (YYYY-MM)") from None


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
