"""操作记录: a tenant's audit log as people read it (who, when, did what to which object),
for its administrators and the platform administrator. The full record, every value
before and after, is the API's export (``/api/v1/tenants/<id>/audit/export``)."""

from __future__ import annotations

import uuid
from datetime import UTC

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from zhibu.accounts.service import ROLE_NAMES
from zhibu.db import db
from zhibu.models import AuditEntry, Tenant, User
from zhibu.web.guard import register_page_errors, tenant_page
from zhibu.web.queries import ACTORS

bp = Blueprint("activity", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)

PAGE = 50

ACTIONS = {
    "create": _l("新建"),
    "update": _l("修改"),
    "delete": _l("删除"),
    "import": _l("导入"),
    "generate": _l("生成"),
    "reopen": _l("重新开启"),
    "save_many": _l("批量保存"),
    "publish": _l("发布结果"),
}
ENTITIES = {  # every table, as users call its rows
    "tenants": _l("单位"),
    "users": _l("用户"),
    "api_tokens": _l("接口令牌"),
    "audit_log": _l("操作记录"),
    "incidents": _l("事件"),
    "org_units": _l("组织"),
    "oversight_links": _l("监督关系"),
    "scheme_versions": _l("方案设置"),
    "tenant_schemes": _l("启用的方案"),
    "activity_records": _l("组织生活记录"),
    "cycles": _l("考评周期"),
    "members": _l("党员"),
    "notifications": _l("提醒"),
    "org_events": _l("组织变动"),
    "rectification_items": _l("整改事项"),
    "follow_ups": _l("整改回访"),
    "member_transfers": _l("组织关系转接"),
    "report_files": _l("报表"),
    "result_sets": _l("结果计算"),
    "role_assignments": _l("角色"),
    "score_sheets": _l("评分表"),
    "results": _l("考评结果"),
    "score_items": _l("评分项"),
    "publications": _l("公示名单"),
    "publication_entries": _l("公示条目"),
    "objections": _l("异议"),
}
FIELDS = {  # the fields a change names; others are counted
    "name": _l("名称"),
    "username": _l("用户名"),
    "display_name": _l("姓名"),
    "active": _l("是否启用"),
    "must_change_password": _l("须修改密码"),
    "password_hash": _l("密码"),
    "locked_until": _l("锁定"),
    "session_version": _l("会话版本"),
    "kind": _l("类型"),
    "region": _l("所在地区"),
    "id_card_enabled": _l("身份证号"),
    "code": _l("代码"),
    "phase": _l("阶段"),
    "deadlines": _l("截止日期"),
    "status": _l("状态"),
    "org_id": _l("所在组织"),
    "retired": _l("离退休"),
    "exempt": _l("不参评"),
    "phone": _l("联系电话"),
    "position": _l("党内职务"),
    "deadline": _l("整改时限"),
    "measure": _l("整改措施"),
    "score": _l("分数"),
    "answer": _l("答复"),
    "reason": _l("理由"),
}
LABELS = ("name", "display_name", "username", "label", "title", "issue", "archive_code", "code")


def entries(
    tenant_id: uuid.UUID,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> list[dict]:
    """The tenant's entries, newest first, each as :func:`describe` puts it."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if username:
        query = query.where(AuditEntry.username == username)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id).offset(offset)
    found = db.session.scalars(query.limit(limit)).all()
    return [describe(e, names) for names in (_names(found),) for e in found]


def platform_entries(tenant_id: uuid.UUID, limit: int = 20) -> list[dict]:
    """The tenant's entries and the platform's about it (its oversight links), for the
    platform administrator (whose scope reads both)."""
    about = or_(
        AuditEntry.tenant_id == tenant_id,
        AuditEntry.tenant_id.is_(None) & AuditEntry.entity_id.contains(str(tenant_id)),
    )
    query = select(AuditEntry).where(about).order_by(AuditEntry.at.desc(), AuditEntry.id)
    found = db.session.scalars(query.limit(limit)).all()
    return [describe(e, names) for names in (_names(found),) for e in found]


def _names(found: list[AuditEntry]) -> dict[str, str]:
    """Names of the users and tenants the entries are about (a role's holder, an account,
    the two ends of an oversight link), by id."""
    users = {e.entity_id for e in found if e.entity == "users"}
    tenants = set()
    for e in found:
        values = e.after or e.before or {}
        if e.entity == "role_assignments":
            users.add(values.get("user_id"))
        if e.entity == "oversight_links":
            tenants |= {values.get("overseer_id"), values.get("overseen_id")}
    names = {}
    for model, label, ids in ((User, User.username, users), (Tenant, Tenant.name, tenants)):
        ids = [uuid.UUID(i) for i in ids if i]
        if ids:
            rows = db.session.execute(select(model.id, label).where(model.id.in_(ids)))
            names.update({str(i): name for i, name in rows})
    return names


def describe(entry: AuditEntry, names: dict[str, str]) -> dict:
    """When, who, what (action and object type) and which object or which fields."""
    values = entry.after or entry.before or {}
    return {
        "at": local_time(entry.at),
        "username": entry.username,
        "who": ACTORS.get(entry.username, entry.username),
        "action": ACTIONS.get(entry.action, _l("其他操作")),
        "entity": ENTITIES.get(entry.entity, _l("其他")),
        "object": _object(entry, values, names),
        "fields": _fields(entry) if entry.action == "update" else "",
    }


def _object(entry: AuditEntry, values: dict, names: dict[str, str]) -> str:
    if entry.entity == "users":
        return names.get(entry.entity_id, values.get("username", ""))
    if entry.entity == "role_assignments":
        role = ROLE_NAMES.get(values.get("role"), "")
        return f"{names.get(values.get('user_id'), '')} {role}".strip()
    if entry.entity == "oversight_links":
        overseer, overseen = (names.get(values.get(k), "") for k in ("overseer_id", "overseen_id"))
        return _("%(overseer)s 监督 %(overseen)s", overseer=overseer, overseen=overseen)
    for key in LABELS:
        if isinstance(values.get(key), str) and values[key]:
            return values[key]
    return ""


def _fields(entry: AuditEntry) -> str:
    changed = list((entry.after or {}).keys())
    named = [str(FIELDS[f]) for f in changed if f in FIELDS]
    others = len(changed) - len(named)
    if others:
        named.append(_("其他 %(count)s 项", count=others))
    return "、".join(named)


def local_time(moment) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


@bp.get("/activity")
@tenant_page("admin")
def activity(tenant_id: uuid.UUID):
    page = max(request.args.get("page", 1, type=int), 1)
    username = request.args.get("username", "").strip() or None
    entity = request.args.get("entity") or None
    found = entries(
        tenant_id,
        entity=entity if entity in ENTITIES else None,
        username=username,
        offset=(page - 1) * PAGE,
        limit=PAGE + 1,
    )
    return render_template(
        "users/activity.html",
        entries=found[:PAGE],
        more=len(found) > PAGE,
        page=page,
        username=username or "",
        entity=entity or "",
        entities=ENTITIES,
    )
