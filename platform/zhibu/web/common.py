"""Small helpers the page blueprints share: the cycle of a URL, its definition and the
star chart (drawn by the reports' SVG chart code)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from zhibu import plugins
from zhibu.accounts import service as role_names
from zhibu.errors import NotFound
from zhibu.evaluations import compute, cycles
from zhibu.models import Cycle
from zhibu.reports import names
from zhibu.reports.charts import Series, share_chart
from zhibu.web.i18n import select_locale


def cycle_or_404(tenant_id: uuid.UUID, cycle_id: uuid.UUID) -> Cycle:
    try:
        return cycles.get_cycle(tenant_id, cycle_id)
    except NotFound:
        abort(404)


def cycle_and_current_set_or_404(tenant_id: uuid.UUID, cycle_id: uuid.UUID):
    """The cycle, its current result set and scheme version, in one statement (a page of
    results); 404 if there is no such cycle."""
    try:
        return compute.cycle_and_current_set(tenant_id, cycle_id)
    except NotFound:
        abort(404)


def track_titles(cycle: Cycle) -> dict[str, str]:
    definition, _, _ = compute.definition_for(cycle)
    return {t.key: t.title for t in definition.tracks}


def _named(chinese: dict, english: dict, key: Any) -> str:
    """The English name in English mode, else the core's Chinese name, else a loaded
    scheme's own label for its key (``Scheme.labels``: 软弱涣散党组织 for ``weak_lax``)."""
    if select_locale() == "en" and key in english:
        return english[key]
    if key in chinese:
        return chinese[key]
    for scheme in plugins.registry().schemes.values():
        if key in scheme.labels:
            return scheme.labels[key]
    return key


def rule_name(rule: str | None) -> str:
    """The name of the rule behind an explanation line (its scheme's label, or the core's
    for its own rules); empty for a rule named nowhere: a key is never shown."""
    if not rule:
        return ""
    named = _named(names.RULES, names.RULES_EN, rule)
    return "" if named == rule else named


def line_text(line: dict[str, Any]) -> str:
    """An explanation line in the user's language: its English (``en``) in English mode
    when the line has one, else its text (Chinese, the seeds' language)."""
    if select_locale() == "en" and line.get("en"):
        return line["en"]
    return line.get("text") or ""


def star_name(stars: int) -> str:
    """五星 (Five stars in English mode); an unknown number as it is."""
    if stars not in names.STARS:
        return f"{stars}星"
    return _named(names.STARS, names.STARS_EN, stars)


def grade_name(grade: str) -> str:
    return _named(names.GRADES, names.GRADES_EN, grade)


def flag_name(flag: str) -> str:
    return _named(names.FLAGS, names.FLAGS_EN, flag)


def status_name(status: str) -> str:
    return _named(names.STATUSES, names.STATUSES_EN, status)


def star_chart(summary: dict[str, Any], titles: dict[str, str], title: str) -> str | None:
    """The star (or grade) distribution of each track as inline SVG; None without results.
    Vetoed results are a bar of their own, so that each track's total is the table's 参评
    and the shares are of all who took part."""
    tracks = {
        k: v for k, v in summary["tracks"].items() if v["stars"] or v["grades"] or v["vetoed"]
    }
    if not tracks:
        return None
    starred = any(v["stars"] for v in tracks.values())
    if starred:
        keys = [str(s) for s in sorted(names.STARS, reverse=True)]
        categories = [star_name(int(k)) for k in keys]
        field = "stars"
    else:
        keys = sorted({g for v in tracks.values() for g in v["grades"]})
        categories = [grade_name(k) for k in keys]
        field = "grades"
    vetoed = any(track["vetoed"] for track in tracks.values())
    if vetoed:
        categories.append(flag_name("vetoed"))
    series = [
        Series(
            titles.get(key, key),
            [track[field].get(k, 0) for k in keys] + ([track["vetoed"]] if vetoed else []),
        )
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

# the roles as users see them (one list: the accounts service names them in its messages)
ROLE_NAMES = role_names.ROLE_NAMES


def scheme_title(scheme: Any) -> str:
    """A scheme (or its key) by the title its users know: Chinese, or English in English
    mode; a key no loaded plugin knows as it is."""
    if isinstance(scheme, str):
        found = plugins.registry().schemes.get(scheme)
        if found is None:
            return scheme
        scheme = found
    return scheme.title_en if select_locale() == "en" and scheme.title_en else scheme.title


def unit_options(units: Any, selected: Any = None, indent: str = "\u3000") -> Markup:
    """The ``<option>``s of a unit chooser, one per unit (rows with ``id``, ``name``,
    ``depth``; in tree order), each name indented by its depth, ``selected`` (an id, or
    its text) marked. Written here rather than in a template loop: a city's tree is two
    thousand units, and a template spends some 50 µs on each."""
    chosen = str(selected) if selected else None
    parts = []
    for unit in units:
        value = str(unit.id)
        mark = " selected" if value == chosen else ""
        name = escape(unit.name)
        parts.append(f'<option value="{value}"{mark}>{indent * unit.depth}{name}</option>')
    return Markup("".join(parts))
