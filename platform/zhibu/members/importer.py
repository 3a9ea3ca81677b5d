"""Roster import: a preview row by row, then a commit that applies exactly what the
preview showed; and export (党员花名册 .xlsx).

**Preview.** The workbook is read by :func:`zhibu.members.roster.read_roster`, then every
row is planned against the tenant in memory (units, members and their latest transfers:
three queries). Each row comes out as one of: 新增 ``create``, 更新 ``update`` (each changed
field, old → new; a changed 所在支部 is a transfer dated ``transfer_on``), 无变化
``unchanged``, 错误 ``error`` (row, column, header, what is wrong, what was expected) or
待确认 ``pending`` (the user picks: a new member, or which existing one; see
:mod:`zhibu.members.identity`). Members of the branches the file covers that no row is
about are listed as 未出现在本次名册中; they are never deleted, and the option
``mark_absent`` marks them transferred out (no longer active) on ``left_on``. An empty
cell never erases a stored value, an archive code is never changed, and the ID-card
column is read only when the tenant keeps ID cards.

**Commit.** Under the tenant's registry lock, the preview is made again from the same
file, options and decisions; if what it read differs from what the preview read (its
:func:`~zhibu.members.identity.fingerprint`), nothing is written and the new preview is
returned (:class:`PreviewOutdated`, 409) for the user to look at. Otherwise the inserts,
updates, transfers and leavings go out as bulk statements with one audit entry per
changed member (before/after), a summary entry and a line of the import history, in one
transaction. A file with any bad or undecided row writes nothing but its history line
(:class:`ImportRejected`, 422). Re-importing the same file writes no member and no audit
entry.

Export writes the same headers; 所在支部 is the unit's name when that name identifies it,
else the unit's code, so an export imports back without a change.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any, BinaryIO

import orjson
from openpyxl.utils import column_index_from_string
from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from uuid_utils.compat import uuid7

from zhibu import audit, bulk
from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.errors import Conflict, Forbidden, NotFound, ServiceError
from zhibu.i18n import _
from zhibu.members import crypto, roster, service
from zhibu.members.idcard import birth_and_gender
from zhibu.members.identity import Match, Registry, Unit, Units, fingerprint, identify
from zhibu.members.roster import RosterParse, RosterRow, RowError
from zhibu.models import Member, MemberTransfer, OrgUnit, RosterImport, Tenant
from zhibu.tenancy.scope import current_scope
from zhibu.workbooks.normalize import MonthDate, same_day
from zhibu.workbooks.reader import Limits

FIELDS = service.FIELDS  # roster fields stored in member columns of the same name
IMPORT_REASON = "花名册导入"
DEFAULTS = {"status": "full", "category": "serving"}
KINDS = ("create", "update", "unchanged", "error", "pending")
DATES = ("birth_date", "joined_on", "full_member_on")
NEW = "new"

Problem = tuple[str, str]  # (roster field, message)


@dataclass
class Options:
    """What the user chose besides the file: the date of the transfers an import makes,
    whether members missing from the file are marked transferred out (and when), and a
    decision for each 待确认 row (row number → ``"new"`` or a member id)."""

    transfer_on: date = field(default_factory=date.today)
    mark_absent: bool = False
    left_on: date | None = None
    decisions: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "transfer_on": self.transfer_on.isoformat(),
            "mark_absent": self.mark_absent,
            "left_on": self.left_on.isoformat() if self.left_on else None,
            "decisions": {str(k): v for k, v in sorted(self.decisions.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Options:
        data = data or {}
        left = data.get("left_on")
        on = data.get("transfer_on")
        return cls(
            transfer_on=_day(on) if on else date.today(),
            mark_absent=bool(data.get("mark_absent")),
            left_on=_day(left) if left else None,
            decisions={int(k): str(v) for k, v in (data.get("decisions") or {}).items()},
        )

    @property
    def leaving_on(self) -> date:
        return self.left_on or self.transfer_on


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@dataclass
class ImportReport:
    """What an import does (preview) or did (commit): counts on top, then every row
    (``rows``: row, kind, name, branch, archive code, changes, transfer, errors,
    candidates, decision) and the members absent from the file. ``errors`` lists every
    problem flat (row, column, header, message), also each undecided row."""

    total: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    to_transfer: int = 0
    pending: int = 0
    error_rows: int = 0
    absent_count: int = 0
    to_leave: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    absent: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    header_row: int = 0
    sheet: str = ""
    sha256: str = ""
    fingerprint: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    committed: bool = False
    history_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def row_errors(self) -> list[RowError]:
        return [RowError(**error) for error in self.errors]

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.total,
            "created": self.to_create,
            "updated": self.to_update,
            "unchanged": self.unchanged,
            "transferred": self.to_transfer,
            "left": self.to_leave,
            "errors": self.error_rows + self.pending,
        }


class ImportRejected(ServiceError):
    """The file has problems (or undecided rows): nothing was written."""

    status = 422

    def __init__(self, report: ImportReport):
        count = len(report.errors)
        super().__init__(
            _("花名册有 %(count)s 处问题,未导入任何数据;请改正后重新预览。", count=count),
            errors=report.errors,
        )
        self.report = report


class PreviewOutdated(Conflict):
    """The registry changed since the preview: nothing was written; ``report`` is the
    preview made again (and ``writes`` what its commit would write), for the user to
    check."""

    def __init__(self, report: ImportReport, writes: bytes):
        super().__init__(
            _("名册在预览之后有变动,未导入任何数据;已按最新数据重新预览,请核对后再确认导入。")
        )
        self.report = report
        self.writes = writes


# --- planning ----------------------------------------------------------------------------


_UUIDS = ("tenant_id", "id", "org_id", "member_id", "from_org_id", "to_org_id", "user_id")
_DAYS = ("birth_date", "joined_on", "full_member_on", "left_on", "transferred_on")


@dataclass
class WriteSet:
    """What a commit writes, as the preview planned it: kept beside the upload (compact
    JSON), so that the commit checks the registry is as the preview read it and writes
    exactly this, without reading the file again."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    leaves: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    changes: list[Any] = field(default_factory=list)  # audit of updates and leavings
    encrypt: list[Any] = field(default_factory=list)  # (list, index, ID-card number)

    def dump(self) -> bytes:
        return zlib.compress(orjson.dumps(self.__dict__), 1)

    def encrypt_cards(self) -> WriteSet:
        """Fill in the encrypted ID-card numbers (before the set is kept or written)."""
        cipher = crypto.cipher()
        for which, index, number in self.encrypt:
            getattr(self, which)[index]["id_card_cipher"] = cipher.encrypt(number)
        self.encrypt = []
        return self

    @classmethod
    def load(cls, blob: bytes) -> WriteSet:
        data = orjson.loads(zlib.decompress(blob))
        for key in ("inserts", "updates", "leaves", "transfers"):
            data[key] = [_typed(row) for row in data[key]]
        return cls(**data)


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    for key in _UUIDS:
        if row.get(key) is not None:
            row[key] = uuid.UUID(row[key])
    for key in _DAYS:
        if row.get(key) is not None:
            row[key] = date.fromisoformat(row[key])
    return row


@dataclass
class _Card:
    number: str
    digest: str


@dataclass
class Plan:
    """Every row checked and turned into inserts, updates, transfers and leavings
    (nothing written), and the report the user sees."""

    tenant: Tenant
    access: TenantAccess
    parse: RosterParse
    sha256: str
    units: Units
    registry: Registry
    cipher: crypto.IdCardCipher
    options: Options
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    leaves: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[str, str, dict, dict]] = field(default_factory=list)  # audit
    encrypt: list[tuple[str, int, str]] = field(default_factory=list)  # on commit
    rows: list[dict[str, Any]] = field(default_factory=list)
    absent: list[dict[str, Any]] = field(default_factory=list)
    claimed: dict[uuid.UUID, int] = field(default_factory=dict)
    covered: set[uuid.UUID] = field(default_factory=set)
    considered: set[uuid.UUID] = field(default_factory=set)

    def report(self) -> ImportReport:
        rows = sorted(self.rows, key=lambda r: r["row"])
        errors = [{"row": r["row"], **e} for r in rows for e in r["errors"] if r["kind"] == "error"]
        errors += [e.__dict__ for e in self.parse.errors if e.row <= self.parse.header_row]
        errors += [_pending_error(r) for r in rows if r["kind"] == "pending"]
        errors.sort(key=_error_order)
        kinds = {kind: sum(1 for r in rows if r["kind"] == kind) for kind in KINDS}
        return ImportReport(
            total=len(rows),
            to_create=kinds["create"],
            to_update=kinds["update"],
            unchanged=kinds["unchanged"],
            to_transfer=len(self.transfers),
            pending=kinds["pending"],
            error_rows=kinds["error"],
            absent_count=len(self.absent),
            to_leave=len(self.leaves),
            rows=rows,
            absent=self.absent,
            errors=errors,
            ignored=[
                {"column": c.letter, "header": c.header, "reason": c.reason}
                for c in self.parse.ignored
            ],
            ignored_headers=self.parse.ignored_headers,
            examples=self.parse.examples,
            headers=self.parse.headers,
            header_row=self.parse.header_row,
            sheet=self.parse.sheet,
            sha256=self.sha256,
            fingerprint=fingerprint(
                self.tenant,
                self.units,
                self.registry,
                _extra(self.access, self.sha256, self.options),
            ),
            options=self.options.as_dict(),
        )

    def write_set(self) -> WriteSet:
        """What the commit writes, ID-card numbers encrypted."""
        return WriteSet(
            self.inserts, self.updates, self.leaves, self.transfers, self.changes, self.encrypt
        ).encrypt_cards()


def _extra(access: TenantAccess, sha256: str, options: Options) -> list[Any]:
    """Besides the registry, what a preview depends on: the file, the options and
    decisions, and how far the caller reaches."""
    return [sha256, options.as_dict(), access.is_admin, sorted(access.subtrees)]


def _error_order(error: dict[str, Any]) -> tuple[int, int]:
    column = error.get("column") or ""
    return error["row"], column_index_from_string(column) if column else 0


def _pending_error(row: dict[str, Any]) -> dict[str, Any]:
    codes = "、".join(c["archive_code"] for c in row["candidates"])
    return {
        "row": row["row"],
        "column": row.get("name_column", ""),
        "header": row.get("name_header", ""),
        "message": _(
            "待确认:可能是已有党员(档案编码 %(codes)s)中的一名;"
            "请在预览中选择“新增”或要更新的党员。",
            codes=codes,
        ),
    }


def plan_import(
    tenant: Tenant,
    access: TenantAccess,
    data: bytes,
    options: Options | None = None,
    limits: Limits | None = None,
    loaded: tuple[Units, Registry] | None = None,
) -> Plan:
    """Read and check the whole file against the tenant; nothing is written."""
    parse = roster.read_roster(data, limits, id_cards=tenant.id_card_enabled)
    units, registry = loaded or (Units.load(tenant.id), Registry.load(tenant.id))
    plan = Plan(
        tenant,
        access,
        parse,
        hashlib.sha256(data).hexdigest(),
        units,
        registry,
        crypto.cipher(),
        options or Options(),
    )
    for row in parse.rows:
        _plan_row(plan, row)
    for number, cells in parse.bad_cells.items():
        plan.rows.append(_bad_row(plan, number, cells))
    _allocate_archive_codes(plan)
    _plan_absent(plan)
    return plan


def _base(plan: Plan, number: int, values: dict[str, Any]) -> dict[str, Any]:
    letter, header = plan.parse.spot("name")
    return {
        "row": number,
        "kind": "",
        "name": values.get("name") or "",
        "branch": values.get("branch") or "",
        "archive_code": values.get("archive_code"),
        "member_id": None,
        "matched_by": None,
        "changes": [],
        "transfer": None,
        "errors": [],
        "candidates": [],
        "decision": None,
        "name_column": letter,
        "name_header": header,
    }


def _bad_row(plan: Plan, number: int, cells) -> dict[str, Any]:
    """A row the reader refused: its cells as written (for the error report)."""
    raw = {key: spot.index for key, spot in plan.parse.columns.items()}
    shown = {key: _cell_text(cells, index) for key, index in raw.items()}
    row = _base(plan, number, shown)
    row["kind"] = "error"
    row["errors"] = [
        {"column": e.column, "header": e.header, "message": e.message}
        for e in plan.parse.errors
        if e.row == number
    ]
    row["cells"] = [_json_cell(c) for c in cells]
    return row


def _cell_text(cells, index: int) -> str:
    value = cells[index] if index < len(cells) else None
    return "" if value is None else str(_json_cell(value))


def _json_cell(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _plan_row(plan: Plan, row: RosterRow) -> None:
    values, problems = dict(row.values), []
    out = _base(plan, row.row_number, values)
    unit = _unit(plan, values["branch"], problems)
    card = _card(plan, values["id_card"])
    if card is not None and values["birth_date"] is None:
        values["birth_date"] = birth_and_gender(card.number)[0]
    match = (
        identify(plan.registry, values, card.digest if card else None, unit.id) if unit else None
    )
    if match is not None and match.problem:
        problems.append(match.problem)
    if unit is not None:
        plan.covered.add(unit.id)
    if problems or match is None:
        return _error_row(plan, out, row, problems)
    decision = plan.options.decisions.get(row.row_number)
    if match.pending:
        match = _decided(plan, out, match, decision)
        if match is None:
            plan.considered.update(uuid.UUID(c["member_id"]) for c in out["candidates"])
            out["cells"] = [_json_cell(c) for c in row.cells]
            plan.rows.append(out)
            return None
    member = match.member
    if member is not None:
        problems += _check_member(plan, row.row_number, member)
    if problems:
        return _error_row(plan, out, row, problems)
    if member is None:
        _plan_create(plan, out, values, unit, card)
    else:
        _plan_update(plan, out, member, values, unit, card, match.how)
    plan.rows.append(out)
    return None


def _error_row(plan: Plan, out: dict, row: RosterRow, problems: list[Problem]) -> None:
    out["kind"] = "error"
    for key, message in problems:
        letter, header = plan.parse.spot(key)
        out["errors"].append({"column": letter, "header": header, "message": message})
    out["cells"] = [_json_cell(c) for c in row.cells]
    plan.rows.append(out)


def _decided(plan: Plan, out: dict, match: Match, decision: str | None) -> Match | None:
    """A pending row with the user's decision as a match; None while undecided (the row
    is shown with its candidates)."""
    out["candidates"] = [_candidate(plan, m, m is match.suggested) for m in match.candidates]
    by_id = {str(m.id): m for m in match.candidates}
    if decision == NEW:
        out["decision"] = NEW
        return Match(how="decision")
    if decision in by_id:
        out["decision"] = decision
        return Match(by_id[decision], "decision")
    out["kind"] = "pending"
    return None


def _candidate(plan: Plan, member: Row, suggested: bool) -> dict[str, Any]:
    unit = plan.units.by_id.get(member.org_id)
    return {
        "member_id": str(member.id),
        "archive_code": member.archive_code,
        "name": member.name,
        "branch": unit.name if unit else "",
        "birth_date": member.birth_date.isoformat() if member.birth_date else None,
        "suggested": suggested,
    }


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
    return _("%(name)s不在您管辖的范围内;您只能导入所辖支部的党员。", name=name)


def _card(plan: Plan, number: str | None) -> _Card | None:
    if number is None or not plan.tenant.id_card_enabled:
        return None
    return _Card(number, plan.cipher.digest(number))


def _check_member(plan: Plan, number: int, member: Row) -> list[Problem]:
    problems: list[Problem] = []
    first = plan.claimed.setdefault(member.id, number)
    if first != number:
        problems.append(
            (
                "name",
                _(
                    "与第%(first)s行对应同一名党员(档案编码 %(code)s);请删去重复的一行。",
                    first=first,
                    code=member.archive_code,
                ),
            )
        )
    unit = plan.units.by_id.get(member.org_id)
    if unit is None or not service.may_write(plan.access, unit.path):
        name = unit.name if unit else str(member.org_id)
        problems.append(("branch", _("该党员在%(name)s。", name=name) + _outside(name)))
    if not member.active:
        problems.append(
            (
                "name",
                _(
                    "该党员(档案编码 %(code)s)已于 %(left)s 不在册;请从名册中删去该行,"
                    "或先在党员信息中恢复在册。",
                    code=member.archive_code,
                    left=member.left_on.isoformat() if member.left_on else "—",
                ),
            )
        )
    return problems


def _plan_create(plan: Plan, out: dict, values: dict[str, Any], unit: Unit, card) -> None:
    given = {name: _stored(values[name]) for name in FIELDS if values[name] is not None}
    if card is not None:
        given = service.from_id_card(card.number) | given
    member_id = uuid7()
    row = {
        "tenant_id": plan.tenant.id,
        "id": member_id,
        "org_id": unit.id,
        **dict.fromkeys(FIELDS),
        **DEFAULTS,
        **given,
        "exempt": False,
        "active": True,
        "id_card_cipher": None,
        "id_card_digest": card.digest if card else None,
    }
    plan.inserts.append(row)
    if card is not None:
        plan.encrypt.append(("inserts", len(plan.inserts) - 1, card.number))
    out.update(kind="create", member_id=str(member_id), branch=unit.name)
    out["_insert"] = len(plan.inserts) - 1


def _stored(value: Any) -> Any:
    """A value as stored: a month-only date is the first of the month."""
    return date(value.year, value.month, value.day) if isinstance(value, MonthDate) else value


def _plan_update(plan: Plan, out, member: Row, values, unit: Unit, card, how: str) -> None:
    """Only the non-empty cells that differ from the stored values change anything."""
    changed = _changed(member, values)
    new_card = card is not None and card.digest != member.id_card_digest
    moved = unit.id != member.org_id
    out.update(
        member_id=str(member.id),
        matched_by=how,
        archive_code=member.archive_code,
        branch=unit.name,
        changes=[_change(name, getattr(member, name), value) for name, value in changed.items()],
    )
    plan.claimed.setdefault(member.id, out["row"])
    if new_card:
        old = (
            crypto.mask(plan.cipher.decrypt(member.id_card_cipher))
            if member.id_card_cipher
            else None
        )
        out["changes"].append(_change("id_card", old, crypto.mask(card.number)))
    if moved and not _transfer_allowed(plan, out, member):
        return
    if not (changed or new_card or moved):
        out["kind"] = "unchanged"
        return
    out["kind"] = "update"
    _queue_update(plan, member, changed, unit, card if new_card else None)
    if moved:
        _queue_transfer(plan, out, member, unit)


def _changed(member: Row, values: dict[str, Any]) -> dict[str, Any]:
    changed = {}
    for name in FIELDS:
        value = values[name]
        if value is None or name == "archive_code":
            continue  # an empty cell keeps what is stored; an archive code is never changed
        stored = getattr(member, name)
        if name in DATES and same_day(value, stored):
            continue
        if value != stored or (name in DATES and stored is None):
            changed[name] = _stored(value)
    return changed


def _change(name: str, old: Any, new: Any) -> dict[str, Any]:
    label = roster.BY_FIELD[name].title if name in roster.BY_FIELD else name
    return {"field": name, "label": label, "old": _shown(name, old), "new": _shown(name, new)}


def _shown(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if name == "status":
        return roster.STATUS_LABELS.get(value, value)
    if name == "category":
        return roster.CATEGORY_LABELS.get(value, value)
    return value


def _transfer_allowed(plan: Plan, out: dict, member: Row) -> bool:
    latest = plan.registry.latest.get(member.id)
    on = plan.options.transfer_on
    if latest is None or on >= latest:
        return True
    letter, header = plan.parse.spot("branch")
    out["kind"] = "error"
    message = _(
        "转接日期 %(on)s 早于该党员上次转接的日期 %(latest)s;请改选转接日期。",
        on=on.isoformat(),
        latest=latest.isoformat(),
    )
    out["errors"].append({"column": letter, "header": header, "message": message})
    return False


def _queue_update(plan: Plan, member: Row, changed: dict, unit: Unit, card) -> None:
    row = {
        "tenant_id": plan.tenant.id,
        "id": member.id,
        "org_id": unit.id,
        **{name: getattr(member, name) for name in FIELDS},
        **changed,
        "id_card_cipher": member.id_card_cipher,
        "id_card_digest": card.digest if card else member.id_card_digest,
    }
    plan.updates.append(row)
    if card is not None:
        plan.encrypt.append(("updates", len(plan.updates) - 1, card.number))
    before = {name: getattr(member, name) for name in changed}
    after = dict(changed)
    if card is not None:
        before["id_card_cipher"] = audit.MASK if member.id_card_cipher else None
        after["id_card_cipher"] = audit.MASK
    if unit.id != member.org_id:
        before["org_id"], after["org_id"] = member.org_id, unit.id
    plan.changes.append(("update", str(member.id), before, after))


def _queue_transfer(plan: Plan, out: dict, member: Row, unit: Unit) -> None:
    source = plan.units.by_id.get(member.org_id)
    plan.transfers.append(
        {
            "tenant_id": plan.tenant.id,
            "id": uuid7(),
            "member_id": member.id,
            "from_org_id": member.org_id,
            "to_org_id": unit.id,
            "transferred_on": plan.options.transfer_on,
            "reason": IMPORT_REASON,
            "user_id": current_scope().user_id,
        }
    )
    out["transfer"] = {
        "from": source.name if source else "",
        "to": unit.name,
        "on": plan.options.transfer_on.isoformat(),
    }


def _allocate_archive_codes(plan: Plan) -> None:
    missing = [row for row in plan.inserts if not row["archive_code"]]
    if missing:
        used = [*plan.registry.by_code, *(row["archive_code"] for row in plan.inserts)]
        codes = service.allocate_archive_codes(plan.tenant, used, len(missing))
        for row, code in zip(missing, codes, strict=True):
            row["archive_code"] = code
    for out in plan.rows:
        if "_insert" in out:
            out["archive_code"] = plan.inserts[out.pop("_insert")]["archive_code"]


def _plan_absent(plan: Plan) -> None:
    """Active members of the branches the file covers that no row is about (nor could
    be: candidates of an undecided row are not absent), within the caller's reach."""
    seen = set(plan.claimed) | plan.considered
    for member in plan.registry.rows:
        if not member.active or member.org_id not in plan.covered or member.id in seen:
            continue
        unit = plan.units.by_id[member.org_id]
        if not service.may_write(plan.access, unit.path):
            continue
        plan.absent.append(
            {
                "member_id": str(member.id),
                "archive_code": member.archive_code,
                "name": member.name,
                "branch": unit.name,
            }
        )
        if plan.options.mark_absent:
            on = plan.options.leaving_on
            plan.leaves.append({"tenant_id": plan.tenant.id, "id": member.id, "left_on": on})
            before = {"active": True, "left_on": None}
            plan.changes.append(
                ("update", str(member.id), before, {"active": False, "left_on": on})
            )


# --- preview and commit ------------------------------------------------------------------


def preview(
    tenant: Tenant, access: TenantAccess, data: bytes, options: Options | None = None
) -> ImportReport:
    """What importing ``data`` would do, row by row; nothing is written."""
    return plan_import(tenant, access, data, options).report()


def prepare(
    tenant: Tenant, access: TenantAccess, data: bytes, options: Options | None = None
) -> tuple[ImportReport, bytes]:
    """The preview, and what its commit would write (:meth:`WriteSet.dump`), to keep
    beside the upload for :func:`commit_prepared`."""
    plan = plan_import(tenant, access, data, options)
    return plan.report(), plan.write_set().dump()


def commit_prepared(
    tenant: Tenant,
    access: TenantAccess,
    data: bytes,
    shown: dict[str, Any],
    writes: bytes | None,
    *,
    filename: str = "",
) -> ImportReport:
    """Write what the preview ``shown`` planned (``writes``), or nothing: under the
    registry's lock the registry must read as it did for the preview (its fingerprint);
    if not, the preview is made again and refused with it (:class:`PreviewOutdated`)."""
    options = Options.from_dict(shown.get("options"))
    service.lock_registry(tenant.id)
    loaded = Units.load(tenant.id), Registry.load(tenant.id)
    sha256 = hashlib.sha256(data).hexdigest()
    now = fingerprint(tenant, *loaded, _extra(access, sha256, options))
    if writes is None or now != shown.get("fingerprint"):
        plan = plan_import(tenant, access, data, options, loaded=loaded)
        db.session.rollback()
        raise PreviewOutdated(plan.report(), plan.write_set().dump())
    report = ImportReport.from_dict(shown)
    return _apply(tenant, report, WriteSet.load(writes), filename)


def commit(
    tenant: Tenant,
    access: TenantAccess,
    data: bytes,
    options: Options | None = None,
    *,
    expected: str | None = None,
    filename: str = "",
) -> ImportReport:
    """Import ``data`` whole, or nothing, in one step (the API's one-shot import, the
    command line, jobs). With ``expected`` (the fingerprint of the preview the user saw),
    the registry must read as it did then (:class:`PreviewOutdated` otherwise).
    :class:`ImportRejected` lists the problems."""
    service.lock_registry(tenant.id)
    plan = plan_import(tenant, access, data, options)
    report = plan.report()
    if expected is not None and report.fingerprint != expected:
        db.session.rollback()
        raise PreviewOutdated(report, plan.write_set().dump())
    return _apply(tenant, report, plan.write_set(), filename)


def _apply(tenant: Tenant, report: ImportReport, writes: WriteSet, filename: str):
    if not report.ok:
        _record_history(tenant, report, filename, "rejected")
        db.session.commit()
        raise ImportRejected(report)
    try:
        _write(tenant, writes)
        report.history_id = _record_history(tenant, report, filename, "committed")
        if writes.inserts or writes.updates or writes.leaves:
            audit.record(
                db.session,
                action="import",
                entity="members",
                tenant_id=tenant.id,
                after=report.counts() | {"sha256": report.sha256, "history_id": report.history_id},
            )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("导入期间名册已被他人修改,未导入任何数据;请重新预览后再导入。")) from None
    report.committed = True
    return report


def _write(tenant: Tenant, writes: WriteSet) -> None:
    """Bulk statements only: multi-row INSERTs (PostgreSQL) or one executemany, one
    UPDATE by primary key for every changed member, and the audit entries likewise."""
    connection = db.session.connection()
    tenants = [tenant.id]
    writes.encrypt_cards()
    if writes.inserts:
        _insert(connection, Member.__table__, writes.inserts, tenants)
    if writes.updates:
        db.session.execute(update(Member), writes.updates)
    if writes.leaves:
        leaving = [{**row, "active": False} for row in writes.leaves]
        db.session.execute(update(Member), leaving)
    if writes.transfers:
        _insert(connection, MemberTransfer.__table__, writes.transfers, tenants)
    created = [("create", str(row["id"]), None, _snapshot(row)) for row in writes.inserts]
    changes = [*created, *(tuple(change) for change in writes.changes)]
    audit.record_many(db.session, entity="members", tenant_id=tenant.id, changes=changes)


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """A new member as the audit log keeps it (secrets masked)."""
    snapshot = {k: v for k, v in row.items() if v is not None and k != "tenant_id"}
    for secret in ("id_card_cipher", "id_card_digest"):
        if secret in snapshot:
            snapshot[secret] = audit.MASK
    return snapshot


def _insert(connection, table, rows: list[dict[str, Any]], tenants) -> None:
    columns = list(rows[0])
    if bulk.pipelined(connection):
        bulk.insert_rows(
            connection,
            table.name,
            columns,
            rows,
            lambda row: [row[c] for c in columns],
            tenants=tenants,
        )
    else:
        db.session.execute(insert(table).execution_options(render_nulls=True), rows)


def _record_history(tenant: Tenant, report: ImportReport, filename: str, status: str) -> str:
    scope = current_scope()
    history_id = uuid7()
    bad = [r for r in report.rows if r["kind"] in ("error", "pending")]
    stored = {"headers": report.headers, "rows": bad[:5000], "more": max(len(bad) - 5000, 0)}
    file_errors = [e for e in report.errors if e["row"] <= report.header_row]
    stored["file_errors"] = file_errors
    db.session.execute(
        insert(RosterImport.__table__),
        [
            {
                "tenant_id": tenant.id,
                "id": history_id,
                "user_id": scope.user_id,
                "username": scope.username or "",
                "filename": (filename or "")[:255],
                "sha256": report.sha256,
                "status": status,
                **report.counts(),
                "report": stored if status == "rejected" else None,
            }
        ],
    )
    return str(history_id)


# --- history -----------------------------------------------------------------------------


def history(access: TenantAccess, limit: int = 50) -> list[RosterImport]:
    """The latest imports: all of the tenant's for an admin, one's own for anyone else."""
    query = (
        select(RosterImport)
        .where(RosterImport.tenant_id == access.tenant_id)
        .order_by(RosterImport.at.desc(), RosterImport.id)
        .limit(limit)
    )
    if not access.is_admin:
        query = query.where(RosterImport.user_id == access.user.id)
    return list(db.session.scalars(query))


def history_entry(access: TenantAccess, import_id: uuid.UUID) -> RosterImport:
    entry = db.session.get(RosterImport, (access.tenant_id, import_id))
    if entry is None or not (access.is_admin or entry.user_id == access.user.id):
        raise NotFound(_("没有这条导入记录。"))
    return entry


def error_report(report: dict[str, Any]) -> bytes:
    """The error report (.xlsx) of a preview or of a refused import."""
    bad = [r for r in report.get("rows", []) if r.get("kind") in ("error", "pending")]
    header_row = report.get("header_row", 0)
    file_errors = report.get("file_errors")
    if file_errors is None:
        file_errors = [e for e in report.get("errors", []) if e["row"] <= header_row]
    return roster.error_workbook(report.get("headers", []), bad, file_errors)


# --- export ------------------------------------------------------------------------------

_EXPORTED = (Member.org_id, *(getattr(Member, name) for name in FIELDS), Member.id_card_cipher)


def export(tenant: Tenant, access: TenantAccess) -> bytes:
    """The active members the caller may see, as a roster workbook (see
    :func:`export_to`)."""
    out = BytesIO()
    export_to(out, tenant, access)
    return out.getvalue()


def export_to(out: BinaryIO, tenant: Tenant, access: TenantAccess) -> None:
    """The active members the caller may see, as a roster workbook written into ``out``
    row by row as the database sends them (bounded memory at any size). The ID card
    column is filled for a tenant admin only (others' exports leave it empty, which an
    import reads as "keep the stored number")."""
    if service.names_only(access) or not (access.whole_tree or access.subtrees):
        raise Forbidden(_("您无权导出花名册(其中有党员的个人信息)。"))
    query = (
        service.visible_members(access)
        .with_only_columns(*_EXPORTED)
        .join(OrgUnit, (OrgUnit.tenant_id == Member.tenant_id) & (OrgUnit.id == Member.org_id))
        .where(Member.active)
        .order_by(OrgUnit.path, Member.archive_code)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    units = Units.load(tenant.id)
    cipher = crypto.cipher() if access.is_admin and tenant.id_card_enabled else None
    rows = (_exported(row, units, cipher) for row in db.session.execute(query))
    roster.write_roster_to(out, rows, title=_("%(tenant)s党员花名册", tenant=tenant.name))


EXPORT_BATCH = 2000  # rows the database sends at a time to an export


def _exported(row: Row, units: Units, cipher: crypto.IdCardCipher | None) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in FIELDS}
    values["branch"] = units.label(row.org_id)
    if cipher is not None and row.id_card_cipher:
        values["id_card"] = cipher.decrypt(row.id_card_cipher)
    return values
