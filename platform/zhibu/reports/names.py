"""Chinese names the core reports print for the engine's keys (stars, grades, flags,
actions, titles): the scheme's own name for a key (``Scheme.labels``) first, then the
core's below, then the key as it is."""

from __future__ import annotations

from typing import Any

STARS = {5: "五星", 4: "四星", 3: "三星", 2: "二星", 1: "一星"}
GRADES = {
    "advanced": "先进",
    "standard": "达标",
    "lagging": "落后",
    "excellent": "优秀",
    "good": "良好",
    "qualified": "合格",
    "basically_qualified": "基本合格",
    "warning": "警示",
    "unqualified": "不合格",
}
FLAGS = {
    "vetoed": "一票否决",
    "retired": "离退休,不评星",
    "exempt": "暂不列入星级管理",
    "not_rated": "不参评",
    "missing_source": "评分不全",
    "quota_demoted": "超出比例,按排名降级",
    "quota_tie": "比例线上同分,待研究",
    "quota_exceeded": "超出比例",
    "downgrade_floor": "已是最低星级",
    "rectification_plan": "制定整改方案,限期整改",
}
STATUSES = {"open": "整改中", "rectified": "已整改,待销号", "signed_off": "已销号"}

# The same names in English (the web pages' English mode); a key without one falls back to
# the Chinese name, then to the key.
STARS_EN = {5: "Five stars", 4: "Four stars", 3: "Three stars", 2: "Two stars", 1: "One star"}
GRADES_EN = {
    "advanced": "Advanced",
    "standard": "Up to standard",
    "lagging": "Lagging",
    "excellent": "Excellent",
    "good": "Good",
    "qualified": "Qualified",
    "basically_qualified": "Basically qualified",
    "warning": "Warning",
    "unqualified": "Unqualified",
}
FLAGS_EN = {
    "vetoed": "Vetoed (one-vote veto)",
    "retired": "Retired: not rated",
    "exempt": "Exempt from star rating for now",
    "not_rated": "Not rated",
    "missing_source": "Scores incomplete",
    "quota_demoted": "Over the quota: lowered by rank",
    "quota_tie": "Tied at the quota line: to be decided",
    "quota_exceeded": "Over the quota",
    "downgrade_floor": "Already at the lowest level",
    "rectification_plan": "Rectification plan with a deadline",
}
# the core's own rules, as the 依据 of an explanation line names them (a scheme names its
# rules in ``Scheme.labels``)
RULES = {"composite": "总分合成", "bands": "星级档次", "eligibility": "参评范围"}
RULES_EN = {"composite": "Composite total", "bands": "Bands", "eligibility": "Eligibility"}
STATUSES_EN = {
    "open": "Being rectified",
    "rectified": "Rectified, awaiting sign-off",
    "signed_off": "Signed off",
}


def name(
    key: str, scheme: Any = None, table: dict | None = None, english: dict | None = None
) -> str:
    """A key's name: its English name when ``english`` is given and has it, else the
    scheme's label (:attr:`zhibu.engine.Scheme.labels`), else ``table``'s, else the key."""
    if english and key in english:
        return english[key]
    labels = getattr(scheme, "labels", None) or {}
    if key in labels:
        return labels[key]
    return (table or {}).get(key, key)


def flag_name(key: str, scheme: Any = None, english: bool = False) -> str:
    """A flag's or an action's name (软弱涣散党组织 for dujiangyan's ``weak_lax``)."""
    return name(key, scheme, FLAGS, FLAGS_EN if english else None)


def grade_name(key: str, scheme: Any = None, english: bool = False) -> str:
    return name(key, scheme, GRADES, GRADES_EN if english else None)


def level(result: dict[str, Any], scheme: Any = None) -> str:
    """五星 / 先进 / — for a result."""
    if result.get("stars") is not None:
        return STARS.get(result["stars"], f"{result['stars']}星")
    if result.get("grade"):
        return grade_name(result["grade"], scheme)
    return "—"


def remarks(result: dict[str, Any], scheme: Any = None) -> str:
    """The result's flags and actions by name, ";"-separated."""
    return ";".join(flag_name(x, scheme) for x in [*result["flags"], *result["actions"]])


def title_name(scheme: Any, key: str) -> str:
    """A title's name: the scheme's label for it, else from the target that counts it
    (``样板党支部占比`` → 样板党支部), else the key."""
    labels = getattr(scheme, "labels", None) or {}
    if key in labels:
        return labels[key]
    for target in getattr(scheme, "targets", ()):
        if target.title_key == key:
            return target.title.removesuffix("占比").removesuffix("比例")
    return key


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
