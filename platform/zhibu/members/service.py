"""Members: create, read, change, list and transfer (组织关系转接).

Who sees whom: a tenant admin, an assessor and an overseer see every member; a branch
secretary sees the members of their subtrees; the ``member`` role sees only themselves.
An overseer sees only id, name and branch (:func:`present`). Writes are confined further:
a tenant admin writes everywhere, a branch secretary only inside their subtrees.

A transfer moves the member and leaves a :class:`~zhibu.models.MemberTransfer`; the
member keeps its id, so results keyed on the member follow it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, or_, select, text
from sqlalchemy.exc import IntegrityError

from zhibu.accounts.access import TenantAccess
from zhibu.db import db, new_id
from zhibu.errors import Conflict, Forbidden, NotFound, ServiceError
from zhibu.i18n import _
from zhibu.members import crypto
from zhibu.members.idcard import birth_date_of, gender_of, normalize_id_card
from zhibu.models import Member, MemberTransfer, OrgUnit, Tenant
from zhibu.orgs.service import get_org, subtree_query
from zhibu.tenancy.scope import current_scope

FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "joined_on",
    "full_member_on",
    "status",
    "category",
    "position",
    "education",
    "phone",
    "archive_code",
)
EDITABLE = frozenset({*FIELDS, "id_card", "exempt", "active", "left_on"})
NAMES_ONLY = ("id", "name", "org_id", "org_name")
ARCHIVE_DIGITS = 6


def id_cards_off() -> str:
    return _("本单位未启用身份证号,请不要填写;单位管理员可在“导入党员名册”页启用。")


# --- who may see and write what ----------------------------------------------------------


def names_only(access: TenantAccess) -> bool:
    """An overseer reads names and branches only, never personal data."""
    return access.overseer or access.roles == {"overseer"} or not access.personal_data


def writable_paths(access: TenantAccess) -> tuple[str, ...] | None:
    """Org paths the caller may write members under; None: the whole tree."""
    if access.is_admin:
        return None
    return access.subtrees if access.can_write_registry else ()


def may_write(access: TenantAccess, path: str) -> bool:
    paths = writable_paths(access)
    return paths is None or any(path.startswith(root) for root in paths)


def unit_ids(tenant_id: uuid.UUID, paths: Iterable[str]) -> Select:
    """Ids of the units in the subtrees under ``paths`` (a subquery)."""
    return subtree_query(tenant_id, tuple(paths)).with_only_columns(OrgUnit.id)


def visible_members(access: TenantAccess) -> Select:
    """``select(Member)`` limited to the members the caller may read."""
    query = select(Member).where(Member.tenant_id == access.tenant_id)
    if access.whole_tree:
        return query
    allowed = []
    if access.subtrees:
        allowed.append(Member.org_id.in_(unit_ids(access.tenant_id, access.subtrees)))
    if access.member_ids:
        allowed.append(Member.id.in_(access.member_ids))
    return query.where(or_(*allowed) if allowed else false())


def tenant_of(access: TenantAccess) -> Tenant:
    tenant = db.session.get(Tenant, access.tenant_id)
    if tenant is None:
        raise NotFound(_("没有找到这个单位的数据空间。"))
    return tenant


def get_member(access: TenantAccess, member_id: uuid.UUID) -> Member:
    member = db.session.scalar(visible_members(access).where(Member.id == member_id))
    if member is None:
        raise NotFound(_("本单位没有这名党员(%(id)s)。", id=member_id))
    return member


def _require_writable(access: TenantAccess, member: Member) -> None:
    org = db.session.get(OrgUnit, (member.tenant_id, member.org_id))
    if org is None or not may_write(access, org.path):
        raise Forbidden(_("您只能修改所辖支部的党员。"))


def _active_unit(access: TenantAccess, org_id: uuid.UUID, field: str = "org_id") -> OrgUnit:
    """A unit of the tenant that members may belong to and the caller may write under."""
    org = db.session.get(OrgUnit, (access.tenant_id, org_id))
    if org is None:
        raise NotFound(_("本单位没有这个组织(%(id)s)。", id=org_id), field=field)
    if org.status != "active":
        raise ServiceError(
            _("%(name)s(%(code)s)已撤销;请选择现有的组织。", name=org.name, code=org.code),
            field=field,
        )
    if not may_write(access, org.path):
        raise Forbidden(
            _("%(name)s不在您管辖的范围内。", name=org.name),
            field=field,
        )
    return org


# --- listing -----------------------------------------------------------------------------


def list_query(access: TenantAccess, filters: dict[str, Any]) -> Select:
    """Visible members, filtered: ``org_id`` (its whole subtree), status, category, active,
    ``q`` (part of the name or archive code)."""
    restricted = sorted(set(filters) & {"status", "category", "active"})
    if restricted and names_only(access):
        raise Forbidden(
            _("监督方只能看到姓名和所在组织,不能按“%(field)s”筛选。", field=restricted[0]),
            field=restricted[0],
        )
    query = visible_members(access)
    if "org_id" in filters:
        org = get_org(access.tenant_id, filters["org_id"])
        query = query.where(Member.org_id.in_(unit_ids(access.tenant_id, [org.path])))
    for field in ("status", "category", "active"):
        if field in filters:
            query = query.where(getattr(Member, field) == filters[field])
    if filters.get("q"):
        matches = Member.name.contains(filters["q"], autoescape=True)
        if not names_only(access):
            matches = matches | Member.archive_code.contains(filters["q"], autoescape=True)
        query = query.where(matches)
    return query.order_by(Member.archive_code)


def org_names(tenant_id: uuid.UUID, org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = set(org_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.tenant_id == tenant_id, OrgUnit.id.in_(ids))
    )
    return {row.id: row.name for row in rows}


def present(access: TenantAccess, members: Sequence[Member]) -> list[dict[str, Any]]:
    """Members as the caller may see them: names only for an overseer, the ID card masked
    for an admin, never in full."""
    names = org_names(access.tenant_id, (m.org_id for m in members))
    shown = []
    for member in members:
        row: dict[str, Any] = {
            "id": member.id,
            "name": member.name,
            "org_id": member.org_id,
            "org_name": names.get(member.org_id),
        }
        if not names_only(access):
            row |= {f: getattr(member, f) for f in (*FIELDS, "exempt", "active", "left_on")}
            row |= {"created_at": member.created_at, "updated_at": member.updated_at}
        if access.is_admin:
            row["id_card_masked"] = _masked(member.id_card_cipher)
        shown.append(row)
    return shown


def _masked(token: str | None) -> str | None:
    return crypto.mask(crypto.decrypt(token)) if token else None


# --- archive codes and ID cards ----------------------------------------------------------


def allocate_archive_codes(tenant: Tenant, used: Iterable[str], count: int) -> list[str]:
    """``count`` new codes ``<tenant code>-000001`` …, after the highest such code in use."""
    prefix = f"{tenant.code}-"
    numbers = (code[len(prefix) :] for code in used if code and code.startswith(prefix))
    start = max((int(n) for n in numbers if n.isascii() and n.isdigit()), default=0) + 1
    return [f"{prefix}{n:0{ARCHIVE_DIGITS}d}" for n in range(start, start + count)]


def _next_archive_code(tenant: Tenant) -> str:
    prefix = f"{tenant.code}-"
    used = db.session.scalars(
        select(Member.archive_code).where(
            Member.tenant_id == tenant.id, Member.archive_code.startswith(prefix, autoescape=True)
        )
    )
    return allocate_archive_codes(tenant, used, 1)[0]


def _check_archive_code(tenant_id: uuid.UUID, code: str, exclude: uuid.UUID | None) -> None:
    found = db.session.scalar(
        select(Member.id).where(Member.tenant_id == tenant_id, Member.archive_code == code)
    )
    if found is not None and found != exclude:
        raise Conflict(
            _("档案编码“%(code)s”已被另一名党员使用。", code=code),
            field="archive_code",
        )


@dataclass(frozen=True)
class IdCard:
    number: str
    cipher: str
    digest: str

    def columns(self) -> dict[str, str]:
        return {"id_card_cipher": self.cipher, "id_card_digest": self.digest}


def id_card(tenant: Tenant, raw: str, exclude: uuid.UUID | None = None) -> IdCard:
    """Validate, encrypt and digest a number; refuse it when the tenant keeps no ID cards
    or another member of the tenant already has it."""
    if not tenant.id_card_enabled:
        raise ServiceError(id_cards_off(), field="id_card")
    try:
        number = normalize_id_card(raw)
    except ValueError as exc:
        raise ServiceError(str(exc), field="id_card") from None
    digest = crypto.digest(number)
    owner = db.session.execute(
        select(Member.id, Member.archive_code).where(
            Member.tenant_id == tenant.id, Member.id_card_digest == digest
        )
    ).first()
    if owner is not None and owner.id != exclude:
        raise Conflict(id_card_taken(owner.archive_code), field="id_card")
    return IdCard(number, crypto.encrypt(number), digest)


def id_card_taken(archive_code: str) -> str:
    return _("该身份证号已登记在档案编码为 %(code)s 的党员名下。", code=archive_code)


def from_id_card(number: str) -> dict[str, Any]:
    """Birth date and gender as the number writes them."""
    return {"birth_date": birth_date_of(number), "gender": gender_of(number)}


def _check_consistency(values: dict[str, Any], card: IdCard | None) -> None:
    born, joined, full = (
        values.get("birth_date"),
        values.get("joined_on"),
        values.get("full_member_on"),
    )
    if card is not None:
        written = from_id_card(card.number)
        for field, label in (("birth_date", "出生日期"), ("gender", "性别")):
            if values.get(field) is not None and values[field] != written[field]:
                raise ServiceError(
                    _(
                        "%(label)s与身份证号不符,应为 %(expected)s。",
                        label=label,
                        expected=written[field],
                    ),
                    field=field,
                )
    if born and joined and joined <= born:
        raise ServiceError(_("入党时间应晚于出生日期。"), field="joined_on")
    if joined and full and full < joined:
        raise ServiceError(
            _("转正时间不能早于入党时间。"),
            field="full_member_on",
        )


# --- writes ------------------------------------------------------------------------------

REGISTRY_LOCK = 0x5A42  # the first key of the registry's advisory locks ("ZB")


def lock_registry(tenant_id: uuid.UUID) -> None:
    """Writes to a tenant's registry take turns until the transaction ends (PostgreSQL:
    an advisory lock keyed on the tenant; SQLite writes one at a time anyway). An import
    holds it from reading the registry to its commit, so two imports of one file never
    both create the same members, and nobody changes a member between an import's read
    and its write."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(tenant_id.bytes[:4], "big", signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": REGISTRY_LOCK, "b": key})


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("数据已被他人同时修改,请重试。")) from None


def create_member(access: TenantAccess, data: dict[str, Any]) -> Member:
    """A new member in an active unit the caller may write under."""
    tenant = tenant_of(access)
    lock_registry(tenant.id)
    values = dict(data)
    org = _active_unit(access, values.pop("org_id"))
    raw_card = values.pop("id_card", None)
    card = id_card(tenant, raw_card) if raw_card else None
    values = {k: v for k, v in values.items() if v is not None}
    if card is not None:
        values = from_id_card(card.number) | values  # what the sheet leaves out, the card says
    _check_consistency(values, card)
    code = values.pop("archive_code", None) or _next_archive_code(tenant)
    _check_archive_code(tenant.id, code, exclude=None)
    member = Member(
        tenant_id=tenant.id,
        id=new_id(),
        org_id=org.id,
        archive_code=code,
        **values,
        **(card.columns() if card else {}),
    )
    db.session.add(member)
    _commit()
    return member


def update_member(access: TenantAccess, member: Member, changes: dict[str, Any]) -> Member:
    """Change fields of ``member`` (a transfer moves it to another unit, not this)."""
    if "org_id" in changes:
        raise ServiceError(
            _("调整所在支部请用组织关系转接(POST …/transfer)。"),
            field="org_id",
        )
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise ServiceError(
            _("这里不能修改:%(fields)s。", fields="、".join(unknown)), field=unknown[0]
        )
    _require_writable(access, member)
    lock_registry(member.tenant_id)
    values = dict(changes)
    card = None
    if "id_card" in values:
        raw = values.pop("id_card")
        card = id_card(tenant_of(access), raw, exclude=member.id) if raw else None
        values |= card.columns() if card else {"id_card_cipher": None, "id_card_digest": None}
    _check_changes(member, values, card)
    for field, value in values.items():
        setattr(member, field, value)
    _commit()
    return member


def _column_title(field: str) -> str:
    """The roster column's Chinese header for a member field (档案编码 …)."""
    from zhibu.members.roster import COLUMNS

    return next((str(c.title) for c in COLUMNS if c.key == field), field)


def _check_changes(member: Member, values: dict[str, Any], card: IdCard | None) -> None:
    for field in ("name", "archive_code", "status", "category"):
        if field in values and values[field] is None:
            raise ServiceError(_("“%(title)s”不能为空。", title=_column_title(field)), field=field)
    if "archive_code" in values and values["archive_code"] != member.archive_code:
        _check_archive_code(member.tenant_id, values["archive_code"], exclude=member.id)
    merged = {f: values.get(f, getattr(member, f)) for f in FIELDS}
    _check_consistency(merged, card)


def transfer_member(
    access: TenantAccess, member: Member, to_org_id: uuid.UUID, on: date, reason: str = ""
) -> MemberTransfer:
    """Move ``member`` to an active unit; the member keeps its id and the move is kept."""
    _require_writable(access, member)
    lock_registry(member.tenant_id)
    if not member.active:
        raise Conflict(_("%(name)s已不在册,不能转接。", name=member.name))
    if to_org_id == member.org_id:
        raise ServiceError(_("转入组织与当前所在组织相同。"), field="to_org_id")
    target = _active_unit(access, to_org_id, field="to_org_id")
    latest = db.session.scalar(
        select(MemberTransfer.transferred_on)
        .where(MemberTransfer.tenant_id == member.tenant_id, MemberTransfer.member_id == member.id)
        .order_by(MemberTransfer.transferred_on.desc())
        .limit(1)
    )
    if latest is not None and on < latest:
        raise ServiceError(
            _("转接日期不能早于上次转接(%(latest)s)。", latest=latest.isoformat()),
            field="on",
        )
    transfer = MemberTransfer(
        tenant_id=member.tenant_id,
        id=new_id(),
        member_id=member.id,
        from_org_id=member.org_id,
        to_org_id=target.id,
        transferred_on=on,
        reason=reason,
        user_id=current_scope().user_id,
    )
    member.org_id = target.id
    db.session.add(transfer)
    _commit()
    return transfer


def transfer_history(member: Member) -> list[dict[str, Any]]:
    """The member's transfers, oldest first, with the units' names."""
    transfers = db.session.scalars(
        select(MemberTransfer).where(
            MemberTransfer.tenant_id == member.tenant_id, MemberTransfer.member_id == member.id
        )
    ).all()
    ordered = _in_sequence(transfers)
    names = org_names(
        member.tenant_id, {t.from_org_id for t in ordered} | {t.to_org_id for t in ordered}
    )
    return [
        {
            "id": t.id,
            "member_id": t.member_id,
            "from_org_id": t.from_org_id,
            "from_org_name": names.get(t.from_org_id),
            "to_org_id": t.to_org_id,
            "to_org_name": names.get(t.to_org_id),
            "transferred_on": t.transferred_on,
            "reason": t.reason,
            "user_id": t.user_id,
        }
        for t in ordered
    ]


def _in_sequence(transfers: Sequence[MemberTransfer]) -> list[MemberTransfer]:
    """By date; several on one day in the order that chains them (each from the last to)."""
    pending = sorted(transfers, key=lambda t: t.transferred_on)
    ordered: list[MemberTransfer] = []
    while pending:
        day = pending[0].transferred_on
        last_to = ordered[-1].to_org_id if ordered else None
        same_day = [t for t in pending if t.transferred_on == day]
        arrivals = {t.to_org_id for t in same_day}
        following = next((t for t in same_day if t.from_org_id == last_to), None) or next(
            (t for t in same_day if t.from_org_id not in arrivals), same_day[0]
        )
        ordered.append(following)
        pending.remove(following)
    return ordered
