"""Issue 17: one authorization layer for the pages and the API.

Every rule of the app's URL map (pages and API, every method) and every operation of
``/api/openapi.json`` is walked as each role — platform admin, tenant admin, assessor,
branch secretary, member, overseer, a user of another tenant, nobody — with ids taken from
a world where each one names something (tests/authz_scene.py). The answer must be the one
the table below declares: allowed, 403, 404, 401 (API) or the login form (pages). A route
the table does not classify fails the walk, so a new route must be classified here. A
refused write must leave every table as it was, and a page and the API operation doing
the same thing (``PAIRS``) must answer every role alike. On both backends.

The table states the policy as this test expects it; it is not read from the code
(zhibu.accounts.policy), so a change of the policy has to be made in both places.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from authz_scene import Scene, build_scene, login, result_id, token_of
from sqlalchemy import LargeBinary, func, select
from world import PASSWORD

from zhibu.accounts import passwords
from zhibu.accounts.auth import issue_token
from zhibu.db import db
from zhibu.members.roster import write_roster
from zhibu.models import OversightLink, RoleAssignment, Tenant, TenantScheme, User
from zhibu.tenancy import system_scope, use_scope

ROLES = (
    "root",
    "admin_a",
    "assessor_a",
    "secretary_a",
    "member_a",
    "overseer_c",
    "admin_b",
    "anonymous",
)
OK, DENIED, HIDDEN, LOGIN = "ok", "403", "404", "login"
REFUSED = (DENIED, HIDDEN, LOGIN)
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# permission → the answer of root, admin_a, assessor_a, secretary_a (A-Z01), member_a
# (A-M1) and overseer_c (through C's oversight of A), in tenant A. A user of another
# tenant is answered 404 there, nobody the login form (pages) or 401 (API).
TABLE = {
    "read": "ok ok ok ok ok ok",
    "whole_tree": "ok ok ok 403 403 ok",
    "personal_data": "ok ok ok ok ok 403",
    "roster": "ok ok ok ok 403 403",
    "registry": "ok ok 403 ok 403 403",
    "score": "ok ok ok ok 403 403",
    "assess": "ok ok ok 403 403 403",  # scores a branch does not enter for itself
    "ledger": "ok ok ok ok 403 403",
    "admin": "ok ok 403 403 403 403",
    "platform": "ok 403 403 403 403 403",
    "branch": "403 403 403 ok 403 403",
    "own_results": "403 403 403 403 ok 403",
    "oversee": "ok ok 403 403 403 403",
    "object": "ok ok ok ok ok 403",  # an objection to a published result (issue 18)
}
# in tenant C (a county department overseeing A) only root and overseer_c stand at all
TABLE_C = {"oversee": {"root": OK, "overseer_c": OK}}
# routes under no tenant: everyone, every user, the platform administrator, nobody at all
OUTSIDE = {
    "public": dict.fromkeys(ROLES, OK),
    "login": dict.fromkeys(ROLES[:-1], OK) | {"anonymous": LOGIN},
    "platform": {"root": OK} | dict.fromkeys(ROLES[1:-1], DENIED) | {"anonymous": LOGIN},
    "logout": dict.fromkeys(ROLES, LOGIN),  # its answer is the login form
    "absent": dict.fromkeys(ROLES, HIDDEN),  # the app's own static folder holds nothing
}


def expected(case: Case) -> dict[str, str]:
    if case.tenant is None:
        answers = dict(OUTSIDE[case.need])
    elif case.tenant == "C":
        answers = dict.fromkeys(ROLES, HIDDEN) | TABLE_C[case.need] | {"anonymous": LOGIN}
    else:
        answers = dict(zip(ROLES[:6], TABLE[case.need].split(), strict=True))
        answers |= {"admin_b": HIDDEN, "anonymous": LOGIN}
    return answers | case.unlike


@dataclass
class Case:
    """One request, made as every role. ``path`` and ``body`` may be callables of the
    walk and the role (ids made for the request; ``body`` gives the client's keyword
    arguments: ``json``, ``data``, ``headers`` or a ``client`` of its own)."""

    method: str
    rule: str
    need: str
    name: str = ""
    tenant: str | None = "A"
    path: dict = field(default_factory=dict)
    body: Callable | dict | None = None
    unlike: dict = field(default_factory=dict)  # where the data decides, not the role
    makes: bool = False  # making the request writes (as making its path's ids does)


T = "/api/v1/tenants/<uuid:tenant_id>"
P = "/t/<uuid:tenant_id>"
C = f"{T}/cycles/<uuid:cycle_id>"
PC = f"{P}/cycles/<uuid:cycle_id>"
MONTH = f"{T}/dujiangyan/branches/<uuid:org_id>/months/<month>"
NOT_THEIRS = dict.fromkeys(("assessor_a", "secretary_a", "member_a", "overseer_c"), HIDDEN)
KIND = "veto.disunity"
DEADLINE = "2030-06-30"


def n(walk) -> int:
    walk.counter += 1
    return walk.counter


def roster(_walk=None, _role=None) -> dict:
    book = write_roster([{"name": "走查党员", "branch": "机电系第一党支部"}])
    return {"data": {"file": (io.BytesIO(book), "roster.xlsx")}}


def junk(_walk=None, _role=None) -> dict:
    return {"data": {"file": (io.BytesIO(b"not a workbook"), "month.xlsx")}}


def self_sheet(walk, _role) -> dict:
    items = {f"A{k}": p for k, p in enumerate((15, 15, 15, 15, 10, 10, 10, 10), start=1)}
    body = {"subject_kind": "org", "subject_id": walk.id("A-Z01"), "items": items}
    return {"json": body | {"source": "self"}}


def offline_sheet(walk) -> dict:
    walk.reopen_inputs()  # closed again by the close cases before it: who, not when
    return {
        "client_id": str(uuid.uuid4()),
        "cycle_id": walk.id("cycle"),
        "kind": "org",
        "subject_id": walk.id("A-Z01"),
        "source": "self",
        "based_on": "",
        "deductions": [{"item": "A1", "points": 1, "reason": "走查"}],
    }


def offline_photo(walk) -> dict:
    form = {"client_id": str(uuid.uuid4()), "cycle_id": walk.id("cycle"), "indicator": "A1"}
    form |= {"subject_id": walk.id("A-Z01"), "source": "self"}
    return {"data": form | {"file": (io.BytesIO(PHOTO), "A1.png")}}


# an upload is its uploader's: each role previews a roster of its own (a made-up id for a
# role that may not); the history's entry is one import committed before the walk
PAGE_UPLOAD = {"upload_id": lambda w, r: w.upload(r)}
API_UPLOAD = {"upload_id": lambda w, r: w.api_upload(r)}
HISTORY = {"import_id": lambda w, r: w.history()}
# the cycle's results published (version 1) before the request; an open objection of its own
PUBLISHED = {"version": lambda w, r: w.publication()}
OBJECTION = {"objection_id": lambda w, r: w.objection()}
# an open objection the role itself lodged (its author adds files to it)
OWN_OBJECTION = {"objection_id": lambda w, r: w.objection(author=r)}
# member_a's objection with a photo: its author and the administrators open it
OBJECTION_FILE = {
    "objection_id": lambda w, r: w.objection_file()[0],
    "file_id": lambda w, r: w.objection_file()[1],
}
EVIDENCE = {"file_id": lambda w, r: w.evidence()}
PHOTO = bytes.fromhex(  # a PNG of one white pixel
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffffff7f0009fb03fd2a86e38a0000000049454e44ae426082"
)

API = [
    Case("GET", "/api/openapi.json", "public", tenant=None),
    Case("GET", "/api/docs", "public", tenant=None),
    Case("GET", "/api", "public", tenant=None),
    Case("GET", "/api/v1", "public", tenant=None),
    Case("GET", "/api/swagger-ui/<path:filename>", "public", tenant=None),
    Case("POST", "/api/v1/auth/tokens", "public", tenant=None, body=lambda w, r: w.walker()),
    Case(
        "DELETE",
        "/api/v1/auth/tokens",
        "login",
        tenant=None,
        body=lambda w, r: w.own_token(r),
        makes=True,
    ),
    Case("GET", "/api/v1/me", "login", tenant=None),
    Case(
        "POST",
        "/api/v1/me/password",
        "login",
        tenant=None,
        body={"json": {"current": "not the password", "new": "whatever-it-is-1"}},
    ),
    Case("GET", "/api/v1/schemes", "public", tenant=None),
    Case("GET", "/api/v1/schemes/<string:key>", "public", tenant=None),
    Case("GET", "/api/v1/tenants", "login", tenant=None),
    Case(
        "POST",
        "/api/v1/tenants",
        "platform",
        "api tenant new",
        tenant=None,
        body=lambda w, r: {"json": {"code": f"W{n(w)}", "name": "走查单位"}},
    ),
    Case("GET", T, "read"),
    Case("PATCH", T, "admin", body={"json": {"name": "甲学院党委"}}),
    Case("GET", f"{T}/audit", "admin"),
    Case("GET", f"{T}/audit/export", "admin"),
    Case("GET", f"{T}/cycles", "read"),
    Case(
        "POST",
        f"{T}/cycles",
        "admin",
        "api cycles open",
        body=lambda w, r: {"json": {"scheme_key": "akesu_college", "period": str(1950 + n(w))}},
    ),
    Case("GET", C, "read"),
    Case("POST", f"{C}/advance", "admin", "api advance", path={"cycle_id": lambda w, r: w.spare()}),
    Case("PUT", f"{C}/deadlines", "admin", "api deadlines", body={"json": {"deadlines": {}}}),
    Case("POST", f"{C}/recompute", "admin", "api recompute"),
    Case(
        "POST",
        f"{C}/reopen",
        "admin",
        "api reopen",
        path={"cycle_id": lambda w, r: w.spare("final")},
        body={"json": {"reason": "复核"}},
    ),
    Case("GET", f"{C}/publications", "read"),
    Case(
        "POST",
        f"{C}/publications",
        "admin",
        "api publish",
        body={"json": {"to": "publicity", "confirm": True, "based_on": 0}},
    ),
    Case("GET", f"{C}/publications/preview", "admin"),
    Case("GET", f"{C}/publications/<int:version>", "read", path=PUBLISHED),
    Case("GET", f"{C}/publications/<int:version>/entries", "read", path=PUBLISHED),
    Case("GET", f"{C}/objections", "object", "api objections"),
    Case(
        "POST",
        f"{C}/objections",
        "object",
        "api objection",
        path=PUBLISHED,
        body=lambda w, r: {
            "json": {"subject_kind": "org", "subject_id": w.id("A-Z01"), "reason": "走查异议"}
        },
    ),
    Case(
        "POST",
        f"{C}/objections/<uuid:objection_id>/files",
        "object",
        path=OWN_OBJECTION,
        body=lambda w, r: {"data": {"files": (io.BytesIO(PHOTO), "走查.png")}},
    ),
    Case(
        "GET",
        f"{C}/objections/<uuid:objection_id>/files/<uuid:file_id>",
        "object",
        path=OBJECTION_FILE,
        unlike={"assessor_a": DENIED, "secretary_a": DENIED},  # neither author nor admin
    ),
    Case(
        "POST",
        f"{C}/objections/<uuid:objection_id>/answer",
        "admin",
        "api answer",
        path=OBJECTION,
        body={"json": {"decision": "reject", "answer": "走查答复"}},
    ),
    Case(
        "GET",
        f"{C}/subjects/<any(org, member):kind>/<uuid:subject_id>/history",
        "read",
        unlike={"member_a": HIDDEN},  # A-Z01's history: not a member's own
    ),
    Case(
        "POST",
        f"{C}/inputs/reopen",
        "admin",
        "api reopen inputs",
        body={"json": {"reason": "走查"}},
    ),
    Case("POST", f"{C}/inputs/close", "admin", "api close inputs", body={"json": {}}),
    Case("GET", f"{C}/reports", "whole_tree", "api reports"),
    Case("GET", f"{C}/reports/<string:key>.<any(xlsx, html):fmt>", "whole_tree"),
    Case("GET", f"{C}/reports/charts/stars.svg", "whole_tree"),
    Case("GET", f"{C}/reports/files", "whole_tree"),
    Case("GET", f"{C}/reports/files/<uuid:file_id>", "whole_tree"),
    Case("GET", f"{C}/results", "read"),
    Case("GET", f"{C}/sheets", "read"),
    Case("POST", f"{C}/sheets", "score", "api sheet self", body=self_sheet),
    Case(
        "POST",
        f"{C}/sheets",
        "assess",
        "api sheet team",
        body=lambda w, r: {"json": self_sheet(w, r)["json"] | {"source": "assessment_team"}},
    ),
    Case(
        "POST",
        f"{C}/sheets",
        "assess",
        "api sheet total",
        body=lambda w, r: {
            "json": {"subject_kind": "org", "subject_id": w.id("A-Z01"), "source": "democratic"}
            | {"score": 80}
        },
    ),
    Case("GET", f"{C}/summary", "read"),
    Case("GET", f"{T}/dujiangyan/branches/<uuid:org_id>/labels", "roster"),
    Case("GET", MONTH, "roster", "api month read"),
    Case("PUT", MONTH, "score", "api month save", body={"json": {"rows": []}}),
    Case("GET", f"{MONTH}/workbook", "roster"),
    Case("POST", f"{MONTH}/workbook", "score", body=junk),
    Case("POST", f"{MONTH}/workbook/preview", "score", body=junk),
    Case("GET", f"{T}/incidents", "read"),
    Case(
        "POST",
        f"{T}/incidents",
        "admin",
        "api incident",
        body=lambda w, r: {
            "json": {"subject_kind": "org", "subject_id": w.id("A-Z01"), "kind": KIND}
            | {"occurred_on": "2021-05-04"}
        },
    ),
    Case(
        "POST",
        f"{T}/jobs",
        "admin",
        "api jobs start",
        body=lambda w, r: {"json": {"kind": "recompute", "cycle_id": w.id("cycle")}},
    ),
    Case("GET", f"{T}/jobs/<uuid:job_id>", "read", "api job", unlike=NOT_THEIRS),
    Case("POST", f"{T}/jobs/<uuid:job_id>/retry", "admin"),  # finished: 409 for the admins
    Case("GET", f"{T}/members", "personal_data"),  # names: not for overseers (issue 23)
    Case(
        "POST",
        f"{T}/members",
        "registry",
        body=lambda w, r: {"json": {"org_id": w.id("A-Z01"), "name": "走查党员"}},
    ),
    Case("GET", f"{T}/members/<uuid:member_id>", "personal_data"),
    Case("PATCH", f"{T}/members/<uuid:member_id>", "registry", body={"json": {"phone": None}}),
    Case(
        "POST",
        f"{T}/members/<uuid:member_id>/transfer",
        "registry",
        body=lambda w, r: {"json": {"to_org_id": w.id("A-Z01"), "on": "2021-06-01"}},
    ),
    Case("GET", f"{T}/members/<uuid:member_id>/transfers", "personal_data"),
    Case("GET", f"{T}/members/export", "roster", "api export"),
    Case("POST", f"{T}/members/import", "registry", body=roster),
    Case("POST", f"{T}/members/import/job", "registry", "api import job", body=roster),
    Case("POST", f"{T}/members/import/preview", "registry", "api import preview", body=roster),
    Case("GET", f"{T}/members/import/previews/<upload_id>", "registry", path=API_UPLOAD),
    Case(
        "POST",
        f"{T}/members/import/previews/<upload_id>",
        "registry",
        "api import decide",
        path=API_UPLOAD,
        body={"json": {"decisions": {}}},
    ),
    Case(
        "POST",
        f"{T}/members/import/previews/<upload_id>/commit",
        "registry",
        "api import commit",
        path=API_UPLOAD,
    ),
    Case(
        "GET",
        f"{T}/members/import/previews/<upload_id>/errors.xlsx",
        "registry",
        "api import errors",
        path=API_UPLOAD,
    ),
    Case("GET", f"{T}/members/import/history", "registry"),
    Case(
        "GET",
        f"{T}/members/import/history/<uuid:import_id>/errors.xlsx",
        "registry",
        "api import history errors",
        path=HISTORY,
        unlike={"secretary_a": HIDDEN},  # the administrator's import: not the branch's
    ),
    Case("GET", f"{T}/members/import/template", "registry", "api import template"),
    Case("GET", f"{T}/notifications", "read"),
    Case("GET", f"{T}/orgs", "read", "api orgs"),
    Case(
        "POST",
        f"{T}/orgs",
        "admin",
        "api add org",
        body=lambda w, r: {
            "json": {"code": f"W{n(w)}", "name": "走查支部", "kind": "branch"}
            | {"parent_id": w.id("A-ZZ1")}
        },
    ),
    Case("GET", f"{T}/orgs/<uuid:org_id>", "read"),
    Case(
        "PATCH",
        f"{T}/orgs/<uuid:org_id>",
        "admin",
        "api rename org",
        body={"json": {"name": "机电系第一党支部"}},
    ),
    Case(
        "POST",
        f"{T}/orgs/<uuid:org_id>/dissolve",
        "admin",
        path={"org_id": lambda w, r: w.id("A-X2")},
        body={"json": {"on": "2021-12-31"}},
    ),
    Case("GET", f"{T}/orgs/<uuid:org_id>/history", "read"),
    Case(
        "POST",
        f"{T}/orgs/<uuid:org_id>/move",
        "admin",
        path={"org_id": lambda w, r: w.id("A-X1")},
        body=lambda w, r: {"json": {"parent_id": w.id("A-ZZ1")}},
    ),
    Case("GET", f"{T}/orgs/<uuid:org_id>/subtree", "read"),
    Case(
        "POST",
        f"{T}/orgs/<uuid:org_id>/upgrade",
        "admin",
        path={"org_id": lambda w, r: w.id("A-X1")},
    ),
    Case("GET", f"{T}/oversight", "read"),
    Case(
        "POST",
        f"{T}/oversight",
        "platform",
        body=lambda w, r: {"json": {"overseen_id": w.id("B")}},
    ),
    Case(
        "DELETE",
        f"{T}/oversight/<uuid:overseen_id>",
        "platform",
        path={"overseen_id": lambda w, r: w.link_a_to_b()},
    ),
    Case(
        "GET",
        f"{T}/oversight/weakness.<any(xlsx, html):fmt>",
        "oversee",
        "api weakness",
        tenant="C",
    ),
    Case("GET", f"{T}/records", "read"),
    Case(
        "POST",
        f"{T}/records",
        "registry",
        body=lambda w, r: {
            "json": {"org_id": w.id("A-Z01"), "kind": "theme_party_day", "held_on": "2021-05-04"}
            | {"attendees": [w.id("A-M1")]}
        },
    ),
    Case("GET", f"{T}/rectification", "read", "api ledger"),
    Case(
        "POST",
        f"{T}/rectification",
        "ledger",
        "api ledger new",
        body=lambda w, r: {
            "json": {"org_id": w.id("A-Z01"), "issue": "走查整改", "deadline": DEADLINE}
            | {"member_id": w.id("A-M1"), "cycle_id": w.id("cycle")}
        },
    ),
    Case(
        "GET",
        f"{T}/rectification/<uuid:item_id>/follow-ups",
        "read",
        unlike={"member_a": HIDDEN},  # A-Z01's item: not in a member's view
    ),
    Case(
        "POST",
        f"{T}/rectification/<uuid:item_id>/follow-ups",
        "ledger",
        "api follow-up",
        body={"json": {"checked_on": "2021-08-01", "finding": "走查", "satisfactory": False}},
    ),
    Case("POST", f"{T}/rectification/<uuid:item_id>/sign-off", "ledger", "api sign-off"),
    Case(
        "POST",
        f"{T}/rectification/from-deduction",
        "ledger",
        "api from deduction",
        body=lambda w, r: {"json": {"deduction_id": w.id("deduction A-Z01"), "deadline": DEADLINE}},
    ),
    Case(
        "POST",
        f"{T}/rectification/from-result",
        "ledger",
        body=lambda w, r: {
            "json": {"result_id": w.result("A-Z01"), "action": "rectification_plan"}
            | {"deadline": DEADLINE}
        },
    ),
    Case("POST", f"{T}/schemes", "admin", body={"json": {"key": "dujiangyan_quantified"}}),
    Case(
        "DELETE",
        f"{T}/schemes/<string:key>",
        "admin",
        path={"key": lambda w, r: w.enable("county_observation")},
    ),
    Case("GET", f"{T}/schemes/<string:key>/settings", "read"),
    Case("GET", f"{T}/schemes/<string:key>/versions", "read"),
    Case(
        "POST",
        f"{T}/schemes/<string:key>/versions",
        "admin",
        "api scheme version",
        body={"json": {"overrides": {}}},
    ),
    Case("GET", f"{T}/schemes/<string:key>/versions/<int:old>/diff/<int:new>", "read"),
    Case("GET", f"{T}/users", "admin"),
    Case(
        "POST",
        f"{T}/users",
        "admin",
        "api user new",
        body=lambda w, r: {
            "json": {"username": f"walk{n(w)}", "password": "long enough pw 1"}
            | {"roles": [{"role": "assessor"}]}
        },
    ),
    Case("POST", f"{T}/users/<uuid:user_id>/roles", "admin", body={"json": {"role": "assessor"}}),
    Case(
        "DELETE",
        f"{T}/users/<uuid:user_id>/roles/<uuid:role_id>",
        "admin",
        path={"role_id": lambda w, r: w.spare_role()},
    ),
    Case(
        "PATCH",
        f"{T}/users/<uuid:user_id>",
        "admin",
        "api user rename",
        body={"json": {"display_name": "走查考核员"}},
    ),
    Case("POST", f"{T}/users/<uuid:user_id>/password-reset", "admin", "api user reset"),
    Case(
        "POST",
        f"{T}/member-accounts",
        "admin",
        "api member accounts",
        body=lambda w, r: {"json": {"org_id": w.id("A-X1")}},  # an empty unit: none to open
    ),
]

PAGES = [
    Case("GET", "/", "public", tenant=None),
    Case("GET", "/healthz", "public", tenant=None),
    Case("GET", "/manifest.webmanifest", "public", tenant=None),
    Case("GET", "/sw.js", "public", tenant=None),
    Case("GET", "/lang/<code>", "public", tenant=None),
    Case("GET", "/login", "public", tenant=None),
    Case("POST", "/login", "public", tenant=None, body=lambda w, r: w.walker(page=True)),
    Case("GET", "/static/<path:filename>", "absent", tenant=None),
    Case("GET", "/static/zhibu/<path:filename>", "public", tenant=None),
    Case("GET", "/api/docs-static/<path:filename>", "public", tenant=None),
    Case("GET", "/password", "login", tenant=None),
    Case(
        "POST",
        "/password",
        "login",
        tenant=None,
        body={"data": {"current": "not the password", "new": "x", "again": "y"}},
    ),
    Case("GET", "/platform/", "platform", tenant=None),
    Case("GET", "/platform/tenants/new", "platform", tenant=None),
    Case(
        "POST",
        "/platform/tenants/new",
        "platform",
        "page tenant new",
        tenant=None,
        body=lambda w, r: {"data": {"code": f"PW{n(w)}", "name": "走查单位", "kind": "city"}},
    ),
    Case("GET", "/platform/tenants/<uuid:tenant_id>", "platform", tenant=None),
    Case(
        "POST",
        "/platform/tenants/<uuid:tenant_id>",
        "platform",
        tenant=None,
        body={"data": {"name": "甲学院党委", "kind": "college", "active": "1"}},
    ),
    Case("POST", "/platform/tenants/<uuid:tenant_id>/oversight", "platform", tenant=None),
    Case(
        "POST",
        "/platform/tenants/<uuid:tenant_id>/oversight/<uuid:overseen_id>/remove",
        "platform",
        tenant=None,
        path={"overseen_id": lambda w, r: w.link_a_to_b()},
    ),
    Case("POST", "/platform/tenants/<uuid:tenant_id>/schemes", "platform", tenant=None),
    Case(
        "POST",
        "/platform/tenants/<uuid:tenant_id>/schemes/<string:key>/disable",
        "platform",
        tenant=None,
        path={"key": lambda w, r: w.enable("county_observation")},
    ),
    Case("GET", f"{P}/activity", "admin"),
    Case("GET", f"{P}/schemes", "admin"),
    Case("GET", f"{P}/schemes/<string:key>", "admin"),
    Case("POST", f"{P}/schemes/<string:key>", "admin", "page scheme settings"),
    Case("GET", f"{P}/users", "admin"),
    Case("GET", f"{P}/users/new", "admin"),
    Case(
        "POST",
        f"{P}/users/new",
        "admin",
        "page user new",
        body=lambda w, r: {"data": {"username": f"pagewalk{n(w)}", "role": "assessor"}},
    ),
    Case("GET", f"{P}/users/<uuid:user_id>", "admin"),
    Case("POST", f"{P}/users/<uuid:user_id>/active", "admin", body={"data": {"active": "1"}}),
    Case(
        "POST",
        f"{P}/users/<uuid:user_id>/name",
        "admin",
        "page user rename",
        body={"data": {"display_name": "走查考核员"}},
    ),
    Case(
        "POST",
        f"{P}/users/<uuid:user_id>/password",
        "admin",
        "page user reset",
        body={"data": {"confirm": "1"}},
    ),
    Case("POST", f"{P}/users/<uuid:user_id>/roles", "admin", body={"data": {"role": "assessor"}}),
    Case(
        "POST",
        f"{P}/users/<uuid:user_id>/roles/<uuid:role_id>/revoke",
        "admin",
        path={"role_id": lambda w, r: w.spare_role()},
    ),
    Case("GET", f"{P}/users/member-accounts", "admin"),
    Case(
        "POST",
        f"{P}/users/member-accounts",
        "admin",
        "page member accounts",
        body=lambda w, r: {"data": {"org_id": w.id("A-X1")}},
    ),
    Case("GET", f"{P}/", "read"),
    Case("GET", f"{P}/branch", "branch"),
    Case("GET", f"{P}/cycles", "whole_tree"),
    Case(
        "POST",
        f"{P}/cycles",
        "admin",
        "page cycles open",
        body=lambda w, r: {"data": {"scheme_key": "akesu_college", "period": str(1900 + n(w))}},
    ),
    Case("GET", PC, "whole_tree"),
    Case(
        "POST", f"{PC}/advance", "admin", "page advance", path={"cycle_id": lambda w, r: w.spare()}
    ),
    Case("POST", f"{PC}/deadlines", "admin", "page deadlines"),
    Case(
        "GET",
        f"{PC}/month/<uuid:org_id>/<source>",
        "score",
        "page month read",
        path={"cycle_id": lambda w, r: w.id("djy"), "source": "monthly"},
    ),
    Case(
        "POST",
        f"{PC}/month/<uuid:org_id>/<source>",
        "score",
        "page month save",
        path={"cycle_id": lambda w, r: w.id("djy"), "source": "monthly"},
        body={"data": {"period": "2021-03"}},
    ),
    Case("POST", f"{PC}/recompute", "admin", "page recompute"),
    Case(
        "POST",
        f"{PC}/reopen",
        "admin",
        "page reopen",
        path={"cycle_id": lambda w, r: w.spare("final")},
        body={"data": {"reason": "复核", "to": "review"}},
    ),
    Case("GET", f"{PC}/publish", "admin"),
    Case(
        "POST",
        f"{PC}/publish",
        "admin",
        "page publish",
        body={"data": {"to": "publicity", "based_on": "0"}},
    ),
    Case("GET", f"{PC}/publication", "read", path=PUBLISHED),
    Case("GET", f"{PC}/objections", "object", "page objections"),
    Case(
        "POST",
        f"{PC}/objections",
        "object",
        "page objection",
        path=PUBLISHED,
        body=lambda w, r: {"data": {"subject": f"org:{w.id('A-Z01')}", "reason": "走查异议"}},
    ),
    Case(
        "POST",
        f"{PC}/objections/<uuid:objection_id>/answer",
        "admin",
        "page answer",
        path=OBJECTION,
        body={"data": {"decision": "reject", "answer": "走查答复"}},
    ),
    Case(
        "POST",
        f"{PC}/inputs/reopen",
        "admin",
        "page reopen inputs",
        body={"data": {"reason": "走查"}},
    ),
    Case("POST", f"{PC}/inputs/close", "admin", "page close inputs", body={"data": {}}),
    Case("GET", f"{PC}/reports", "whole_tree", "page reports"),
    Case("POST", f"{PC}/reports/generate", "admin", "page reports generate"),
    Case("GET", f"{PC}/results", "whole_tree"),
    Case(
        "GET",
        f"{PC}/results/<uuid:result_id>",
        "read",
        unlike={"member_a": HIDDEN},  # A-Z01's result: not a member's own
    ),
    Case(
        "GET",
        f"{PC}/results/<uuid:result_id>/feedback",
        "read",
        unlike={"member_a": HIDDEN},  # A-Z01's 反馈单: not a member's own
    ),
    Case("GET", f"{PC}/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>", "score"),
    Case(
        "GET",
        f"{PC}/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>",
        "assess",
        path={"source": "assessment_team"},
    ),
    Case(
        "POST",
        f"{PC}/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>",
        "score",
        "page sheet self",
    ),
    Case(
        "POST",
        f"{PC}/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>",
        "assess",
        "page sheet team",
        path={"source": "assessment_team"},
    ),
    # a row's photo: refused (403) as the sheet is; allowed, it goes to one's own saved
    # sheet (409 while there is none)
    Case(
        "POST",
        f"{PC}/sheets/<any(org, member):kind>/<uuid:subject_id>/<source>/photos",
        "score",
        body=lambda w, r: {"data": {"indicator": "A1", "file": (io.BytesIO(PHOTO), "A1.png")}},
    ),
    Case("GET", f"{PC}/totals/<track>/<source>", "assess", path={"source": "democratic"}),
    Case(
        "POST",
        f"{PC}/totals/<track>/<source>",
        "assess",
        "page totals save",
        path={"source": "democratic"},
        body=lambda w, r: {"data": {f"score-{w.id('A-Z01')}": "80"}},
    ),
    Case("GET", f"{P}/dashboard", "whole_tree"),
    Case("GET", f"{P}/incidents", "whole_tree"),
    Case(
        "POST",
        f"{P}/incidents",
        "admin",
        "page incident",
        body=lambda w, r: {
            "data": {"subject": f"org:{w.id('A-Z01')}", "kind": KIND, "occurred_on": "2021-05-04"}
        },
    ),
    Case("GET", f"{P}/jobs/<uuid:job_id>", "read", "page job", unlike=NOT_THEIRS),
    Case("GET", f"{P}/jobs/<uuid:job_id>.json", "read", unlike=NOT_THEIRS),
    Case("GET", f"{P}/ledger", "read", "page ledger"),
    Case(
        "POST",
        f"{P}/ledger/<uuid:item_id>/follow-up",
        "ledger",
        "page follow-up",
        body={"data": {"checked_on": "2021-08-01", "finding": "走查"}},
    ),
    Case("POST", f"{P}/ledger/<uuid:item_id>/sign-off", "ledger", "page sign-off"),
    Case(
        "POST",
        f"{P}/ledger/<uuid:item_id>/evidence",
        "ledger",
        body=lambda w, r: {"data": {"files": (io.BytesIO(PHOTO), "走查.png")}},
    ),
    # A-Z01's item's photo: those who score or keep the ledger there open it; a member is
    # refused, an overseer too (the ledger shows them the count)
    Case("GET", f"{P}/evidence/<uuid:file_id>", "ledger", path=EVIDENCE),
    Case("GET", f"{P}/evidence/<uuid:file_id>/thumb", "ledger", path=EVIDENCE),
    Case(
        "POST",
        f"{P}/ledger/from-deduction/<uuid:deduction_id>",
        "ledger",
        "page from deduction",
        body={"data": {"deadline": DEADLINE}},
    ),
    Case("GET", f"{P}/ledger/new", "ledger"),
    Case(
        "POST",
        f"{P}/ledger/new",
        "ledger",
        "page ledger new",
        body=lambda w, r: {
            "data": {"org_id": w.id("A-Z01"), "issue": "走查整改", "deadline": DEADLINE}
            | {"cycle_id": w.id("cycle")}
        },
    ),
    Case("GET", f"{P}/me", "own_results"),
    Case("GET", f"{P}/members", "roster"),
    Case("GET", f"{P}/members/export.xlsx", "roster", "page export"),
    Case("GET", f"{P}/members/import", "registry"),
    Case("POST", f"{P}/members/import", "registry", "page import preview", body=roster),
    Case("GET", f"{P}/members/import/<upload_id>", "registry", path=PAGE_UPLOAD),
    Case(
        "POST",
        f"{P}/members/import/<upload_id>/preview",
        "registry",
        "page import decide",
        path=PAGE_UPLOAD,
    ),
    Case(
        "POST",
        f"{P}/members/import/<upload_id>/commit",
        "registry",
        "page import commit",
        path=PAGE_UPLOAD,
    ),
    Case(
        "GET",
        f"{P}/members/import/<upload_id>/errors.xlsx",
        "registry",
        "page import errors",
        path=PAGE_UPLOAD,
    ),
    Case(
        "GET",
        f"{P}/members/import/history/<uuid:import_id>/errors.xlsx",
        "registry",
        "page import history errors",
        path=HISTORY,
        unlike={"secretary_a": HIDDEN},  # the administrator's import: not the branch's
    ),
    Case("GET", f"{P}/members/import/template.xlsx", "registry", "page import template"),
    Case("POST", f"{P}/members/import/id-cards", "admin", body={"data": {"enabled": "off"}}),
    Case("GET", f"{P}/orgs", "read", "page orgs"),
    Case(
        "POST",
        f"{P}/orgs",
        "admin",
        "page add org",
        body=lambda w, r: {
            "data": {"code": f"P{n(w)}", "name": "走查支部", "kind": "branch"}
            | {"parent_id": w.id("A-ZZ1")}
        },
    ),
    Case(
        "POST",
        f"{P}/orgs/<uuid:org_id>/rename",
        "admin",
        "page rename org",
        body={"data": {"name": "机电系第一党支部"}},
    ),
    Case("GET", f"{P}/oversight", "oversee", "page oversight", tenant="C"),
    Case("GET", f"{P}/oversight/overview.<any(xlsx, html):fmt>", "oversee", tenant="C"),
    Case("GET", f"{P}/oversight/townships.<any(xlsx, html):fmt>", "oversee", tenant="C"),
    Case("GET", f"{P}/oversight/weakness", "oversee", tenant="C"),
    Case(
        "GET",
        f"{P}/oversight/movement",
        "oversee",
        tenant="C",
        body=lambda w, r: {"query_string": {"tenant": str(w.scene.world.ids["A"])}},
    ),
    Case("GET", f"{P}/sheets", "score"),
    Case("GET", f"{P}/offline", "score"),
    Case("GET", f"{P}/offline/bundle.json", "score"),
    # the branch's self-assessment sent from a device (each role its own rater's sheet;
    # a role whose sheet the walk stored already is answered 409, a conflict: allowed)
    Case("POST", f"{P}/offline/sync", "score", body=lambda w, r: {"json": offline_sheet(w)}),
    # then its photo, attached to the sheet just sent
    Case("POST", f"{P}/offline/photos", "score", body=lambda w, r: offline_photo(w)),
    Case("POST", "/logout", "logout", tenant=None),  # last: the walk's sessions end here
]

# a page and the API operation doing the same thing answer every role alike
PAIRS = [
    ("page cycles open", "api cycles open"),
    ("page advance", "api advance"),
    ("page deadlines", "api deadlines"),
    ("page reopen", "api reopen"),
    ("page reopen inputs", "api reopen inputs"),
    ("page close inputs", "api close inputs"),
    ("page recompute", "api recompute"),
    ("page recompute", "api jobs start"),
    ("page reports generate", "api jobs start"),
    ("page reports", "api reports"),
    ("page sheet self", "api sheet self"),
    ("page sheet team", "api sheet team"),
    ("page totals save", "api sheet total"),
    ("page month read", "api month read"),
    ("page month save", "api month save"),
    ("page incident", "api incident"),
    ("page job", "api job"),
    ("page ledger", "api ledger"),
    ("page ledger new", "api ledger new"),
    ("page from deduction", "api from deduction"),
    ("page follow-up", "api follow-up"),
    ("page sign-off", "api sign-off"),
    ("page export", "api export"),
    ("page import preview", "api import preview"),
    ("page import decide", "api import decide"),
    ("page import commit", "api import commit"),
    ("page import errors", "api import errors"),
    ("page import history errors", "api import history errors"),
    ("page import template", "api import template"),
    ("page orgs", "api orgs"),
    ("page add org", "api add org"),
    ("page rename org", "api rename org"),
    ("page oversight", "api weakness"),
    ("page tenant new", "api tenant new"),
    ("page user new", "api user new"),
    ("page user rename", "api user rename"),
    ("page user reset", "api user reset"),
    ("page member accounts", "api member accounts"),
    ("page scheme settings", "api scheme version"),
    ("page publish", "api publish"),
    ("page objections", "api objections"),
    ("page objection", "api objection"),
    ("page answer", "api answer"),
]
CASES = API + PAGES


class Walk:
    """The world, a logged-in page client per role, and what the cases make as they go."""

    def __init__(self, app, scene: Scene):
        self.app, self.scene, self.counter = app, scene, 0
        self.history_id: str | None = None
        self.evidence_id: str | None = None
        self.api = app.test_client()
        self.pages = {role: self.session(role) for role in ROLES}

    def id(self, key: str) -> str:
        return self.scene.id(key)

    def session(self, role: str):
        client = self.app.test_client()
        if role == "anonymous":
            client.get("/login")
        else:
            assert login(client, role).status_code == 302, role
        client.token = token_of(client.get("/login"))
        return client

    def bearer(self, role: str) -> dict:
        return self.scene.world.headers.get(role, {})

    def values(self, case: Case, role: str) -> dict:
        found = {
            "tenant_id": self.id(case.tenant or "A"),
            "org_id": self.id("A-Z01"),
            "member_id": self.id("A-M1"),
            "cycle_id": self.id("cycle"),
            "kind": "org",
            "subject_id": self.id("A-Z01"),
            "source": "self",
            "track": "branch",
            "item_id": self.id("item A-Z01"),
            "deduction_id": self.id("deduction A-Z01"),
            "job_id": self.scene.job,
            "user_id": self.id("spare_a"),
            "key": "akesu_college",
            "fmt": "html",
            "old": "1",
            "new": "1",
            "file_id": self.id("file"),
            "month": "2021-03",
            "code": "zh",
        }
        if "<uuid:result_id>" in case.rule:
            found["result_id"] = self.result("A-Z01")
        if "/reports/<string:key>" in case.rule:
            found["key"] = "core.stars"
        prefixes = {
            "/api/docs-static": "swagger-init.js",
            "/api/": "swagger-ui.css",
            "/static/zhibu": "zhibu.css",
        }
        found["filename"] = prefixes.get(
            next((p for p in prefixes if case.rule.startswith(p)), ""), "nothing.css"
        )
        for name, value in case.path.items():
            found[name] = value(self, role) if callable(value) else value
        return found

    def url(self, case: Case, role: str) -> str:
        values = self.values(case, role)
        return re.sub(
            r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", lambda m: str(values[m.group(1)]), case.rule
        )

    # -- things a request needs made for it -------------------------------------------

    def result(self, code: str) -> str:
        return str(result_id(self.app, self.scene, code))

    def system(self):
        return self.app.app_context(), use_scope(system_scope())

    def spare(self, phase: str | None = None) -> str:
        """A cycle of its own to advance (or, in ``final``, to reopen)."""
        from zhibu.evaluations import cycles

        context, scope = self.system()
        with context, scope:
            tenant = db.session.get(Tenant, self.scene.world.ids["A"])
            cycle = cycles.open_cycle(tenant, "akesu_college", str(1800 + n(self)))
            if phase:
                cycles.advance(cycle, phase)
            return str(cycle.id)

    def reopen_inputs(self) -> None:
        """The cycle's inputs taken again (the walk checks who may write, not when)."""
        from zhibu.evaluations import cycles, phases

        context, scope = self.system()
        with context, scope:
            cycle = cycles.get_cycle(self.scene.world.ids["A"], self.scene.ids["cycle"])
            if phases.cycle_reopened(cycle) is None:
                phases.reopen(cycle, reason="授权走查", actor="tests")

    def publication(self) -> str:
        """The cycle's results published once (version 1), as its administrator would."""
        from zhibu.evaluations import cycles, publication

        context, scope = self.system()
        with context, scope:
            cycle = cycles.get_cycle(self.scene.world.ids["A"], self.scene.ids["cycle"])
            if publication.latest(cycle) is None:
                publication.publish(cycle, "publicity", based_on=0)
        return "1"

    def objection_file(self) -> tuple[str, str]:
        """member_a's objection with a photo attached (made once)."""
        if getattr(self, "objection_file_ids", None) is None:
            from zhibu.accounts.access import system_access
            from zhibu.evidence import service

            made = self.objection(author="member_a")
            context, scope = self.system()
            with context, scope:
                access = system_access(self.scene.world.ids["A"])
                rows = service.attach(access, "objection", uuid.UUID(made), [("走查.png", PHOTO)])
                self.objection_file_ids = (made, str(rows[0].id))
        return self.objection_file_ids

    def objection(self, author: str | None = None) -> str:
        """An open objection to A-Z01's published result, for the request to answer (or,
        lodged by ``author``, to add files to)."""
        from zhibu.models import Objection

        self.publication()
        context, scope = self.system()
        with context, scope:
            from zhibu.evaluations import cycles, publication

            cycle = cycles.get_cycle(self.scene.world.ids["A"], self.scene.ids["cycle"])
            made = Objection(
                tenant_id=cycle.tenant_id,
                cycle_id=cycle.id,
                publication_id=publication.latest(cycle).id,
                subject_kind="org",
                subject_id=self.scene.world.ids["A-Z01"],
                subject_name="机电系第一党支部",
                reason="走查",
                user_id=self.scene.world.ids.get(author) if author else None,
            )
            db.session.add(made)
            db.session.commit()
            return str(made.id)

    def enable(self, key: str) -> str:
        context, scope = self.system()
        with context, scope:
            tenant_id = self.scene.world.ids["A"]
            if db.session.get(TenantScheme, (tenant_id, key)) is None:
                db.session.add(TenantScheme(tenant_id=tenant_id, scheme_key=key))
                db.session.commit()
        return key

    def link_a_to_b(self) -> str:
        a, b = self.scene.world.ids["A"], self.scene.world.ids["B"]
        context, scope = self.system()
        with context, scope:
            if db.session.get(OversightLink, (a, b)) is None:
                db.session.add(OversightLink(overseer_id=a, overseen_id=b))
                db.session.commit()
        return str(b)

    def spare_role(self) -> str:
        context, scope = self.system()
        with context, scope:
            role = RoleAssignment(
                tenant_id=self.scene.world.ids["A"],
                user_id=self.scene.ids["spare_a"],
                role="assessor",
            )
            db.session.add(role)
            db.session.commit()
            return str(role.id)

    def own_token(self, role: str) -> dict:
        """A token of the role's own, to revoke (the walk keeps using the others)."""
        if role == "anonymous":
            return {"headers": {}}
        context, scope = self.system()
        with context, scope:
            user = db.session.scalar(select(User).where(User.username == role))
            plain, _token = issue_token(user, "walk")
            return {"headers": {"Authorization": f"Bearer {plain}"}}

    def walker(self, page: bool = False) -> dict:
        login = {"username": "walker", "password": PASSWORD}
        if not page:
            return {"json": login}
        client = self.app.test_client()
        client.token = token_of(client.get("/login"))
        return {"client": client, "data": login}

    def upload(self, role: str) -> str:
        """The upload id the role's own preview of a roster gave on the page (a made-up
        one if the role may not preview)."""
        client = self.pages[role]
        data = roster()["data"] | {"csrf_token": client.token}
        sent = client.post(f"/t/{self.id('A')}/members/import", data=data)
        found = re.search(r"/members/import/([0-9a-f]+)$", sent.location or "")
        return found.group(1) if found else uuid.uuid4().hex

    def api_upload(self, role: str) -> str:
        """The upload id the role's own preview of a roster gave through the API."""
        url = f"/api/v1/tenants/{self.id('A')}/members/import/preview"
        sent = self.api.post(url, headers=self.bearer(role), **roster())
        return (sent.json or {}).get("upload_id") or uuid.uuid4().hex

    def evidence(self) -> str:
        """A photo of A-Z01's item (uploaded once, by the tenant's administrator)."""
        if self.evidence_id is None:
            from zhibu.accounts.access import system_access
            from zhibu.evidence import service

            context, scope = self.system()
            with context, scope:
                access = system_access(self.scene.world.ids["A"])
                item = uuid.UUID(self.id("item A-Z01"))
                rows = service.attach(access, "item", item, [("走查.png", PHOTO)])
                self.evidence_id = str(rows[0].id)
        return self.evidence_id

    def history(self) -> str:
        """An import of the tenant's history (made once, by its administrator)."""
        if self.history_id is None:
            client = self.session("admin_a")
            url = f"/t/{self.id('A')}/members/import"
            sent = client.post(url, data=roster()["data"] | {"csrf_token": client.token})
            client.post(f"{sent.location}/commit", data={"csrf_token": client.token})
            from zhibu.models import RosterImport

            context, scope = self.system()
            with context, scope:
                self.history_id = str(db.session.scalars(select(RosterImport.id)).first())
        return self.history_id


def answer_of(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code == 401:
        return LOGIN
    if response.status_code in (301, 302, 303, 307):
        return LOGIN if urlsplit(response.location).path == "/login" else OK
    return str(response.status_code) if response.status_code in (403, 404) else OK


VOLATILE = {"last_used_at", "last_login_at", "failed_logins", "locked_until"}


def snapshot(app) -> list:
    """Every row of every table (but the times of a login or a token's last use; of a
    stored file, its size)."""
    with app.app_context(), use_scope(system_scope()):
        found = []
        for table in db.metadata.sorted_tables:
            columns = [
                func.length(c) if isinstance(c.type, LargeBinary) else c  # a file: its size
                for c in table.columns
                if c.name not in VOLATILE
            ]
            rows = db.session.execute(select(*columns)).all()
            found.append((table.name, sorted(map(repr, rows))))
        db.session.rollback()
        return found


def walk_case(app, walk: Walk, case: Case) -> tuple[dict[str, str], list[str]]:
    """Each role's answer to the case, and the roles refused a write after whom the
    database was not as before. Those roles go first; the database is compared after the
    last of them (after each, when making the request writes something of its own)."""
    want = expected(case)
    writes = case.method in WRITES and case.need != "logout"  # logging out is no refusal
    refused = [r for r in ROLES if want[r] in REFUSED] if writes else []
    makes = case.makes or any(callable(v) for v in case.path.values())
    got, before, wrote = {}, None, []
    for role in refused + [r for r in ROLES if r not in refused]:
        send = request(walk, case, role)
        if role in refused and (before is None or makes):
            before = snapshot(app)
        got[role] = answer_of(send())
        if role in refused and (makes or role == refused[-1]) and snapshot(app) != before:
            wrote.append(role if makes else "/".join(refused))
    return got, wrote


def request(walk: Walk, case: Case, role: str) -> Callable:
    """The case's request as ``role``, made ready (ids it needs made first) to be sent."""
    kwargs = case.body(walk, role) if callable(case.body) else dict(case.body or {})
    url = walk.url(case, role)
    if case.rule.startswith("/api/"):
        client = kwargs.pop("client", walk.api)
        kwargs["headers"] = kwargs.pop("headers", walk.bearer(role))
    else:
        client = kwargs.pop("client", walk.pages[role])
        if case.method != "GET" and "json" in kwargs:  # a script's post: the token in a header
            kwargs["headers"] = {"X-CSRFToken": client.token} | kwargs.get("headers", {})
        elif case.method != "GET":
            kwargs["data"] = {"csrf_token": client.token} | kwargs.get("data", {})
    return lambda: client.open(url, method=case.method, **kwargs)


@pytest.fixture
def walk(app, monkeypatch):
    """The scene, its users' passwords hashed with argon2 at its lowest cost (a walk logs
    in some forty times; what is walked is who may do what, not the hashing)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    scene = build_scene(app)
    with app.app_context(), use_scope(system_scope()):
        for user in db.session.scalars(select(User)):
            user.password_hash = passwords.hash_password(PASSWORD)
        db.session.commit()
    return Walk(app, scene)


def test_every_route_is_classified(app):
    """Each rule and method of the URL map has a case; each case names a real route."""
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    cases = {(c.method, c.rule) for c in CASES}
    assert sorted(routes - cases) == [], "classify these routes in tests/test_authz_walk.py"
    assert sorted(cases - routes) == []
    names = [c.name for c in CASES if c.name]
    assert len(names) == len(set(names))
    assert {name for pair in PAIRS for name in pair} <= set(names)


def test_every_operation_of_the_openapi_document_is_classified(client):
    """Every operation the document lists is walked, and every API route walked is in the
    document (a plugin's too); those it declares open to anyone (``security: []``) are
    exactly the public ones."""
    spec = client.get("/api/openapi.json").json
    by_path = {(c.method, as_openapi(c.rule)): c for c in API}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            case = by_path.get((method.upper(), path))
            assert case is not None, f"{method.upper()} {path}: not walked"
            public = operation.get("security", spec.get("security")) == []
            assert public == (case.need == "public"), (method, path)
    # and the other way round: every API route walked is an operation of the document
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    undocumented = [
        (c.method, c.rule)
        for c in API
        if c.rule.startswith("/api/v1/") and (c.method, as_openapi(c.rule)) not in documented
    ]
    assert undocumented == [], "API routes missing from /api/openapi.json"


def as_openapi(rule: str) -> str:
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


def test_every_role_gets_the_answer_the_policy_table_declares(app, walk):
    answers, wrong, wrote = {}, [], []
    for case in CASES:
        got, writers = walk_case(app, walk, case)
        answers.update({(case.name or id(case), role): answer for role, answer in got.items()})
        want = expected(case)
        wrong += [
            f"{case.method} {case.rule} [{case.need}] as {role}: {got[role]}"
            for role in ROLES
            if got[role] != want[role]
        ]
        wrote += [f"{case.method} {case.rule} [{case.need}] as {who}" for who in writers]
    assert wrong == [], "\n".join(wrong)
    assert wrote == [], "refused, and yet the database changed:\n" + "\n".join(wrote)
    unlike = [
        (page, api, role, answers[page, role], answers[api, role])
        for page, api in PAIRS
        for role in ROLES
        if answers[page, role] != answers[api, role]
    ]
    assert unlike == [], "a page and its API operation answer unlike"
