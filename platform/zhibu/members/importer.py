"""Roster import (preview, then an all-or-nothing commit) and export (党员花名册 .xlsx).

An import reads the workbook with :func:`zhibu.members.roster.read_roster`, then plans
every row against the tenant in memory: one query loads every unit, one loads every
member. Each row's 所在支部 is resolved by unit code, else by the name of an active unit;
each row is matched to an existing member by 档案编码 if it has one, else by ID-card
digest, else by (姓名, 出生日期). A matched member is updated with the row's non-empty
cells (an empty cell never erases a stored value; clear a value through the API), a
member whose unit changes gets a transfer record, and an unmatched row creates a member
(with a new archive code ``<tenant code>-000001`` … when the row has none).

The commit writes nothing when any row has a problem; otherwise it writes every insert
and update with bulk statements in one transaction and adds one summary audit entry.
Re-importing the same file changes nothing: values are compared field by field and
unchanged members are not written at all.

Export writes the same headers; 所在支部 is the unit's name when that name identifies it
(one active unit has it and no unit has it as a code), else the unit's code, so an export
imports back without a change.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from zhibu import audit
from zhibu.accounts.access import TenantAccess
from zhibu.db import db, new_id
from zhibu.errors import Conflict, Forbidden, ServiceError
from zhibu.members import crypto, roster, service
from zhibu.members.roster import RosterParse, RosterRow, RowError
from zhibu.models import Member, MemberTransfer, OrgUnit, Tenant
from zhibu.tenancy.scope import current_scope

FIELDS = service.FIELDS  # roster fields stored in member columns of the same name
IMPORT_REASON = "花名册导入 / roster import"
DEFAULTS = {"status": "full", "category": "serving"}

Problem = tuple[str, str]  # (roster field, message)


@dataclass
class ImportReport:
    """What an import does (preview) or did (commit). ``errors`` are
    :class:`~zhibu.members.roster.RowError` values as dicts: row, column, header, message."""

    total: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    to_transfer: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    sha256: str = ""
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}

    def row_errors(self) -> list[RowError]:
        return [RowError(**error) for error in self.errors]


class ImportRejected(ServiceError):
    """The file has problems: nothing was written. ``errors`` lists every one."""

    status = 422

    def __init__(self, report: ImportReport):
        count = len(report.errors)
        super().__init__(
            f"花名册有 {count} 处错误，未导入任何数据 / the roster has {count} problem"
            f"{'s' if count != 1 else ''}; nothing was imported",
            errors=report.errors,
        )
        self.report = report


# --- the tenant's units ------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    id: uuid.UUID
    code: str
    name: str
    path: str
    active: bool


class Units:
    """Every unit of a tenant, by id, code and name (one query)."""

    def __init__(self, units: list[Unit]):
        self.by_id = {unit.id: unit for unit in units}
        self.by_code = {unit.code: unit for unit in units}
        self.by_name: dict[str, list[Unit]] = defaultdict(list)
        for unit in units:
            self.by_name[unit.name].append(unit)

    @classmethod
    def load(cls, tenant_id: uuid.UUID) -> Units:
        rows = db.session.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path, OrgUnit.status).where(
                OrgUnit.tenant_id == tenant_id
            )
        )
        return cls([Unit(r.id, r.code, r.name, r.path, r.status == "active") for r in rows])

    def resolve(self, text: str) -> Unit:
        """The unit a 所在支部 cell names (code first, then name); ValueError says why not."""
        unit = self.by_code.get(text)
        if unit is None:
            named = self.by_name.get(text, [])
            active = [u for u in named if u.active]
            if len(active) > 1:
                raise ValueError(_ambiguous(text, active))
            unit = active[0] if active else (named[0] if named else None)
        if unit is None:
            raise ValueError(
                f'找不到组织"{text}"，请填写本单位组织的名称或编码 / no unit with the code or '
                f'name "{text}" in this tenant'
            )
        if not unit.active:
            raise ValueError(
                f"{unit.name}（{unit.code}）已撤销，不能再转入党员 / {unit.code} is dissolved"
            )
        return unit

    def label(self, unit_id: uuid.UUID) -> str:
        """What export writes in 所在支部: the name if it identifies the unit, else the code."""
        unit = self.by_id[unit_id]
        named = [u for u in self.by_name[unit.name] if u.active]
        return unit.name if named == [unit] and unit.name not in self.by_code else unit.code


def _ambiguous(text: str, units: list[Unit]) -> str:
    codes = "、".join(sorted(u.code for u in units))
    return (
        f'有{len(units)}个组织都叫"{text}"，请改填组织编码：{codes} / {len(units)} units are '
        f'named "{text}"; write the unit code instead: {codes.replace("、", ", ")}'
    )


# --- the tenant's members ----------------------------------------------------------------

_LOADED = (
    Member.id,
    Member.org_id,
    *(getattr(Member, name) for name in FIELDS),
    Member.id_card_cipher,
    Member.id_card_digest,
)


class Registry:
    """Every member of a tenant (one query), indexed the three ways rows match them."""

    def __init__(self, rows: list[Row]):
        self.by_code = {row.archive_code: row for row in rows}
        self.by_digest = {row.id_card_digest: row for row in rows if row.id_card_digest}
        self.by_person: dict[tuple[str, date], list[Row]] = defaultdict(list)
        for row in rows:
            if row.birth_date is not None:
                self.by_person[(row.name, row.birth_date)].append(row)

    @classmethod
    def load(cls, tenant_id: uuid.UUID) -> Registry:
        return cls(list(db.session.execute(select(*_LOADED).where(Member.tenant_id == tenant_id))))


# --- planning ----------------------------------------------------------------------------


@dataclass
class _Card:
    number: str
    digest: str


@dataclass
class Plan:
    """Every row checked and turned into inserts, updates and transfers (nothing written)."""

    tenant: Tenant
    access: TenantAccess
    parse: RosterParse
    data: bytes
    units: Units
    registry: Registry
    cipher: crypto.IdCardCipher
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    claimed: dict[uuid.UUID, int] = field(default_factory=dict)
    _columns: dict[str, tuple[str, str]] | None = None

    def problem(self, row: int, problems: list[Problem]) -> None:
        if self._columns is None:
            self._columns = _header_columns(self.data)
        for name, message in problems:
            letter, header = self._columns.get(name, ("", ""))
            self.errors.append(RowError(row, letter, header, message))

    def report(self) -> ImportReport:
        errors = sorted([*self.parse.errors, *self.errors], key=_error_order)
        bad_rows = {e.row for e in errors if e.row > self.parse.header_row}
        return ImportReport(
            total=len(self.parse.rows) + len(bad_rows - {r.row_number for r in self.parse.rows}),
            to_create=len(self.inserts),
            to_update=len(self.updates),
            unchanged=self.unchanged,
            to_transfer=len(self.transfers),
            errors=[asdict(error) for error in errors],
            ignored_headers=list(self.parse.ignored_headers),
            sha256=hashlib.sha256(self.data).hexdigest(),
        )


def _error_order(error: RowError) -> tuple[int, int]:
    return error.row, column_index_from_string(error.column) if error.column else 0


def _header_columns(data: bytes) -> dict[str, tuple[str, str]]:
    """Roster field → (column letter, header as written), read the way ``read_roster``
    reads it (its header helpers, on a read-only workbook: only the first rows are read)."""
    workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    try:
        found = roster._find_header(workbook)
        if found is None:
            return {}
        _, row, cells = found
        located = roster._read_header(row, cells).located
        return {name: (spot.letter, spot.header) for name, spot in located.items()}
    finally:
        workbook.close()


def plan_import(tenant: Tenant, access: TenantAccess, data: bytes) -> Plan:
    """Read and check the whole file against the tenant; nothing is written."""
    parse = roster.read_roster(data)
    plan = Plan(
        tenant,
        access,
        parse,
        data,
        Units.load(tenant.id),
        Registry.load(tenant.id),
        crypto.cipher(),
    )
    for row in parse.rows:
        _plan_row(plan, row)
    _allocate_archive_codes(plan)
    return plan


def _plan_row(plan: Plan, row: RosterRow) -> None:
    values, problems = row.values, []
    unit = _unit(plan, values["branch"], problems)
    card = _card(plan, values["id_card"], problems)
    member = _match(plan, row.row_number, values, card, problems)
    if problems or unit is None:
        plan.problem(row.row_number, problems)
    elif member is None:
        plan.inserts.append(_new_member(plan, values, unit, card))
    else:
        _plan_update(plan, member, values, unit, card)


def _unit(plan: Plan, text: str, problems: list[Problem]) -> Unit | None:
    try:
        unit = plan.units.resolve(text)
    except ValueError as error:
        problems.append(("branch", str(error)))
        return None
    if not service.may_write(plan.access, unit.path):
        problems.append(("branch", _outside(unit.name)))
        return None
    return unit


def _outside(name: str) -> str:
    return f"{name}不在您管辖的范围内 / {name} is outside the branches you manage"


def _card(plan: Plan, number: str | None, problems: list[Problem]) -> _Card | None:
    if number is None:
        return None
    if not plan.tenant.id_card_enabled:
        problems.append(("id_card", service.ID_CARDS_OFF))
        return None
    return _Card(number, plan.cipher.digest(number))


def _match(
    plan: Plan, number: int, values: dict[str, Any], card: _Card | None, problems: list[Problem]
) -> Row | None:
    """The existing member the row is about (None: a new member)."""
    registry = plan.registry
    if values["archive_code"]:
        member, key = registry.by_code.get(values["archive_code"]), "archive_code"
    elif card is not None:
        member, key = registry.by_digest.get(card.digest), "id_card"
    else:
        member, key = _match_person(registry, values, problems), "name"
    owner = registry.by_digest.get(card.digest) if card else None
    if owner is not None and owner is not member:
        problems.append(("id_card", service.id_card_taken(owner.archive_code)))
    if member is not None:
        _check_member(plan, number, member, key, problems)
    return member


def _match_person(registry: Registry, values: dict[str, Any], problems: list[Problem]):
    if values["birth_date"] is None:
        return None
    found = registry.by_person.get((values["name"], values["birth_date"]), [])
    if len(found) > 1:
        codes = "、".join(sorted(m.archive_code for m in found))
        problems.append(
            (
                "name",
                f"有{len(found)}名党员同名且出生日期相同（档案编码 {codes}），请填写档案编码 / "
                f"{len(found)} members have this name and birth date ({codes}); "
                "give the archive code",
            )
        )
        return None
    return found[0] if found else None


def _check_member(plan: Plan, number: int, member: Row, key: str, problems: list[Problem]):
    first = plan.claimed.setdefault(member.id, number)
    if first != number:
        problems.append(
            (
                key,
                f"与第{first}行是同一名党员（档案编码 {member.archive_code}）/ the same member "
                f"({member.archive_code}) as row {first}",
            )
        )
    unit = plan.units.by_id.get(member.org_id)
    if unit is None or not service.may_write(plan.access, unit.path):
        name = unit.name if unit else str(member.org_id)
        problems.append((key, f"该党员在{name}，{_outside(name)}"))


def _new_member(plan: Plan, values: dict[str, Any], unit: Unit, card: _Card | None):
    given = {name: values[name] for name in FIELDS if values[name] is not None}
    if card is not None:
        given = service.from_id_card(card.number) | given
    return {
        "tenant_id": plan.tenant.id,
        "id": new_id(),
        "org_id": unit.id,
        **dict.fromkeys(FIELDS),
        **DEFAULTS,
        **given,
        "exempt": False,
        "active": True,
        "id_card_cipher": plan.cipher.encrypt(card.number) if card else None,
        "id_card_digest": card.digest if card else None,
    }


def _plan_update(plan: Plan, member: Row, values: dict[str, Any], unit: Unit, card):
    """Only the non-empty cells that differ from the stored values change anything."""
    changed = {
        name: values[name]
        for name in FIELDS
        if values[name] is not None and values[name] != getattr(member, name)
    }
    new_card = card is not None and card.digest != member.id_card_digest
    moved = unit.id != member.org_id
    if not (changed or new_card or moved):
        plan.unchanged += 1
        return
    plan.updates.append(
        {
            "tenant_id": plan.tenant.id,
            "id": member.id,
            "org_id": unit.id,
            **{name: getattr(member, name) for name in FIELDS},
            **changed,
            "id_card_cipher": plan.cipher.encrypt(card.number)
            if new_card
            else member.id_card_cipher,
            "id_card_digest": card.digest if new_card else member.id_card_digest,
        }
    )
    if moved:
        plan.transfers.append(_transfer(plan, member, unit))


def _transfer(plan: Plan, member: Row, unit: Unit) -> dict[str, Any]:
    return {
        "tenant_id": plan.tenant.id,
        "id": new_id(),
        "member_id": member.id,
        "from_org_id": member.org_id,
        "to_org_id": unit.id,
        "transferred_on": date.today(),
        "reason": IMPORT_REASON,
        "user_id": current_scope().user_id,
    }


def _allocate_archive_codes(plan: Plan) -> None:
    missing = [row for row in plan.inserts if not row["archive_code"]]
    if not missing:
        return
    used = [*plan.registry.by_code, *(row["archive_code"] for row in plan.inserts)]
    codes = service.allocate_archive_codes(plan.tenant, used, len(missing))
    for row, code in zip(missing, codes, strict=True):
        row["archive_code"] = code


# --- preview, commit, export -------------------------------------------------------------


def preview(tenant: Tenant, access: TenantAccess, data: bytes) -> ImportReport:
    """What importing ``data`` would do, with every problem; nothing is written."""
    return plan_import(tenant, access, data).report()


def commit(tenant: Tenant, access: TenantAccess, data: bytes) -> ImportReport:
    """Import ``data`` whole, or nothing: :class:`ImportRejected` (422) lists the problems."""
    plan = plan_import(tenant, access, data)
    report = plan.report()
    if not report.ok:
        raise ImportRejected(report)
    try:
        _write(plan)
        audit.record(
            db.session,
            action="import",
            entity="members",
            tenant_id=tenant.id,
            after={
                "created": report.to_create,
                "updated": report.to_update,
                "unchanged": report.unchanged,
                "transferred": report.to_transfer,
                "sha256": report.sha256,
            },
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "导入期间名册已被他人修改，请重新预览后再导入 / the registry changed during the "
            "import; preview the file again"
        ) from None
    report.committed = True
    return report


def _write(plan: Plan) -> None:
    """Bulk statements only: one INSERT (executemany) and one UPDATE by primary key.

    ``render_nulls`` keeps empty cells in the INSERT, so every row has the same columns and
    the rows go out in one batch (otherwise the ORM splits them by which cells are empty:
    thousands of statements for a 10,000-row file)."""
    if plan.inserts:
        db.session.execute(insert(Member).execution_options(render_nulls=True), plan.inserts)
    if plan.updates:
        db.session.execute(update(Member), plan.updates)
    if plan.transfers:
        db.session.execute(insert(MemberTransfer), plan.transfers)


_EXPORTED = (Member.org_id, *(getattr(Member, name) for name in FIELDS), Member.id_card_cipher)


def export(tenant: Tenant, access: TenantAccess) -> bytes:
    """The active members the caller may see, as a roster workbook. The ID card column is
    filled for a tenant admin only (others' exports leave it empty, which an import reads
    as "keep the stored number")."""
    if service.names_only(access) or not (access.whole_tree or access.subtrees):
        raise Forbidden(
            "您无权导出花名册 / your roles cannot export the roster (it holds personal data)"
        )
    query = (
        service.visible_members(access)
        .with_only_columns(*_EXPORTED)
        .join(OrgUnit, (OrgUnit.tenant_id == Member.tenant_id) & (OrgUnit.id == Member.org_id))
        .where(Member.active)
        .order_by(OrgUnit.path, Member.archive_code)
    )
    units = Units.load(tenant.id)
    cipher = crypto.cipher() if access.is_admin and tenant.id_card_enabled else None
    rows = [_exported(row, units, cipher) for row in db.session.execute(query)]
    return roster.write_roster(rows, title=f"{tenant.name}党员花名册")


def _exported(row: Row, units: Units, cipher: crypto.IdCardCipher | None) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in FIELDS}
    values["branch"] = units.label(row.org_id)
    if cipher is not None and row.id_card_cipher:
        values["id_card"] = cipher.decrypt(row.id_card_cipher)
    return values
