"""Evidence files as tenant-owned rows: attached to an owner, listed by owner, opened by
those who may (:func:`zhibu.accounts.policy.may_see_evidence`); overseers get counts.

An owner is a pair ``(kind, id)``, resolved per kind by :data:`OWNERS` to the unit whose
reach decides who may attach and open (a new kind, such as an objection, registers its
resolver with :func:`register_owner`):

- ``deduction``: a score sheet, with the indicator in ``ref`` (a sheet saved again keeps
  its id, its deductions do not);
- ``item``: a rectification item (整改事项), ``sign_off``: its 销号;
- ``follow_up``: a 回头看 check.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select

from zhibu import plugins
from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.db import db
from zhibu.errors import Forbidden, Invalid, NotFound
from zhibu.evidence import checks, storage
from zhibu.i18n import _
from zhibu.models import (
    Cycle,
    EvidenceFile,
    FollowUp,
    Member,
    OrgUnit,
    RectificationItem,
    ScoreItem,
    ScoreSheet,
)
from zhibu.tenancy.scope import current_scope


@dataclass(frozen=True)
class Owner:
    unit: OrgUnit  # whose reach decides
    permission: str  # what attaching needs there
    scheme_key: str = ""  # whose Scheme.shareable_evidence overseers may open
    lodged_by: uuid.UUID | None = None  # an objection's: its author sees its files


def _scheme_of(tenant_id: uuid.UUID, cycle_id: uuid.UUID | None) -> str:
    cycle = db.session.get(Cycle, (tenant_id, cycle_id)) if cycle_id else None
    return cycle.scheme_key if cycle else ""


def shareable(scheme_key: str) -> frozenset[str]:
    """The kinds of evidence the scheme lets overseers open (none: counts only)."""
    scheme = plugins.registry().schemes.get(scheme_key) if scheme_key else None
    return frozenset(getattr(scheme, "shareable_evidence", ()) or ())


def may_see(access: TenantAccess, kind: str, found: Owner) -> bool:
    """The policy's answer for this owner's files."""
    return policy.may_see_evidence(
        access,
        found.unit.path,
        kind,
        shareable=shareable(found.scheme_key),
        lodged_by=found.lodged_by,
    )


def _unit(tenant_id: uuid.UUID, org_id: uuid.UUID) -> OrgUnit:
    return db.session.get(OrgUnit, (tenant_id, org_id))


def _sheet_owner(tenant_id: uuid.UUID, owner_id: uuid.UUID) -> Owner | None:
    sheet = db.session.get(ScoreSheet, (tenant_id, owner_id))
    if sheet is None:
        return None
    org_id = sheet.subject_id
    if sheet.subject_kind == "member":
        member = db.session.get(Member, (tenant_id, sheet.subject_id))
        if member is None:
            return None
        org_id = member.org_id
    unit = _unit(tenant_id, org_id)
    return Owner(unit, "score", _scheme_of(tenant_id, sheet.cycle_id)) if unit else None


def _item_owner(tenant_id: uuid.UUID, owner_id: uuid.UUID) -> Owner | None:
    item = db.session.get(RectificationItem, (tenant_id, owner_id))
    if item is None:
        return None
    return Owner(_unit(tenant_id, item.org_id), "ledger", _scheme_of(tenant_id, item.cycle_id))


def _follow_up_owner(tenant_id: uuid.UUID, owner_id: uuid.UUID) -> Owner | None:
    check = db.session.get(FollowUp, (tenant_id, owner_id))
    return _item_owner(tenant_id, check.item_id) if check else None


OWNERS: dict[str, Callable[[uuid.UUID, uuid.UUID], Owner | None]] = {
    "deduction": _sheet_owner,
    "item": _item_owner,
    "sign_off": _item_owner,
    "follow_up": _follow_up_owner,
}


def register_owner(kind: str, resolve: Callable[[uuid.UUID, uuid.UUID], Owner | None]) -> None:
    """A new kind of owner (an objection): ``resolve(tenant_id, owner_id)`` gives the unit
    and the permission attaching needs, or None when there is no such owner."""
    OWNERS[kind] = resolve


def owner(access: TenantAccess, kind: str, owner_id: uuid.UUID) -> Owner:
    resolve = OWNERS.get(kind)
    if resolve is None:
        raise Invalid(_("佐证材料不能附在“%(kind)s”上。", kind=kind), field="owner_kind")
    found = resolve(access.tenant_id, owner_id)
    if found is None or found.unit is None:
        raise NotFound(_("本单位没有编号为 %(id)s 的对象。", id=owner_id), field="owner_id")
    return found


def limits() -> checks.Limits:
    from flask import current_app, has_app_context

    if not has_app_context():
        return checks.Limits()
    config = current_app.config
    return checks.Limits(
        max_bytes=int(config.get("ZHIBU_EVIDENCE_MAX_BYTES") or checks.Limits.max_bytes),
        max_pixels=int(config.get("ZHIBU_EVIDENCE_MAX_PIXELS") or checks.Limits.max_pixels),
        max_unpacked=int(config.get("ZHIBU_WORKBOOK_MAX_UNPACKED_MB") or 200) * checks.MB,
    )


def store() -> storage.LocalStore | storage.S3Store:
    """The store the settings choose (``ZHIBU_EVIDENCE_STORE``, checked at start)."""
    from flask import current_app

    config = current_app.config
    if config.get("ZHIBU_EVIDENCE_STORE") == "s3":
        return storage.S3Store(
            storage.S3Settings(
                bucket=config["ZHIBU_EVIDENCE_S3_BUCKET"],
                endpoint_url=config.get("ZHIBU_EVIDENCE_S3_ENDPOINT_URL") or None,
                access_key=config.get("ZHIBU_EVIDENCE_S3_ACCESS_KEY") or None,
                secret_key=config.get("ZHIBU_EVIDENCE_S3_SECRET_KEY") or None,
                region=config.get("ZHIBU_EVIDENCE_S3_REGION") or "us-east-1",
                addressing_style=config.get("ZHIBU_EVIDENCE_S3_ADDRESSING") or "path",
            )
        )
    folder = config.get("ZHIBU_EVIDENCE_DIR")
    return storage.LocalStore(folder or f"{current_app.instance_path}/evidence")


def check_upload(filename: str, content: bytes) -> checks.Checked:
    """The file, checked (:mod:`.checks`); a refusal is an :class:`Invalid` naming it."""
    try:
        return checks.check(filename, content, limits())
    except checks.EvidenceError as exc:
        raise Invalid(exc.message, field="file") from None


@contextmanager
def written():
    """Keys written to the store inside the block are removed again if it fails (the
    rows naming them are rolled back): nothing half-written."""
    keys: list[tuple[uuid.UUID, str]] = []
    try:
        yield keys
    except BaseException:
        target = store()
        for tenant_id, key in keys:
            target.delete(tenant_id, key)
        raise


def add(
    access: TenantAccess,
    kind: str,
    owner_id: uuid.UUID,
    files: Iterable[checks.Checked],
    keys: list,
    *,
    ref: str = "",
    client_id: str | None = None,
) -> list[EvidenceFile]:
    """Rows (audited as every ORM write) for checked ``files`` of the owner (the caller
    must reach its unit), their bytes in the store (their keys appended to ``keys``, see
    :func:`written`); the caller commits."""
    found = owner(access, kind, owner_id)
    if not policy.allows(access, found.permission):
        raise Forbidden(policy.refusal(access, found.permission))
    if not policy.reaches(access, found.permission, found.unit.path):
        raise Forbidden(_("“%(name)s”不在您的管辖范围内。", name=found.unit.name))
    target, rows = store(), []
    for file in files:
        row = EvidenceFile(
            tenant_id=access.tenant_id,
            id=uuid.uuid4(),
            owner_kind=kind,
            owner_id=owner_id,
            ref=ref,
            filename=file.filename[:255],
            media_type=file.media_type,
            size=len(file.content),
            sha256=file.sha256,
            client_id=client_id,
            user_id=current_scope().user_id,
        )
        row.storage_key = storage.key_for(access.tenant_id, row.id)
        target.put(access.tenant_id, row.storage_key, file.content)
        keys.append((access.tenant_id, row.storage_key))
        if file.thumbnail is not None:
            row.thumb_key = storage.key_for(access.tenant_id, row.id, ".thumb.jpg")
            target.put(access.tenant_id, row.thumb_key, file.thumbnail)
            keys.append((access.tenant_id, row.thumb_key))
        db.session.add(row)
        rows.append(row)
    return rows


def attach(
    access: TenantAccess,
    kind: str,
    owner_id: uuid.UUID,
    uploads: Iterable[tuple[str, bytes]],
    *,
    ref: str = "",
    client_id: str | None = None,
) -> list[EvidenceFile]:
    """Check every upload (all refused if one is), store them and commit."""
    checked = [check_upload(name, content) for name, content in uploads]
    if not checked:
        raise Invalid(_("请选择要上传的文件。"), field="file")
    with written() as keys:
        rows = add(access, kind, owner_id, checked, keys, ref=ref, client_id=client_id)
        db.session.commit()
    return rows


def attach_ids(access: TenantAccess, kind: str, owner_id: uuid.UUID, uploads, **options):
    """:func:`attach`, answering the new files' ids only: taken before the commit, so the
    rows are not read back (a phone's sync sends fifty photos in a row)."""
    checked = [check_upload(name, content) for name, content in uploads]
    if not checked:
        raise Invalid(_("请选择要上传的文件。"), field="file")
    with written() as keys:
        rows = add(access, kind, owner_id, checked, keys, **options)
        ids = [row.id for row in rows]
        db.session.commit()
    return ids


def by_client_id(tenant_id: uuid.UUID, client_id: str) -> EvidenceFile | None:
    return db.session.scalar(
        select(EvidenceFile).where(
            EvidenceFile.tenant_id == tenant_id, EvidenceFile.client_id == client_id
        )
    )


def files_of(
    tenant_id: uuid.UUID, kind: str, owner_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], list[EvidenceFile]]:
    """The files of these owners by ``(owner id, ref)``, oldest first (one query)."""
    ids = list(set(owner_ids))
    found: dict[tuple[uuid.UUID, str], list[EvidenceFile]] = {}
    if not ids:
        return found
    rows = db.session.scalars(
        select(EvidenceFile)
        .where(
            EvidenceFile.tenant_id == tenant_id,
            EvidenceFile.owner_kind == kind,
            EvidenceFile.owner_id.in_(ids),
        )
        .order_by(EvidenceFile.created_at, EvidenceFile.filename)
    )
    for row in rows:
        found.setdefault((row.owner_id, row.ref), []).append(row)
    return found


def of_items(tenant_id: uuid.UUID, item_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list]:
    """Every file of each rectification item: the deduction's it was raised from, its own,
    its 回头看 checks', its 销号's (a few queries for the whole ledger)."""
    ids = list(set(item_ids))
    found: dict[uuid.UUID, list[EvidenceFile]] = {i: [] for i in ids}
    if not ids:
        return found
    raised = {}  # deduction id → item id
    for item_id, ref in db.session.execute(
        select(RectificationItem.id, RectificationItem.origin_ref).where(
            RectificationItem.tenant_id == tenant_id,
            RectificationItem.id.in_(ids),
            RectificationItem.origin == "deduction",
        )
    ):
        try:
            raised[uuid.UUID(ref.removeprefix("deduction:"))] = item_id
        except ValueError:
            continue
    if raised:
        lines = db.session.execute(
            select(ScoreItem.id, ScoreItem.sheet_id, ScoreItem.indicator).where(
                ScoreItem.tenant_id == tenant_id, ScoreItem.id.in_(list(raised))
            )
        ).all()
        by_sheet = files_of(tenant_id, "deduction", [line.sheet_id for line in lines])
        for line in lines:
            found[raised[line.id]] += by_sheet.get((line.sheet_id, line.indicator), [])
    for kind in ("item", "sign_off"):
        for (item_id, _ref), rows in files_of(tenant_id, kind, ids).items():
            found[item_id] += rows
    checks_of = dict(
        db.session.execute(
            select(FollowUp.id, FollowUp.item_id).where(
                FollowUp.tenant_id == tenant_id, FollowUp.item_id.in_(ids)
            )
        ).all()
    )
    for (check_id, _ref), rows in files_of(tenant_id, "follow_up", checks_of).items():
        found[checks_of[check_id]] += rows
    return found


def of_deductions(
    access: TenantAccess, cycle_id: uuid.UUID, subject_kind: str, subject_id: uuid.UUID
) -> tuple[dict[tuple[str, str, str], list[EvidenceFile]], bool]:
    """The files of a subject's deductions in a cycle, by (source, rater, indicator), as an
    explanation's lines name them; and whether the caller may open them (else: counts)."""
    sheets = db.session.execute(
        select(ScoreSheet.id, ScoreSheet.source, ScoreSheet.rater).where(
            ScoreSheet.tenant_id == access.tenant_id,
            ScoreSheet.cycle_id == cycle_id,
            ScoreSheet.subject_id == subject_id,
        )
    ).all()
    by_sheet = files_of(access.tenant_id, "deduction", [s.id for s in sheets])
    found: dict[tuple[str, str, str], list[EvidenceFile]] = {}
    for sheet in sheets:
        for (sheet_id, ref), rows in by_sheet.items():
            if sheet_id == sheet.id:
                found[sheet.source, sheet.rater, ref] = rows
    owner = _sheet_owner(access.tenant_id, sheets[0].id) if sheets else None
    sees = owner is not None and may_see(access, "deduction", owner)
    return found, sees


def may_see_item(access: TenantAccess, item: RectificationItem) -> bool:
    unit = _unit(item.tenant_id, item.org_id)
    return unit is not None and policy.may_see_evidence(access, unit.path)


def items_seen(access: TenantAccess, items: list[RectificationItem]) -> set[uuid.UUID]:
    """Which of ``items`` (a page of the ledger) the caller may open the evidence of: their
    units read in one query, whatever the page's length."""
    ids = {item.org_id for item in items}
    if not ids:
        return set()
    paths = dict(
        db.session.execute(
            select(OrgUnit.id, OrgUnit.path).where(
                OrgUnit.tenant_id == access.tenant_id, OrgUnit.id.in_(ids)
            )
        ).all()
    )
    return {
        item.id
        for item in items
        if item.org_id in paths and policy.may_see_evidence(access, paths[item.org_id])
    }


def items_shared(access: TenantAccess, items: list[RectificationItem]) -> dict:
    """For an overseer, the kinds of evidence of each item (of a page of the ledger) it
    may open: those its cycle's scheme marks shareable (one query for the cycles)."""
    if not items or not policy.overseer_only(access):
        return {}
    ids = {item.cycle_id for item in items if item.cycle_id}
    schemes = dict(
        db.session.execute(
            select(Cycle.id, Cycle.scheme_key).where(
                Cycle.tenant_id == access.tenant_id, Cycle.id.in_(ids)
            )
        ).all()
        if ids
        else []
    )
    found = {}
    for item in items:
        kinds = shareable(schemes.get(item.cycle_id, ""))
        if kinds:
            found[item.id] = kinds
    return found


def count_of_item(item: RectificationItem) -> int:
    return len(of_items(item.tenant_id, [item.id])[item.id])


def open_file(access: TenantAccess, file_id: uuid.UUID, thumbnail: bool = False):
    """The row and its bytes (or its thumbnail's), if the caller may see the owner's
    evidence: else 404 (another tenant's, no such file) or 403 (an overseer)."""
    row, key = _readable(access, file_id, thumbnail)
    return row, store().get(access.tenant_id, key)


def stream_file(access: TenantAccess, file_id: uuid.UUID, thumbnail: bool = False):
    """Like :func:`open_file`, the bytes in chunks as the store reads them (a download
    never held whole in memory)."""
    row, key = _readable(access, file_id, thumbnail)
    return row, store().stream(access.tenant_id, key)


def _readable(access: TenantAccess, file_id: uuid.UUID, thumbnail: bool):
    row = db.session.get(EvidenceFile, (access.tenant_id, file_id))
    if row is None or (thumbnail and not row.thumb_key):
        raise NotFound(_("没有这份佐证材料。"), field="file_id")
    found = OWNERS.get(row.owner_kind, lambda *_: None)(access.tenant_id, row.owner_id)
    if found is None or found.unit is None:
        raise NotFound(_("没有这份佐证材料。"), field="file_id")
    policy.require_evidence(
        access,
        found.unit.path,
        found.unit.name,
        "file_id",
        row.owner_kind,
        shareable=shareable(found.scheme_key),
        lodged_by=found.lodged_by,
    )
    return row, (row.thumb_key if thumbnail else row.storage_key)
