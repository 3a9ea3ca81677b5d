"""Create, change, move, upgrade and dissolve units; a subtree is one range query.

Every change leaves an :class:`~zhibu.models.OrgEvent`, so a unit's history (and the
results keyed on it) survive moves, upgrades and dissolution.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Select, func, literal, select, update

from zhibu import plugins
from zhibu.audit import json_value
from zhibu.db import db
from zhibu.errors import Conflict, NotFound, ServiceError
from zhibu.i18n import _
from zhibu.models import Member, OrgEvent, OrgUnit
from zhibu.models.orgs import UPGRADES
from zhibu.tenancy.scope import current_scope

EDITABLE = ("code", "name", "retired", "exempt")
PATH_END = "~"  # sorts after the hex digits and "/" of every path below a prefix


def _event(org: OrgUnit, kind: str, before: dict | None, after: dict | None) -> None:
    db.session.add(
        OrgEvent(
            tenant_id=org.tenant_id,
            org_id=org.id,
            kind=kind,
            user_id=current_scope().user_id,
            before=before,
            after=after,
        )
    )


def _kind_title(kind: str) -> str:
    found = plugins.registry().org_kinds.get(kind)
    return found.title if found is not None else kind


def get_org(tenant_id: uuid.UUID, org_id: uuid.UUID) -> OrgUnit:
    org = db.session.get(OrgUnit, (tenant_id, org_id))
    if org is None:
        raise NotFound(_("没有找到这个组织。"))
    return org


def org_by_code(tenant_id: uuid.UUID, code: str) -> OrgUnit:
    org = db.session.scalar(
        select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.code == code)
    )
    if org is None:
        raise NotFound(_("没有组织编码为“%(code)s”的组织。", code=code), field="code")
    return org


def subtree_query(tenant_id: uuid.UUID, root_paths: list[str] | tuple[str, ...]) -> Select:
    """Units under (and including) the units with ``root_paths``: one indexed range scan."""
    from sqlalchemy import or_

    ranges = [OrgUnit.path.between(p, p + PATH_END) for p in root_paths]
    return select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, or_(*ranges))


def check_kind(kind: str) -> None:
    """A unit's kind must be one the core or a loaded plugin contributes
    (``zhibu_org_kinds``); the database keeps no list of its own."""
    known = plugins.registry().org_kinds
    if kind not in known:
        raise ServiceError(
            _(
                "未知的组织类型 %(kind)s(可选:%(known)s)",
                kind=repr(kind),
                known="、".join(k.title for k in known.values()),
            ),
            field="kind",
        )


def _check_unique_code(tenant_id, code: str, exclude: uuid.UUID | None = None) -> None:
    query = select(OrgUnit.id).where(OrgUnit.tenant_id == tenant_id, OrgUnit.code == code)
    found = db.session.scalar(query)
    if found is not None and found != exclude:
        raise Conflict(_("组织编码“%(code)s”已被其他组织使用。", code=code), field="code")


def create_org(
    tenant_id: uuid.UUID,
    *,
    code: str,
    name: str,
    kind: str,
    parent_id: uuid.UUID | None = None,
    retired: bool = False,
    exempt: bool = False,
) -> OrgUnit:
    check_kind(kind)
    _check_unique_code(tenant_id, code)
    org_id = uuid.uuid4()
    path, depth = f"/{org_id.hex}/", 0
    if parent_id is not None:
        parent = get_org(tenant_id, parent_id)
        if parent.status != "active":
            raise ServiceError(
                _(
                    "上级组织“%(name)s”(%(code)s)已撤销,不能在其下新建组织。",
                    name=parent.name,
                    code=parent.code,
                ),
                field="parent_id",
            )
        path, depth = f"{parent.path}{org_id.hex}/", parent.depth + 1
    org = OrgUnit(
        tenant_id=tenant_id,
        id=org_id,
        code=code,
        name=name,
        kind=kind,
        parent_id=parent_id,
        path=path,
        depth=depth,
        retired=retired,
        exempt=exempt,
    )
    db.session.add(org)
    db.session.flush()  # the unit before its history
    _event(org, "created", None, {"code": code, "name": name, "kind": kind})
    db.session.commit()
    return org


def update_org(org: OrgUnit, **changes) -> OrgUnit:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(
            _("这里不能修改:%(fields)s。", fields="、".join(sorted(unknown))),
            field=sorted(unknown)[0],
        )
    if "code" in changes and changes["code"] != org.code:
        _check_unique_code(org.tenant_id, changes["code"], exclude=org.id)
    before = {f: getattr(org, f) for f in changes if getattr(org, f) != changes[f]}
    if before:
        for field, value in changes.items():
            setattr(org, field, value)
        _event(org, "changed", before, {f: changes[f] for f in before})
        db.session.commit()
    return org


def move_org(org: OrgUnit, new_parent_id: uuid.UUID) -> OrgUnit:
    """Move ``org`` and everything under it below ``new_parent_id`` in one statement."""
    parent = get_org(org.tenant_id, new_parent_id)
    if parent.path.startswith(org.path):
        raise ServiceError(
            _(
                "不能把“%(name)s”转到它自己的下级组织“%(parent)s”之下。",
                name=org.name,
                parent=parent.name,
            ),
            field="parent_id",
        )
    old_prefix, new_prefix = org.path, f"{parent.path}{org.id.hex}/"
    shift = parent.depth + 1 - org.depth
    before = {"parent_id": json_value(org.parent_id)}
    db.session.execute(
        update(OrgUnit)
        .where(
            OrgUnit.tenant_id == org.tenant_id,
            OrgUnit.path.between(old_prefix, old_prefix + PATH_END),
        )
        .values(
            path=literal(new_prefix) + func.substr(OrgUnit.path, len(old_prefix) + 1),
            depth=OrgUnit.depth + shift,
        )
        .execution_options(synchronize_session=False)
    )
    org.parent_id = parent.id
    _event(org, "moved", before, {"parent_id": str(parent.id)})
    db.session.commit()
    db.session.refresh(org)
    return org


def upgrade_org(org: OrgUnit) -> OrgUnit:
    """支部 → 总支 → 党委: the unit keeps its id, so its history and results stay."""
    target = UPGRADES.get(org.kind)
    if target is None:
        raise ServiceError(
            _(
                "“%(name)s”是%(kind)s,不能升格(只有党支部可升为党总支、党总支可升为党委)。",
                name=org.name,
                kind=_kind_title(org.kind),
            ),
            field="kind",
        )
    _event(org, "upgraded", {"kind": org.kind}, {"kind": target})
    org.kind = target
    db.session.commit()
    return org


def dissolve_org(org: OrgUnit, on: date) -> OrgUnit:
    """Mark the unit dissolved; it keeps its history and results. Its members and its
    active sub-units must have moved first."""
    if org.status == "dissolved":
        raise Conflict(_("“%(name)s”(%(code)s)已经撤销。", name=org.name, code=org.code))
    members = db.session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.tenant_id == org.tenant_id, Member.org_id == org.id, Member.active)
    )
    children = db.session.scalar(
        select(func.count())
        .select_from(OrgUnit)
        .where(
            OrgUnit.tenant_id == org.tenant_id,
            OrgUnit.parent_id == org.id,
            OrgUnit.status == "active",
        )
    )
    if members or children:
        raise Conflict(
            _(
                "“%(name)s”还有 %(members)s 名在册党员和 %(children)s 个下级组织,"
                "请先转出党员、撤销或转移下级组织。",
                name=org.name,
                members=members,
                children=children,
            )
        )
    org.status, org.dissolved_on = "dissolved", on
    _event(
        org,
        "dissolved",
        {"status": "active"},
        {"status": "dissolved", "dissolved_on": on.isoformat()},
    )
    db.session.commit()
    return org


def org_history(org: OrgUnit) -> list[OrgEvent]:
    return list(
        db.session.scalars(
            select(OrgEvent)
            .where(OrgEvent.tenant_id == org.tenant_id, OrgEvent.org_id == org.id)
            .order_by(OrgEvent.at, OrgEvent.kind)
        )
    )


def in_tree_order(units: list[OrgUnit]) -> list[OrgUnit]:
    """Depth first, siblings by code: how people read a tree (the rows came in one query)."""
    present = {unit.id for unit in units}
    children: dict[uuid.UUID | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in present else None
        children.setdefault(parent, []).append(unit)
    ordered: list[OrgUnit] = []
    stack = sorted(children.get(None, []), key=lambda u: u.code, reverse=True)
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(sorted(children.get(unit.id, []), key=lambda u: u.code, reverse=True))
    return ordered
