"""Who a roster row is: the tenant's members and units as an import sees them, and the
rules that find the member a row is about.

A row is matched by its ID-card number where it has one, else by its archive code, else
by name and birth date (and branch): one member of that name born that day (or month,
when only the month is written), or one of several in the row's own branch, is the
member; several, or a member of that name whose birth date is not recorded (a name-only
match), are candidates the user chooses among in the preview (create a new member or
update one of them), never a guess. A row with neither birth date nor ID card is the
member of that name only when that member is the tenant's one member of the name, in
the row's branch, with no birth date either (the same record: a roster of names
re-imported); otherwise the user chooses. A row with an archive code the registry does not
know is a new member unless someone of that name and birth date exists (then the user
decides too). Loaded in three queries; nothing here writes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Row, func, select

from zhibu.db import db
from zhibu.i18n import _
from zhibu.members.service import FIELDS
from zhibu.models import Member, MemberTransfer, OrgUnit, Tenant
from zhibu.workbooks.normalize import MonthDate, folded, same_day

# --- units -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    id: uuid.UUID
    code: str
    name: str
    path: str
    active: bool


class Units:
    """Every unit of a tenant, by id, code and name (one query). Names are also found
    with full-width characters and spaces folded (``机关第一党支部 `` is the unit)."""

    def __init__(self, units: list[Unit]):
        self.all = units
        self.by_id = {unit.id: unit for unit in units}
        self.by_code = {unit.code: unit for unit in units}
        self.by_name: dict[str, list[Unit]] = defaultdict(list)
        self.by_folded: dict[str, list[Unit]] = defaultdict(list)
        for unit in units:
            self.by_name[unit.name].append(unit)
            self.by_folded[folded(unit.name)].append(unit)
            if folded(unit.code) != unit.code:
                self.by_folded[folded(unit.code)].append(unit)

    @classmethod
    def load(cls, tenant_id: uuid.UUID) -> Units:
        rows = db.session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path, OrgUnit.status)
            .where(OrgUnit.tenant_id == tenant_id)
            .order_by(OrgUnit.id)
        )
        return cls([Unit(r.id, r.code, r.name, r.path, r.status == "active") for r in rows])

    def resolve(self, text: str) -> Unit:
        """The unit a 所在支部 cell names (code first, then name); ValueError says why not."""
        unit = self.by_code.get(text)
        if unit is None:
            named = self.by_name.get(text) or self.by_folded.get(folded(text), [])
            active = [u for u in named if u.active]
            if len(active) > 1:
                codes = "、".join(sorted(u.code for u in active))
                raise ValueError(
                    _(
                        "有%(count)s个组织都叫“%(name)s”;请改填组织编码:%(codes)s。",
                        count=len(active),
                        name=text,
                        codes=codes,
                    )
                )
            unit = active[0] if active else (named[0] if named else None)
        if unit is None:
            raise ValueError(
                _("找不到组织“%(name)s”;应为本单位“组织架构”中某个组织的名称或编码。", name=text)
            )
        if not unit.active:
            raise ValueError(
                _(
                    "%(name)s(%(code)s)已撤销,不能再转入党员;请填写现有的组织。",
                    name=unit.name,
                    code=unit.code,
                )
            )
        return unit

    def label(self, unit_id: uuid.UUID) -> str:
        """What export writes in 所在支部: the name if it identifies the unit, else the code."""
        unit = self.by_id[unit_id]
        named = [u for u in self.by_name[unit.name] if u.active]
        return unit.name if named == [unit] and unit.name not in self.by_code else unit.code

    def fingerprint(self) -> bytes:
        return orjson.dumps([(u.id, u.code, u.name, u.path, u.active) for u in self.all])


# --- members -----------------------------------------------------------------------------

LOADED = (
    Member.id,
    Member.org_id,
    *(getattr(Member, name) for name in FIELDS),
    Member.id_card_cipher,
    Member.id_card_digest,
    Member.active,
    Member.left_on,
)


class Registry:
    """Every member of a tenant (one query, in id order), indexed the ways rows match
    them, with the date of each member's latest transfer (one more)."""

    def __init__(self, rows: list[Row], latest: dict[uuid.UUID, date]):
        self.rows = rows
        self.latest = latest
        self.by_id = {row.id: row for row in rows}
        self.by_code: dict[str, Row] = {}
        for row in rows:
            self.by_code[row.archive_code] = row
            self.by_code.setdefault(folded(row.archive_code), row)
        self.by_digest = {row.id_card_digest: row for row in rows if row.id_card_digest}
        self.by_name: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            self.by_name[row.name].append(row)

    @classmethod
    def load(cls, tenant_id: uuid.UUID) -> Registry:
        rows = db.session.execute(
            select(*LOADED).where(Member.tenant_id == tenant_id).order_by(Member.id)
        ).all()
        latest = db.session.execute(
            select(MemberTransfer.member_id, func.max(MemberTransfer.transferred_on))
            .where(MemberTransfer.tenant_id == tenant_id)
            .group_by(MemberTransfer.member_id)
        ).all()
        return cls(rows, dict(latest))

    def fingerprint(self) -> bytes:
        members = orjson.dumps([tuple(row) for row in self.rows])
        transfers = orjson.dumps(sorted((str(k), v) for k, v in self.latest.items()))
        return members + transfers


def fingerprint(tenant: Tenant, units: Units, registry: Registry, extra: Any) -> str:
    """What a preview read, as one digest: the commit redoes the preview under the
    registry's lock and goes ahead only when it read the same."""
    digest = hashlib.sha256()
    digest.update(orjson.dumps([tenant.code, tenant.id_card_enabled, extra]))
    digest.update(units.fingerprint())
    digest.update(registry.fingerprint())
    return digest.hexdigest()


# --- matching ----------------------------------------------------------------------------


@dataclass
class Match:
    """What a row is: ``member`` (found, ``how``), a new member (neither), or a choice
    among ``candidates`` for the user (``suggested``: the likeliest, if one stands out)."""

    member: Row | None = None
    how: str = ""
    candidates: list[Row] = field(default_factory=list)
    suggested: Row | None = None
    problem: tuple[str, str] | None = None

    @property
    def pending(self) -> bool:
        return bool(self.candidates)


def identify(
    registry: Registry, values: dict[str, Any], digest: str | None, unit_id: uuid.UUID
) -> Match:
    """The member a row is about (see the module's rules)."""
    code = values["archive_code"]
    if digest is not None and digest in registry.by_digest:
        owner = registry.by_digest[digest]
        if code and code not in (owner.archive_code, folded(owner.archive_code)):
            return Match(problem=("archive_code", _card_and_code(owner.archive_code, code)))
        return Match(owner, "id_card")
    if code:
        owner = registry.by_code.get(code)
        if owner is not None:
            if digest is not None and owner.id_card_digest not in (None, digest):
                return Match(problem=("id_card", _other_card(owner.archive_code)))
            return Match(owner, "archive_code")
    return _by_person(registry, values, digest, unit_id, new_code=bool(code))


def _by_person(registry, values, digest, unit_id, *, new_code: bool) -> Match:
    born = values["birth_date"]
    same_name = [
        m
        for m in registry.by_name.get(values["name"], [])
        if digest is None or not m.id_card_digest
    ]
    if born is None:
        alike = [m for m in same_name if m.org_id == unit_id and m.birth_date is None]
        if len(alike) == 1 and len(same_name) == 1:
            return Match(alike[0], "person")  # the very record: nothing else on either side
        return _choice(same_name, unit_id)  # a name-only match is the user's choice
    born_so = [m for m in same_name if m.birth_date is not None and _same_birth(born, m.birth_date)]
    unknown = [m for m in same_name if m.birth_date is None]
    if new_code:  # the row names an archive code no member has: anyone found is a guess
        return _choice(born_so + unknown, unit_id)
    in_unit = [m for m in born_so if m.org_id == unit_id]
    if len(in_unit) == 1:
        return Match(in_unit[0], "person")
    if len(born_so) == 1:
        return Match(born_so[0], "person")
    return _choice(born_so or unknown, unit_id)


def _same_birth(written: date, stored: date) -> bool:
    """The row's birth date says the stored one: the same day, or the same month when the
    row gives only the month or the stored date is the first (it may have been a month)."""
    if same_day(written, stored):
        return True
    month = (written.year, written.month) == (stored.year, stored.month)
    return month and (isinstance(written, MonthDate) or stored.day == 1)


def _choice(candidates: list[Row], unit_id: uuid.UUID) -> Match:
    if not candidates:
        return Match()
    in_unit = [m for m in candidates if m.org_id == unit_id]
    suggested = in_unit[0] if len(in_unit) == 1 else None
    if suggested is None and len(candidates) == 1:
        suggested = candidates[0]
    return Match(candidates=candidates, suggested=suggested)


def _card_and_code(owner_code: str, code: str) -> str:
    return _(
        "该身份证号登记在档案编码为 %(owner)s 的党员名下,"
        "与本行的档案编码“%(code)s”不符;请核对两者。",
        owner=owner_code,
        code=code,
    )


def _other_card(code: str) -> str:
    return _(
        "档案编码为 %(code)s 的党员登记了另一个身份证号;请核对。如确需更正,请在党员信息中修改。",
        code=code,
    )
