"""Read a scenario file (YAML or JSON), keeping the line of every entry for error messages.

The format is described in ``SCHEMES.md`` ("Scenario files") and ``docs/scenarios.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "unmet",
    "unmet_refusal",
]

LINE = "__line__"
TOP_KEYS = {
    "scheme",
    "period",
    "settings",
    "orgs",
    "members",
    "transfers",
    "scores",
    "incidents",
    "records",
    "history",
    "expect",
    "expect_refusal",
}
ENTRY_KEYS = {
    "orgs": {"code", "name", "kind", "parent", "retired", "exempt"},
    "members": {
        "code",
        "name",
        "org",
        "status",
        "joined",
        "exempt",
        "birth",
        "full_since",
        "position",
        "category",
        "gender",
        "ethnicity",
        "education",
        "left",
    },
    "transfers": {"member", "to", "date", "reason"},
    "scores": {"subject", "source", "rater", "score", "items", "deductions", "period"},
    "incidents": {"subject", "kind", "date", "note"},
    "records": {
        "org",
        "kind",
        "date",
        "attendees",
        "lecturer",
        "member",
        "month",
        "hours",
        "topic",
    },
    "history": {"period", "subject", "stars", "total", "grade", "titles", "flags", "actions"},
    "expect": {
        "subject",
        "total",
        "stars",
        "grade",
        "titles",
        "flags",
        "actions",
        "rank",
        "has_flags",
        "lacks_flags",
        "has_actions",
        "lacks_actions",
        "has_titles",
        "lacks_titles",
        "explains",
        "why",
    },
}
REQUIRED = {
    "orgs": {"code", "name", "kind"},
    "members": {"code", "name", "org"},
    "transfers": {"member", "to", "date"},
    "scores": {"subject", "source"},
    "incidents": {"subject", "kind", "date"},
    "records": {"kind"},
    "history": {"period", "subject"},
    "expect": {"subject"},
}


class ScenarioError(ValueError):
    """A scenario the runner refuses; ``problems`` each name the line (and subject)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Loader(yaml.SafeLoader):
    """Safe YAML that records the line of each mapping."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=True)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


@dataclass
class Scenario:
    """A scenario file as read: ``doc`` its mapping (each entry with the line it is on),
    ``name`` the file's name."""

    doc: dict[str, Any]
    name: str

    def entries(self, key: str) -> list[dict[str, Any]]:
        """The entries of a section (``orgs``, ``scores`` …), none when it is absent."""
        return self.doc.get(key) or []


def where(entry: dict[str, Any], subject: str | None = None) -> str:
    text = f"line {entry.get(LINE, '?')}"
    return f"{text} ({subject})" if subject else text


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (YAML or JSON), checked as :func:`parse_scenario` does."""
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path.name}: not valid YAML or JSON: {exc}"]) from None
    return parse_scenario(doc, path.name)


def parse_scenario(doc: Any, name: str = "scenario") -> Scenario:
    """A scenario from a mapping: unknown keys, entries without what they need, a period
    missing are refused (:class:`ScenarioError`), each naming its line."""
    if not isinstance(doc, dict):
        raise ScenarioError([f"{name}: a scenario is a mapping with scheme, period, orgs …"])
    problems = [
        f"line {doc.get(LINE, 1)}: unknown key {k!r} (known: {', '.join(sorted(TOP_KEYS))})"
        for k in doc
        if k not in TOP_KEYS | {LINE}
    ]
    for key in ("scheme", "period"):
        if not doc.get(key):
            problems.append(f"{name}: {key!r} is required")
    for section, allowed in ENTRY_KEYS.items():
        problems += _check_section(doc.get(section) or [], section, allowed)
    refusal = doc.get("expect_refusal")
    if isinstance(refusal, str):
        doc["expect_refusal"] = [refusal]
    elif refusal is not None and not (
        isinstance(refusal, list) and all(isinstance(t, str) for t in refusal)
    ):
        problems.append("expect_refusal: a text, or a list of texts, the refusal must contain")
    if problems:
        raise ScenarioError(problems)
    doc["period"] = str(doc["period"])
    return Scenario(doc, name)


def _check_section(entries: Any, section: str, allowed: set[str]) -> list[str]:
    if not isinstance(entries, list):
        return [f"{section}: expected a list"]
    problems = []
    for entry in entries:
        if not isinstance(entry, dict):
            problems.append(f"{section}: every entry is a mapping, got {entry!r}")
            continue
        label = entry.get("subject") or entry.get("code") or entry.get("org")
        unknown = sorted(set(entry) - allowed - {LINE})
        if unknown:
            problems.append(
                f"{where(entry, label)}: unknown key(s) {', '.join(unknown)} in {section}"
            )
        missing = sorted(REQUIRED[section] - set(entry))
        if missing:
            problems.append(f"{where(entry, label)}: {section} entry needs {', '.join(missing)}")
    return problems


EXACT = ("total", "stars", "grade", "titles", "flags", "actions", "rank")


def unmet(scenario: Scenario, results: list[dict[str, Any]]) -> list[str]:
    """The ``expect`` entries the results do not meet, each naming its line.

    An entry names a subject and any of: ``total``, ``stars``, ``grade``, ``titles``,
    ``flags``, ``actions``, ``rank`` (equal; lists in any order), ``has_flags``,
    ``lacks_flags``, ``has_actions``, ``lacks_actions``, ``has_titles``, ``lacks_titles``
    (each listed item there or not), ``explains`` (texts found in the explanation), and
    ``why`` (a comment, shown when the entry fails). A scenario that expects a refusal
    (``expect_refusal``) and runs is one problem per text it expected.
    """
    problems = [
        f"expected a refusal mentioning {text!r}, but the scenario ran"
        for text in scenario.doc.get("expect_refusal") or []
    ]
    by_subject = {r["subject"]: r for r in results}
    for entry in scenario.entries("expect"):
        result = by_subject.get(str(entry["subject"]))
        if result is None:
            problems.append(f"{where(entry, entry['subject'])}: no result for this subject")
            continue
        for wrong in _mismatches(entry, result):
            why = f" — {entry['why']}" if entry.get("why") else ""
            problems.append(f"{where(entry, entry['subject'])}: {wrong}{why}")
    return problems


def unmet_refusal(scenario: Scenario, refusal: list[str]) -> list[str]:
    """What is wrong with a refusal: each text of ``expect_refusal`` that no problem of
    the refusal contains, or, when the scenario expected none, the refusal itself."""
    expected = scenario.doc.get("expect_refusal") or []
    if not expected:
        return [f"refused: {problem}" for problem in refusal]
    return [
        f"expected a refusal mentioning {text!r}; the refusal said: {'; '.join(refusal)}"
        for text in expected
        if not any(text in problem for problem in refusal)
    ]


def _mismatches(entry: dict[str, Any], result: dict[str, Any]) -> list[str]:
    wrong = []
    for key in EXACT:
        if key in entry:
            want, got = entry[key], result[key]
            if isinstance(want, list):
                want, got = sorted(want), sorted(got)
            if want != got:
                wrong.append(f"expected {key} {entry[key]!r}, got {result[key]!r}")
    for key, field, present in (
        ("has_flags", "flags", True),
        ("lacks_flags", "flags", False),
        ("has_actions", "actions", True),
        ("lacks_actions", "actions", False),
        ("has_titles", "titles", True),
        ("lacks_titles", "titles", False),
    ):
        for item in entry.get(key) or []:
            if (item in result[field]) != present:
                wrong.append(
                    f"expected {field} {'with' if present else 'without'} {item!r}, "
                    f"got {result[field]!r}"
                )
    text = "\n".join(result["explanation"])
    for needle in entry.get("explains") or []:
        if needle not in text:
            wrong.append(f"expected the explanation to mention {needle!r}")
    return wrong
