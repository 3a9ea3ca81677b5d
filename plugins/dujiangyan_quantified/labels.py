"""Archive-code labels (一人一档一盒一码): one label per member with the QR code of their
archive code (档案编码), their name and unit, on an A4 sheet of 3 × 8 labels (63.5 × 33.9 mm,
the common label-paper size) to print and stick on the archive box.

Seed: "制定黨員檔案管理辦法,統一設計印制專用的黨員檔案盒,實行“一人一檔一盒一碼”" — the code
is the member's archive code as the registry holds it; the QR codes are drawn by ``segno``
as inline SVG, so the page needs nothing from outside and prints sharp at any size.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import render_template
from markupsafe import Markup
from sqlalchemy import select

from zhibu.db import db
from zhibu.models import Member, OrgUnit
from zhibu.orgs.service import subtree_query

PER_PAGE = 24  # 3 columns × 8 rows


@dataclass(frozen=True)
class Label:
    archive_code: str
    name: str
    unit: str
    qr: Markup  # inline SVG


def labels(unit: OrgUnit) -> list[Label]:
    """The active members of the unit and its sub-units, in tree order then by code."""
    units = subtree_query(unit.tenant_id, (unit.path,)).subquery()
    rows = db.session.execute(
        select(Member.archive_code, Member.name, units.c.name)
        .join(units, (units.c.id == Member.org_id) & (units.c.tenant_id == Member.tenant_id))
        .where(Member.tenant_id == unit.tenant_id, Member.active)
        .order_by(units.c.path, Member.archive_code)
    )
    return [Label(code, name, unit_name, qr_svg(code)) for code, name, unit_name in rows]


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as an inline, scalable SVG element."""
    svg = segno.make_qr(text, error="m").svg_inline(scale=1, border=2, omitsize=True)
    return Markup(svg)  # segno's own markup; the text inside is encoded, never echoed


def label_sheet(unit: OrgUnit) -> str:
    found = labels(unit)
    pages = [found[i : i + PER_PAGE] for i in range(0, len(found), PER_PAGE)] or [[]]
    return render_template("dujiangyan_quantified/labels.html", unit=unit, pages=pages)
