"""Small helpers the page blueprints share: the cycle of a URL, its definition and the
star chart (drawn by the reports' SVG chart code)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l

from zhibu.errors import NotFound
from zhibu.evaluations import compute, cycles
from zhibu.models import Cycle
from zhibu.reports.charts import Series, share_chart
from zhibu.reports.names import GRADES, STARS


def cycle_or_404(tenant_id: uuid.UUID, cycle_id: uuid.UUID) -> Cycle:
    try:
        return cycles.get_cycle(tenant_id, cycle_id)
    except NotFound:
        abort(404)


def track_titles(cycle: Cycle) -> dict[str, str]:
    definition, _, _ = compute.definition_for(cycle)
    return {t.key: t.title for t in definition.tracks}


def star_chart(summary: dict[str, Any], titles: dict[str, str], title: str) -> str | None:
    """The star (or grade) distribution of each track as inline SVG; None without results."""
    tracks = {k: v for k, v in summary["tracks"].items() if v["stars"] or v["grades"]}
    if not tracks:
        return None
    starred = any(v["stars"] for v in tracks.values())
    if starred:
        keys = [str(s) for s in sorted(STARS, reverse=True)]
        categories = [STARS[int(k)] for k in keys]
        field = "stars"
    else:
        keys = sorted({g for v in tracks.values() for g in v["grades"]})
        categories = [GRADES.get(k, k) for k in keys]
        field = "grades"
    series = [
        Series(titles.get(key, key), [track[field].get(k, 0) for k in keys])
        for key, track in tracks.items()
    ]
    return share_chart(title, categories, series, standalone=False)


# The phases' names as users see them (the same as cycles.PHASE_NAMES, translatable).
PHASE_TITLES = {
    "self_assessment": _l("自评"),
    "assessment": _l("考核评分"),
    "review": _l("审核评定"),
    "publicity": _l("结果公示"),
    "final": _l("确定结果"),
}

ROLE_NAMES = {
    "tenant_admin": _l("组织部管理员"),
    "assessor": _l("考核员"),
    "branch_secretary": _l("支部书记"),
    "member": _l("党员"),
    "overseer": _l("监督"),
}
