"""用户与权限 (a tenant administrator's pages): the tenant's users, searched; an account
made with its roles; roles given and taken back; a password reset; an account deactivated;
member accounts opened from the roster in bulk, their initial passwords handed over once as
printable slips (one per member) or an .xlsx. All through :mod:`zhibu.accounts.service`,
which the API uses too; every change lands in the activity log (``/activity``)."""

from __future__ import annotations

import base64
import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from zhibu import controls
from zhibu.accounts import service
from zhibu.db import db
from zhibu.errors import Invalid, NotFound, ServiceError
from zhibu.models import ROLES, Member, OrgUnit, RoleAssignment
from zhibu.orgs.service import in_tree_order
from zhibu.tenancy.service import KIND_NAMES
from zhibu.web import activity
from zhibu.web.common import scheme_title
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("people", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)

SHOWN_WITHOUT_ACCOUNT = 200  # members listed on the page that opens accounts
DATALIST_LIMIT = 500  # members offered as suggestions on the form; beyond, typed


@bp.get("/users")
@tenant_page("admin")
def user_list(tenant_id: uuid.UUID):
    """The tenant's users a page at a time, found by name and role; the pager's links keep
    both."""
    q, role = request.args.get("q", "").strip(), request.args.get("role") or None
    role = role if role in ROLES else None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    users, more = service.users_page(tenant_id, q, role, page, USERS_PAGE)
    described = _described_all([a for _u, assignments in users for a in assignments])
    query = {k: v for k, v in {"q": q, "role": role}.items() if v}
    return render_template(
        "users/list.html",
        users=[(u, [described[a.id] for a in _by_role(a)]) for u, a in users],
        q=q,
        role=role,
        admins=service.active_admins(tenant_id),
        page=page,
        more=more,
        query=query,
    )


USERS_PAGE = 50  # users per page of the users page


@bp.route("/users/new", methods=["GET", "POST"])
@tenant_page("admin")
def new_user(tenant_id: uuid.UUID):
    form = request.form
    if request.method == "POST":
        try:
            opened = service.open_account(
                tenant_id,
                username=form.get("username", ""),
                display_name=form.get("display_name", ""),
                roles=[_role_from_form(tenant_id, form)],
            )
        except ServiceError as exc:
            db.session.rollback()
            return _new_form(exc), exc.status
        flash(_("已创建用户 %(name)s。", name=opened.user.username))
        return _slips([opened], _("新用户的初始密码"))
    return _new_form(None)


def _new_form(error: ServiceError | None):
    return render_template("users/new.html", error=error, form=request.form, **_choices())


@bp.get("/users/<uuid:user_id>")
@tenant_page("admin")
def user_detail(tenant_id: uuid.UUID, user_id: uuid.UUID):
    return _detail_page(tenant_id, user_id, None)


def _detail_page(tenant_id: uuid.UUID, user_id: uuid.UUID, error: ServiceError | None, added=None):
    """The user's page; after a refused 添加角色, its form with what was chosen (``added``)."""
    user = service.member_of_tenant(tenant_id, user_id)
    assignments = db.session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.tenant_id == tenant_id, RoleAssignment.user_id == user.id
        )
    ).all()
    return render_template(
        "users/detail.html",
        user=user,
        roles=_described(assignments),
        elsewhere=service.other_tenants_of(user, tenant_id),
        changes=activity.entries(tenant_id, entity="users", entity_id=str(user.id), limit=20),
        error=error,
        added=added or {},
        **_choices(),
    )


def _refused(tenant_id: uuid.UUID, user_id: uuid.UUID, exc: ServiceError, added=None):
    """The user's page again, with what was refused and why (and the role form as it was
    sent, ``added``, when that was refused)."""
    db.session.rollback()
    return _detail_page(tenant_id, user_id, exc, added), exc.status


@bp.post("/users/<uuid:user_id>/roles")
@tenant_page("admin")
def add_role(tenant_id: uuid.UUID, user_id: uuid.UUID):
    user = service.member_of_tenant(tenant_id, user_id)
    try:
        assignment = service.grant(tenant_id, user, **_role_from_form(tenant_id, request.form))
        db.session.commit()
    except ServiceError as exc:
        return _refused(tenant_id, user_id, exc, request.form)
    flash(_("已添加角色:%(role)s。", role=service.ROLE_NAMES[assignment.role]))
    return redirect(url_for("people.user_detail", tenant_id=tenant_id, user_id=user_id))


@bp.post("/users/<uuid:user_id>/roles/<uuid:role_id>/revoke")
@tenant_page("admin")
def revoke_role(tenant_id: uuid.UUID, user_id: uuid.UUID, role_id: uuid.UUID):
    service.member_of_tenant(tenant_id, user_id)
    try:
        service.revoke(tenant_id, role_id, user_id)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        return _refused(tenant_id, user_id, exc)
    flash(_("已撤销角色。"))
    return redirect(url_for("people.user_detail", tenant_id=tenant_id, user_id=user_id))


@bp.post("/users/<uuid:user_id>/active")
@tenant_page("admin")
def set_active(tenant_id: uuid.UUID, user_id: uuid.UUID):
    user = service.member_of_tenant(tenant_id, user_id)
    active = request.form.get("active") == "1"
    typed = request.form.get("confirm_username", "").strip()
    if not active and typed != user.username:  # disabling is confirmed by typing the name
        message = _(
            "停用账号须在“确认用户名”中输入该用户的用户名 %(username)s。", username=user.username
        )
        return _refused(tenant_id, user_id, Invalid(message, field="confirm_username"))
    try:
        service.set_active(tenant_id, user, active, g.user)
    except ServiceError as exc:
        return _refused(tenant_id, user_id, exc)
    flash(_("已启用账号。") if active else _("已停用账号,该用户不能再登录。"))
    return redirect(url_for("people.user_detail", tenant_id=tenant_id, user_id=user_id))


@bp.post("/users/<uuid:user_id>/name")
@tenant_page("admin")
def rename(tenant_id: uuid.UUID, user_id: uuid.UUID):
    user = service.member_of_tenant(tenant_id, user_id)
    try:
        service.rename(tenant_id, user, request.form.get("display_name", ""), g.user)
    except ServiceError as exc:
        return _refused(tenant_id, user_id, exc)
    flash(_("已保存姓名。"))
    return redirect(url_for("people.user_detail", tenant_id=tenant_id, user_id=user_id))


@bp.post("/users/<uuid:user_id>/password")
@tenant_page("admin")
def reset_password(tenant_id: uuid.UUID, user_id: uuid.UUID):
    user = service.member_of_tenant(tenant_id, user_id)
    if request.form.get("confirm") != "1":  # a second, deliberate step: the box ticked
        message = _("重置密码须先勾选“确认重置该用户的密码”。")
        return _refused(tenant_id, user_id, Invalid(message, field="confirm"))
    try:
        reset = service.reset_password(tenant_id, user, g.user)
    except ServiceError as exc:
        return _refused(tenant_id, user_id, exc)
    return _slips([reset], _("重置后的密码"))


@bp.route("/users/member-accounts", methods=["GET", "POST"])
@tenant_page("admin")
def member_accounts(tenant_id: uuid.UUID):
    """GET: how many members of the chosen unit (all units by default) have no account
    yet; POST: open them, and hand over the slips."""
    org_id = _uuid_or_none(request.values.get("org_id"))
    try:
        if request.method == "POST":
            opened = service.open_member_accounts(g.tenant, org_id)
            if not opened:
                flash(_("所选范围内的党员都已有账号。"))
                return redirect(url_for("people.member_accounts", tenant_id=tenant_id))
            flash(_("已为 %(count)s 名党员开通账号。", count=len(opened)))
            return _slips(opened, _("党员账号通知单"))
        found = service.first_without_account(tenant_id, org_id, SHOWN_WITHOUT_ACCOUNT)
    except ServiceError as exc:
        db.session.rollback()
        found, error = service.AccountsPage([], 0, 0), exc
    else:
        error = None
    return render_template(
        "users/member_accounts.html",
        found=found,
        org_id=org_id,
        units=_units(),
        error=error,
    )


# --- helpers -------------------------------------------------------------------------------


def _slips(opened: list[service.Credentials], title: str):
    """The initial passwords, once: printable slips and the same as an .xlsx (a data URL
    in the page: nothing keeps the passwords after this answer). Never cached."""
    workbook = base64.b64encode(credentials_workbook(g.tenant, opened)).decode("ascii")
    page = render_template(
        "users/slips.html",
        title=title,
        opened=opened,
        login_url=url_for("pages.login", _external=True),
        workbook=workbook,
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def credentials_workbook(tenant, opened: list[service.Credentials]) -> bytes:
    """One row per account: unit, name, archive code, user name, initial password."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("初始密码")
    sheet.append([_("单位"), _("所在组织"), _("姓名"), _("档案编号"), _("用户名"), _("初始密码")])
    for c in opened:
        unit = c.unit.name if c.unit else ""
        code = c.member.archive_code if c.member else ""
        row = [tenant.name, unit, c.user.display_name, code, c.user.username, c.password]
        sheet.append(controls.cells(row))
    for column, width in zip("ABCDEF", (24, 24, 12, 20, 26, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _role_from_form(tenant_id: uuid.UUID, form) -> dict:
    """role, org_id and member_id from a form: the unit chosen from the tree, the member
    by their archive code (一人一档一码)."""
    role = form.get("role", "")
    member_id = None
    code = form.get("member_code", "").strip()
    if role == "member" and not code:
        raise ServiceError(
            _("请填写档案编号:党员账号须对应本单位名册中的一名党员。"), field="member_code"
        )
    if role == "member":
        member_id = db.session.scalar(
            select(Member.id).where(Member.tenant_id == tenant_id, Member.archive_code == code)
        )
        if member_id is None:
            message = _("档案编号 %(code)s 不在本单位的党员名册中。", code=code or "—")
            raise ServiceError(message, field="member_code")
    org_id = _uuid_or_none(form.get("org_id")) if role == "branch_secretary" else None
    if role == "branch_secretary" and form.get("org_id") and org_id is None:
        org_id = uuid.uuid4()  # not a unit id: refused by the service as outside the tree
    return {"role": role, "org_id": org_id, "member_id": member_id}


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _units() -> list:
    """The tenant's units in tree order, as narrow rows (id, parent, code, name, depth)."""
    return in_tree_order(
        db.session.execute(
            select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.code, OrgUnit.name, OrgUnit.depth).where(
                OrgUnit.tenant_id == g.tenant.id
            )
        ).all()
    )


def _choices() -> dict:
    """What the role forms offer: the roles, the units in tree order, and (a small
    roster) the members without an account as suggestions: counted by the database first,
    loaded only when there are few enough to offer."""
    members = []
    if service.count_without_account(g.tenant.id) <= DATALIST_LIMIT:
        members = [m for m, _unit in service.members_without_account(g.tenant.id)[0]]
    return {"role_keys": ROLES, "units": _units(), "members": members}


def _described(assignments: list[RoleAssignment]) -> list[dict]:
    """Each role with what it is over: a secretary's unit, a member's name."""
    org_ids = [a.org_id for a in assignments if a.org_id]
    member_ids = [a.member_id for a in assignments if a.member_id]
    units = {u.id: u for u in _by_ids(OrgUnit, org_ids)}
    members = {m.id: m for m in _by_ids(Member, member_ids)}
    out = []
    for a in sorted(assignments, key=lambda a: ROLES.index(a.role)):
        over = units.get(a.org_id) or members.get(a.member_id)
        out.append({"id": a.id, "role": a.role, "over": over.name if over else ""})
    return out


def _by_role(assignments: list[RoleAssignment]) -> list[RoleAssignment]:
    return sorted(assignments, key=lambda a: ROLES.index(a.role))


def _described_all(assignments: list[RoleAssignment]) -> dict[uuid.UUID, dict]:
    """:func:`_described` for the roles of a whole page at once (two look-ups in all)."""
    units = {u.id: u for u in _by_ids(OrgUnit, [a.org_id for a in assignments if a.org_id])}
    members = {m.id: m for m in _by_ids(Member, [a.member_id for a in assignments if a.member_id])}
    described = {}
    for a in assignments:
        over = units.get(a.org_id) or members.get(a.member_id)
        described[a.id] = {"id": a.id, "role": a.role, "over": over.name if over else ""}
    return described


def _by_ids(model, ids):
    if not ids:
        return []
    return db.session.scalars(
        select(model).where(model.tenant_id == g.tenant.id, model.id.in_(ids))
    ).all()


def last_login(user) -> str:
    """When the user last logged in, in the server's time, to the minute; — if never."""
    return activity.local_time(user.last_login_at) or "—"


FILTERS = {
    "last_login": last_login,
    "scheme_title": scheme_title,
    "tenant_kind": lambda kind: KIND_NAMES.get(kind, kind),
}
