"""Who may do what in a tenant: every permission named once, what each role has of it and
how far (the whole tenant, a branch secretary's part of the tree, a member's own).

The pages (:func:`zhibu.web.guard.page_access`) and the API
(:func:`zhibu.api.security.authorize`) both call :func:`check` and only translate its
refusal into their own answer: a redirect to the login form or an HTML page there, JSON with
401/403/404 here. The services check the ids a write names against the same table
(:func:`unit_in_reach`, :func:`member_in_reach`), so a page, an API call and a command are
refused alike. Which score sources a caller may enter is decided here too
(:func:`may_enter`), for the sheet, totals and month pages, the sheets API and the plugins'
own entry APIs.

The table itself is :data:`GRANTS`; ``docs/decisions.md`` (issue 17) shows it as a grid.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import and_, false, or_, select, true

from zhibu import engine
from zhibu.accounts.access import PUBLISHED_PHASES, TenantAccess, access_for
from zhibu.db import db
from zhibu.engine.scheme import Scheme
from zhibu.errors import Forbidden, Invalid, NotFound, ServiceError
from zhibu.i18n import _, _l
from zhibu.models import Member, OrgUnit, User

TENANT, BRANCH, SELF = "tenant", "branch", "self"  # how far a grant reaches

# every permission, once, with what it lets a user do (the end of "your roles cannot …")
PERMISSIONS = {
    "read": _l("查看本单位"),
    "whole_tree": _l("查看全部组织和党员"),
    "personal_data": _l("查看党员个人信息"),
    "roster": _l("查看党员名册"),
    "registry": _l("维护党员名册和组织生活记录"),
    "score": _l("录入评分"),
    "ledger": _l("登记、回头看和销号整改事项"),
    "admin": _l("管理本单位"),
    "branch": _l("查看本支部"),
    "own_results": _l("查看本人星级"),
    "oversee": _l("查看监督总览"),
    "object": _l("对公示结果提出异议"),
}

_ADMIN = dict.fromkeys(
    (
        "read",
        "whole_tree",
        "personal_data",
        "roster",
        "registry",
        "score",
        "ledger",
        "admin",
        "object",
    ),
    TENANT,
)
# role → permission → reach. ``oversight`` is reading an overseen tenant through an
# oversight link (no role there); ``overseer`` is the role in the overseeing tenant itself.
GRANTS: dict[str, dict[str, str]] = {
    "platform_admin": _ADMIN | {"oversee": TENANT},
    "tenant_admin": _ADMIN | {"oversee": TENANT},
    "assessor": dict.fromkeys(
        ("read", "whole_tree", "personal_data", "roster", "score", "ledger", "object"), TENANT
    ),
    "branch_secretary": {"read": TENANT, "object": TENANT}
    | dict.fromkeys(("personal_data", "roster", "registry", "score", "ledger", "branch"), BRANCH),
    "member": {"read": TENANT, "object": TENANT, "personal_data": SELF, "own_results": SELF},
    "overseer": dict.fromkeys(("read", "whole_tree", "oversee"), TENANT),
    "oversight": dict.fromkeys(("read", "whole_tree"), TENANT),
}
WRITES = frozenset(
    {"registry", "score", "ledger", "admin", "object"}
)  # what needs a writable scope
SESSION_API = "whole_tree"  # a page session reads a tenant's API only with this


class LoginNeeded(ServiceError):
    """No user: the pages send them to the login form, the API answers 401."""

    status = 401


# --- the table ---------------------------------------------------------------------------


def roles_of(access: TenantAccess) -> frozenset[str]:
    """The rows of :data:`GRANTS` that apply: the roles held in the tenant, the platform
    administrator's, and ``oversight`` when the tenant is read through a link."""
    held = set(access.roles)
    if access.user.is_platform_admin:
        held.add("platform_admin")
    if access.overseer:
        held.add("oversight")
    return frozenset(held)


def _reaches(access: TenantAccess, permission: str) -> set[str]:
    assert permission in PERMISSIONS, permission
    found = {GRANTS.get(role, {}).get(permission) for role in roles_of(access)}
    # a grant confined to a branch or to oneself needs the branch or the member to exist
    if not access.subtrees:
        found.discard(BRANCH)
    if not access.member_ids:
        found.discard(SELF)
    return found - {None}


def allows(access: TenantAccess, permission: str) -> bool:
    """Whether any of the caller's roles grants ``permission`` (somewhere in the tenant)."""
    return bool(_reaches(access, permission))


def reach(access: TenantAccess, permission: str) -> tuple[str, ...] | None:
    """How far ``permission`` reaches: None for the whole tenant, else the org paths of the
    caller's branches (none at all: an empty tuple)."""
    found = _reaches(access, permission)
    if TENANT in found:
        return None
    return access.subtrees if BRANCH in found else ()


def reaches(access: TenantAccess, permission: str, path: str) -> bool:
    """``permission`` covers the unit at ``path``."""
    paths = reach(access, permission)
    return paths is None or any(path.startswith(root) for root in paths)


def writes(access: TenantAccess) -> bool:
    """The caller may write in the tenant at all (their scope is made writable)."""
    return any(allows(access, p) for p in WRITES)


# --- the check every page and API call starts with --------------------------------------


def check(
    user: User | None, tenant_id: uuid.UUID, permission: str = "read", *, by_session=False
) -> TenantAccess:
    """The user's access to the tenant if ``permission`` is theirs there; else
    :class:`LoginNeeded` (no user), :class:`NotFound` (cannot see the tenant at all) or
    :class:`Forbidden` (may see it, not do this).

    :param by_session: an API call made with a page session instead of a token.
    """
    if user is None:
        raise LoginNeeded(_("请先登录。"))
    access = access_for(user, tenant_id)
    if access is None:
        raise NotFound(_("没有这个单位,或您无权查看。"))
    return require(access, permission, by_session=by_session)


def require(access: TenantAccess, permission: str, *, by_session=False) -> TenantAccess:
    """``access`` if it grants ``permission``; else :class:`Forbidden` with the reason
    (for a caller whose access :func:`check` found already in this request)."""
    if by_session and not allows(access, SESSION_API):
        raise Forbidden(
            _(
                "页面登录后只能通过接口查看全部组织的数据;"
                "请使用页面,或先申请令牌(POST /api/v1/auth/tokens)。"
            )
        )
    if not allows(access, permission):
        raise Forbidden(refusal(access, permission))
    return access


def check_platform(user: User | None) -> User:
    """The platform administrator, for what spans tenants (tenants, oversight links)."""
    if user is None:
        raise LoginNeeded(_("请先登录。"))
    if not user.is_platform_admin:
        raise Forbidden(_("只有平台管理员可以进行此操作。"))
    return user


def refusal(access: TenantAccess, permission: str) -> str:
    """Why ``permission`` is refused, as the user reads it."""
    if roles_of(access) <= {"overseer", "oversight"}:
        return _("监督单位只能查看,不能修改。")
    return _("您的角色不能%(what)s。", what=PERMISSIONS[permission])


# --- the ids a write names ---------------------------------------------------------------


def _outside(name: str, field: str) -> Forbidden:
    return Forbidden(_("“%(name)s”不在您的管辖范围内。", name=name), field=field)


def unit_in_reach(
    access: TenantAccess, permission: str, org_id: uuid.UUID, field: str = "org_id"
) -> OrgUnit:
    """The tenant's unit ``org_id`` if ``permission`` reaches it: else 404 (no such unit in
    the tenant) or 403, naming ``field``."""
    unit = db.session.get(OrgUnit, (access.tenant_id, org_id))
    if unit is None:
        raise NotFound(_("本单位没有编号为 %(id)s 的组织。", id=org_id), field=field)
    if not reaches(access, permission, unit.path):
        raise _outside(unit.name, field)
    return unit


def member_in_reach(
    access: TenantAccess, permission: str, member_id: uuid.UUID, field: str = "member_id"
) -> tuple[Member, OrgUnit]:
    """The tenant's member ``member_id`` and their unit, if ``permission`` reaches it."""
    member = db.session.get(Member, (access.tenant_id, member_id))
    if member is None:
        raise NotFound(_("本单位没有编号为 %(id)s 的党员。", id=member_id), field=field)
    unit = db.session.get(OrgUnit, (access.tenant_id, member.org_id))
    if not reaches(access, permission, unit.path):
        raise _outside(member.name, field)
    return member, unit


def members_in_reach(
    access: TenantAccess, permission: str, member_ids: Iterable[uuid.UUID], field: str
) -> None:
    """Every one of ``member_ids`` is a member of the tenant within reach (one query)."""
    wanted = set(member_ids)
    if not wanted:
        return
    rows = db.session.execute(
        select(Member.id, Member.name, OrgUnit.path)
        .join(OrgUnit, (OrgUnit.tenant_id == Member.tenant_id) & (OrgUnit.id == Member.org_id))
        .where(Member.tenant_id == access.tenant_id, Member.id.in_(wanted))
    ).all()
    missing = sorted(str(i) for i in wanted - {r.id for r in rows})
    if missing:
        raise NotFound(_("本单位没有编号为 %(id)s 的党员。", id=", ".join(missing)), field=field)
    for row in rows:
        if not reaches(access, permission, row.path):
            raise _outside(row.name, field)


def sees_in_tree(access: TenantAccess):
    """Which units the caller sees on the org tree (组织架构, read-only unless an admin):
    the whole tree or a secretary's subtrees, and for everyone the units above their own
    (a member: their branch and its parents). Returns a test of a unit's path; one query
    for a member's unit."""
    anchors = list(access.subtrees)
    if access.member_ids:
        anchors += db.session.scalars(
            select(OrgUnit.path)
            .join(Member, (Member.tenant_id == OrgUnit.tenant_id) & (Member.org_id == OrgUnit.id))
            .where(Member.tenant_id == access.tenant_id, Member.id.in_(access.member_ids))
        )
    return lambda path: access.within(path) or any(a.startswith(path) for a in anchors)


def subject_in_reach(
    access: TenantAccess, permission: str, kind: str, subject_id, field: str = "subject_id"
) -> tuple[OrgUnit | Member, OrgUnit]:
    """A unit (``kind`` org) or a member, and the unit it belongs to, within reach."""
    if kind == "member":
        return member_in_reach(access, permission, subject_id, field)
    if kind != "org":
        raise Invalid(_("评价对象的类型只能是组织或党员。"), field="subject_kind")
    unit = unit_in_reach(access, permission, subject_id, field)
    return unit, unit


# --- score entry -------------------------------------------------------------------------

SHEET, TOTAL, MONTH = "sheet", "total", "month"  # how a source is entered


def entry_form(source: engine.Source) -> str:
    """``month``: on the branch's month sheet (a periodic source); ``sheet``: a rater's
    paper sheet (a rubric); ``total``: one score per subject."""
    if source.periodic:
        return MONTH
    return SHEET if source.rubric else TOTAL


def branch_enters(scheme: Scheme | None, source: engine.Source) -> bool:
    """Sources a branch secretary enters for their own units and members: the branch's
    monthly sheets, its self-assessment (a source not counted), and those its scheme names
    in ``Scheme.branch_sources`` (the hook for a scheme whose branch committee scores its
    members)."""
    named = scheme.branch_sources if scheme is not None else frozenset()
    return source.periodic or not source.counted or source.key in named


def may_enter(access: TenantAccess, scheme: Scheme | None, source: engine.Source) -> bool:
    """Whoever scores the whole tenant (admins, assessors) enters every source; a branch
    secretary only what the branch enters (:func:`branch_enters`)."""
    if not allows(access, "score"):
        return False
    return reach(access, "score") is None or branch_enters(scheme, source)


def sources_to_enter(
    access: TenantAccess, scheme: Scheme | None, track: engine.Track, form: str
) -> list[engine.Source]:
    """The track's sources of ``form`` (:data:`SHEET`, :data:`TOTAL`, :data:`MONTH`) the
    caller may enter."""
    return [s for s in track.sources if entry_form(s) == form and may_enter(access, scheme, s)]


def require_entry(
    access: TenantAccess, scheme: Scheme | None, source: engine.Source, field: str = "source"
) -> None:
    if not may_enter(access, scheme, source):
        raise Forbidden(_("您不能录入“%(source)s”的评分。", source=source.title), field=field)


def rater_for(access: TenantAccess, source: engine.Source, given: str | None) -> tuple[str, bool]:
    """The rater a sheet is saved under, and whether it is typed in on someone's behalf.

    A rater's paper sheet is the caller's own (their user name), a total or a month the
    source's one score (no rater), as the pages save them. Only a tenant administrator may
    name another rater (a paper sheet typed in for its rater; audited); anyone else naming
    one is refused, naming the field."""
    own = access.user.username if entry_form(source) == SHEET else ""
    if not given or given == own:
        return own, False
    if allows(access, "admin"):
        return given, True
    if own:
        message = _("评分人只能是您本人(%(own)s)。", own=own)
    else:
        message = _("“%(source)s”按单位录入一个得分,不填评分人。", source=source.title)
    raise Invalid(message, field="rater")


# --- what the caller may read ------------------------------------------------------------


def within_reach(access: TenantAccess, query, org_column):
    """``query`` limited to units within the caller's part of the tree (none without a
    subtree: a member)."""
    if allows(access, "whole_tree"):
        return query
    if not access.subtrees:
        return query.where(false())
    from zhibu.orgs.service import subtree_query

    units = subtree_query(access.tenant_id, access.subtrees).with_only_columns(OrgUnit.id)
    return query.where(org_column.in_(units))


def subjects_visible(access: TenantAccess, kind_column, id_column):
    """A condition on (subject kind, subject id) columns: the results and sheets the
    caller may read: everything for the tenant's own staff who see the whole tree; units
    only for an overseer (no member's results leave the tenant); a branch secretary's
    units and their members; a member's own. Published or not is checked by the caller."""
    from zhibu.orgs.service import subtree_query

    whole = allows(access, "whole_tree")
    if whole and allows(access, "personal_data"):
        return true()
    if whole:  # an overseer
        return kind_column == "org"
    own = and_(kind_column == "member", id_column.in_(list(access.member_ids)))
    if not access.subtrees:
        return own if access.member_ids else false()
    units = subtree_query(access.tenant_id, access.subtrees).with_only_columns(OrgUnit.id)
    members = select(Member.id).where(
        Member.tenant_id == access.tenant_id, Member.org_id.in_(units)
    )
    return or_(
        and_(kind_column == "org", id_column.in_(units)),
        and_(kind_column == "member", id_column.in_(members)),
        own,
    )


def sees_results(access: TenantAccess, phase: str) -> bool:
    """May see a cycle's per-subject results in ``phase``: the tenant's own staff who see
    the whole tree at any time (they prepare and review them); everyone else — an
    overseer too — once published (结果公示, 确定结果). An overseer follows a running cycle
    by its aggregates (progress counts on the oversight pages), not by its results."""
    if phase in PUBLISHED_PHASES:
        return True
    return allows(access, "whole_tree") and not overseer_only(access)


def may_read_result(access: TenantAccess, kind: str, subject_id: uuid.UUID, phase: str) -> bool:
    """Only once published, unless the caller sees the whole tree; a member's result only
    with personal data (not overseers); then the whole tree, a secretary their units and
    members, a member themselves."""
    if not sees_results(access, phase):
        return False
    if kind == "member" and not allows(access, "personal_data"):
        return False
    if allows(access, "whole_tree"):
        return True
    if kind == "member" and subject_id in access.member_ids:
        return True
    model = Member if kind == "member" else OrgUnit
    row = db.session.get(model, (access.tenant_id, subject_id))
    if row is None or not access.subtrees:
        return False
    unit = db.session.get(OrgUnit, (access.tenant_id, row.org_id)) if model is Member else row
    return unit is not None and any(unit.path.startswith(p) for p in access.subtrees)


# --- reports -----------------------------------------------------------------------------


def sees_personal_data(access: TenantAccess) -> bool:
    """Whether what the caller reads may hold members' personal data (names, scores, stars,
    ID numbers …): never for an overseer. The reports are built for the others from data
    without a member in it (:func:`zhibu.reports.service.report_data`)."""
    return allows(access, "personal_data")


def may_read_report(access: TenantAccess, personal: bool, phase: str, results: bool) -> bool:
    """A report (built now or stored) that shows members' personal data only for whoever
    may see it: never an overseer (issue 23); one that shows results, for an overseer
    only once the cycle's results are published, as its results (:func:`sees_results`).
    ``personal``: the report's builder says so, or a stored file was found to name a
    member when it was made; ``results``: the builder's word (the 整改台账 shows none)."""
    if results and not sees_results(access, phase):
        return False
    return sees_personal_data(access) or not personal


# --- evidence ----------------------------------------------------------------------------

EVIDENCE = ("ledger", "score")  # who may attach and open evidence files: either reaches


def overseer_only(access: TenantAccess) -> bool:
    """The caller reads the tenant as an overseer and nothing else (no role of its own)."""
    roles = roles_of(access)
    return bool(roles) and roles <= {"overseer", "oversight"}


def may_see_evidence(
    access: TenantAccess,
    path: str,
    kind: str = "",
    *,
    shareable: Collection[str] = (),
    lodged_by: uuid.UUID | None = None,
) -> bool:
    """May open the evidence files (photos, documents) of the owner ``kind`` of the unit
    at ``path``:

    - an objection's (异议): whoever lodged it and whoever answers objections (the
      tenant's administrators); nobody else, overseers never (they count objections);
    - any other's: whoever scores or keeps the ledger there (a tenant's staff, a
      secretary in their branch); an overseer only a kind the scheme marks shareable
      (``shareable``: :attr:`zhibu.engine.Scheme.shareable_evidence`), read-only; a
      member, and an overseer for any other kind: the number of files only."""
    if kind == "objection":
        return allows(access, "admin") or (lodged_by is not None and lodged_by == access.user.id)
    if any(reaches(access, p, path) for p in EVIDENCE):
        return True
    return kind in shareable and overseer_only(access)


def require_evidence(
    access: TenantAccess,
    path: str,
    name: str,
    field: str = "owner_id",
    kind: str = "",
    *,
    shareable: Collection[str] = (),
    lodged_by: uuid.UUID | None = None,
):
    """Refuse opening the evidence of the unit at ``path`` (403), as
    :func:`may_see_evidence` decides."""
    if not may_see_evidence(access, path, kind, shareable=shareable, lodged_by=lodged_by):
        if overseer_only(access):
            raise Forbidden(_("监督单位只能查看佐证材料的数量,不能查看文件。"), field=field)
        if kind == "objection":
            raise Forbidden(_("只有提出异议的本人和管理员可以查看异议的附件。"), field=field)
        raise _outside(name, field)
