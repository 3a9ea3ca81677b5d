"""Small helpers the page blueprints share: the cycle of a URL, its definition and the
star chart (drawn by the reports' SVG chart code)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from zhibu import plugins
from zhibu.accounts import service as role_names
from zhibu.errors import NotFound
from zhibu.evaluations import compute, cycles, periods
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


QUARTERS = {1: _l("第一季度"), 2: _l("第二季度"), 3: _l("第三季度"), 4: _l("第四季度")}
HALVES = {1: _l("上半年"), 2: _l("下半年")}


def period_name(period: str) -> str:
    """A period's key as people write it: 2021 → 2021年, 2021H1 → 2021年上半年,
    2021Q3 → 2021年第三季度, 2021-05 → 2021年5月; a key of no known form as it is."""
    try:
        found = periods.parse_period(period)
    except ValueError:
        return period
    year, month = found.start.year, found.start.month
    if found.kind == "year":
        return _("%(year)s年", year=year)
    if found.kind == "month":
        return _("%(year)s年%(month)s月", year=year, month=month)
    parts = HALVES if found.kind == "half" else QUARTERS
    part = (month - 1) // (6 if found.kind == "half" else 3) + 1
    return _("%(year)s年%(part)s", year=year, part=parts[part])


def best_first(grades: Any) -> list[str]:
    """Grade keys best first, as the core names them (先进 … 落后, 优秀 … 不合格); a key the
    core does not know after them, by key."""
    order = list(names.GRADES)
    return sorted(grades, key=lambda g: (order.index(g) if g in order else len(order), g))


def flag_name(flag: str) -> str:
    return _named(names.FLAGS, names.FLAGS_EN, flag)


def status_name(status: str) -> str:
    return _named(names.STATUSES, names.STATUSES_EN, status)


def _count(track: dict[str, Any], field: str, key: str) -> int | None:
    """A track's count at a level of the chart, None where the level is not one of its own
    (no bar, no 0): a track with stars has all five, 0 where nobody is; a grade is a
    track's own where some of its results hold it."""
    if field == "stars":
        return track["stars"].get(key, 0) if track["stars"] else None
    return track["grades"].get(key)


def levels_title(summary: dict[str, Any]) -> str:
    """星级分布, 等次分布, or both, as the cycle's tracks are rated (the 工作台's heading)."""
    tracks = summary["tracks"].values()
    stars = any(track["stars"] for track in tracks)
    grades = any(track["grades"] for track in tracks)
    if grades and not stars:
        return _("等次分布")
    return _("星级和等次分布") if grades else _("星级分布")


def star_chart(
    summary: dict[str, Any], titles: dict[str, str], title: str, stars: set[int] | None = None
) -> str | None:
    """The star and grade distribution of each track as inline SVG; None without results.
    Each track is counted on its own levels: a track rated by stars, one rated by grades
    (党员量化考评's 优秀 … 不合格) and one with both (stars, or 不合格 below the lowest band)
    share one chart, the stars first, then the grades best first. Vetoed results are a bar
    of their own, so that each track's total is the table's 参评 and the shares are of all
    who took part. ``stars``: the star levels the scheme declares (all five if not given;
    a star some result holds is drawn whatever is declared)."""
    tracks = {
        k: v for k, v in summary["tracks"].items() if v["stars"] or v["grades"] or v["vetoed"]
    }
    if not tracks:
        return None
    columns: list[tuple[str, str]] = []  # (the summary's field, its key)
    if any(track["stars"] for track in tracks.values()):
        held = {int(s) for track in tracks.values() for s in track["stars"]}
        drawn = (set(names.STARS) if stars is None else set(stars)) | held
        columns += [("stars", str(s)) for s in sorted(drawn, reverse=True)]
    columns += [
        ("grades", g) for g in best_first({g for t in tracks.values() for g in t["grades"]})
    ]
    categories = [
        star_name(int(key)) if field == "stars" else grade_name(key) for field, key in columns
    ]
    vetoed = any(track["vetoed"] for track in tracks.values())
    if vetoed:
        categories.append(flag_name("vetoed"))
    series = [
        Series(
            titles.get(name, name),
            [_count(track, field, key) for field, key in columns]
            + ([track["vetoed"]] if vetoed else []),
        )
        for name, track in tracks.items()
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


def own_unit() -> str:
    """What a branch secretary's page is called: 本支部, or 本单位 for one whose unit leads
    other party organizations (a township, a 党总支: :func:`queries.leads_other_units`);
    asked once per request."""
    from flask import g

    from zhibu.web import queries

    if "own_unit" not in g:
        leads = g.get("access") is not None and queries.leads_other_units(g.access)
        g.own_unit = _("本单位") if leads else _("本支部")
    return g.own_unit
