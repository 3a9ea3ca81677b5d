"""The one shape every report takes: a titled table with grouped columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zhibu.engine.rules import VETOED

_LEVEL_KEYS = (
    "track",
    "kind",
    "subject_kind",
    "rated",
    "stars",
    "grade",
    "titles",
    "vetoed",
    "parent_id",
)


@dataclass(frozen=True)
class Column:
    """A column; columns with the same ``group`` get one merged heading above theirs.

    :param category: the column names a category (党组织, 类别 …): equal values in
        consecutive rows are printed as one merged cell.
    """

    key: str
    header: str
    width: float = 12
    group: str = ""
    category: bool = False


@dataclass
class ReportTable:
    """A printable table: title row, issuing unit and date, grouped headers, rows.

    :param sheet: the worksheet (or page section) name, ≤ 31 characters.
    :param notes: lines printed under the table (公示期, 说明 …).
    :param chart: an SVG drawing shown above the table on the HTML page.
    :param photos: (caption, ``data:`` URI of a thumbnail) shown under the table on the HTML
        page (evidence photos; the workbook lists the files in a column instead).
    """

    title: str
    sheet: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    issuer: str = ""
    date: str = ""
    notes: list[str] = field(default_factory=list)
    chart: str = ""
    photos: list[tuple[str, str]] = field(default_factory=list)

    def runs(self, key: str) -> list[tuple[int, int]]:
        """(first row index, length) of each run of equal values in column ``key``."""
        found: list[tuple[int, int]] = []
        for index, row in enumerate(self.rows):
            value = row.get(key)
            if found and value not in (None, "") and self.rows[found[-1][0]].get(key) == value:
                start, length = found[-1]
                found[-1] = (start, length + 1)
            else:
                found.append((index, 1))
        return found


@dataclass
class ReportData:
    """What a report builder reads: the tenant, the cycle, its units, members and current
    results (plain dicts), and the cycle's summary with the scheme's targets.

    :param definition: the engine's definition of the cycle's scheme (tracks, rubrics).
    :param scheme: the :class:`zhibu.engine.Scheme` (its targets, incident kinds …).
    :param ledger: the cycle's rectification items (plain dicts), with their last 回头看.
    :param params: what the caller asked for (``subject_id`` for one score sheet).
    :param evidence: the evidence files of deductions by subject id (each a dict: ``name``,
        ``indicator``, ``thumb``: a ``data:`` URI or None); each ledger item has its own
        under ``"evidence"``. Built for a reader who may open them (else ``thumb`` is None
        and ``name`` is empty: the count only, as overseers see it).
    """

    tenant: Any
    cycle: Any
    units: dict[Any, dict[str, Any]]
    members: dict[Any, dict[str, Any]]
    results: list[dict[str, Any]]
    summary: dict[str, Any]
    today: str
    definition: Any = None
    scheme: Any = None
    ledger: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    evidence: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def results_of(self, subject_kind: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["subject_kind"] == subject_kind]

    def result_of(self, subject_id: Any) -> dict[str, Any] | None:
        """The result of one subject (an id or its text), if it has one."""
        return next((r for r in self.results if str(r["subject_id"]) == str(subject_id)), None)

    def name_of(self, result: dict[str, Any]) -> str:
        """The subject's name (a unit's, or a member's)."""
        found = (self.units if result["subject_kind"] == "org" else self.members).get(
            result["subject_id"]
        )
        return found["name"] if found else result["code"]

    def parent_name(self, result: dict[str, Any]) -> str:
        """A unit's parent unit, or a member's unit; a row of :meth:`levels_by_unit`, its
        ``parent_id``."""
        parent = self.units.get(self.parent_id(result)) or {}
        return parent.get("name", "")

    def parent_id(self, result: dict[str, Any]) -> Any:
        if "parent_id" in result:
            return result["parent_id"]
        if result["subject_kind"] == "org":
            return (self.units.get(result["subject_id"]) or {}).get("parent_id")
        return (self.members.get(result["subject_id"]) or {}).get("org_id")

    def levels_by_unit(self) -> list[dict[str, Any]]:
        """The results counted by level and by the unit above each subject: one row per
        ``track``, ``kind``, ``subject_kind``, ``rated``, ``stars``, ``grade``,
        ``titles``, ``vetoed`` and ``parent_id`` (see :meth:`parent_name`), with its
        ``count``. The platform's data counts them in the database (a city's 62,000
        results are a few rows per unit); counted here from :attr:`results` otherwise."""
        counted: dict[tuple, int] = {}
        for r in self.results:
            key = (
                r["track"],
                r["kind"],
                r["subject_kind"],
                bool(r["rated"]),
                r["stars"],
                r["grade"],
                tuple(r["titles"]),
                VETOED in r["flags"],
                self.parent_id(r),
            )
            counted[key] = counted.get(key, 0) + 1
        return [
            {**dict(zip(_LEVEL_KEYS, key, strict=True)), "titles": list(key[6]), "count": n}
            for key, n in counted.items()
        ]
