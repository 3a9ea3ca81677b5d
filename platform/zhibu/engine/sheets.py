"""From score rows to one value per rater, with the lines that explain it."""

from __future__ import annotations

from collections.abc import Iterable

from zhibu.engine.model import Deduction, Line, Rubric, ScoreRow, Source
from zhibu.engine.numbers import fmt


class InputError(ValueError):
    """Input the engine refuses; ``problems`` name the subject and the row at fault."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class RaterSheet:
    """Everything one rater gave one subject for one source (and sub-period)."""

    __slots__ = ("deductions", "items", "period", "rater", "refs", "score", "source", "subject")

    def __init__(
        self,
        subject: str,
        source: str,
        rater: str,
        period: str | None,
        score: float | None = None,
        items: dict[str, float] | None = None,
        deductions: list[tuple[Deduction, str]] | None = None,
    ):
        self.subject, self.source, self.rater, self.period = subject, source, rater, period
        self.score = score
        self.items = items if items is not None else {}
        self.deductions = deductions if deductions is not None else []
        self.refs: list[str] = []

    @property
    def plain(self) -> bool:
        """Only a total score (the common case: a month's score, a survey result)."""
        return self.score is not None and not self.items and not self.deductions


def merge_rows(rows: Iterable[ScoreRow]) -> dict[tuple, RaterSheet | ScoreRow]:
    """Rows of the same subject, source, rater and period form one sheet. A plain row (one
    total score) that is alone under its key stays as it is: most rows are such."""
    sheets: dict[tuple, RaterSheet | ScoreRow] = {}
    for row in rows:
        key = (row.subject, row.source, row.rater, row.period)
        sheet = sheets.get(key)
        if sheet is None and row.score is not None and not row.items and not row.deductions:
            sheets[key] = row
            continue
        if sheet is None or isinstance(sheet, ScoreRow):
            merged = RaterSheet(row.subject, row.source, row.rater, row.period)
            if sheet is not None:
                _add(merged, sheet)
            sheet = sheets[key] = merged
        _add(sheet, row)
    return sheets


def _add(sheet: RaterSheet, row: ScoreRow) -> None:
    if row.score is not None:
        sheet.score = row.score
    if row.items:
        sheet.items.update(row.items)
    if row.deductions:
        sheet.deductions.extend((d, row.ref) for d in row.deductions)
    sheet.refs.append(row.ref)


def check_sheet(sheet: RaterSheet | ScoreRow, source: Source, rubric: Rubric | None) -> list[str]:
    """What is wrong with a sheet: every problem names the subject and the row."""
    if sheet.plain and 0 <= sheet.score <= source.scale:
        return []
    problems = []
    if sheet.score is not None and not 0 <= sheet.score <= source.scale:
        problems.append(
            f"{where(sheet)}: score {fmt(sheet.score)} is outside 0–{fmt(source.scale)}"
        )
    if (sheet.items or sheet.deductions) and rubric is None:
        problems.append(f"{where(sheet)}: source {source.key} takes a total score, not items")
        return problems
    for code, points in (sheet.items or {}).items():
        indicator = rubric.indicator(code) if rubric else None
        if indicator is None:
            problems.append(f"{where(sheet)}: unknown indicator {code!r}")
        elif not 0 <= points <= indicator.max_points:
            problems.append(
                f"{where(sheet)}: {code} is worth at most {fmt(indicator.max_points)}, "
                f"got {fmt(points)}"
            )
    taken: dict[str, float] = {}
    for deduction, ref in sheet.deductions:
        at = f"{sheet.subject}" + (f" ({ref})" if ref else "")
        indicator = rubric.indicator(deduction.item) if rubric else None
        if indicator is None:
            problems.append(f"{at}: unknown indicator {deduction.item!r}")
            continue
        if not (deduction.reason or "").strip():
            problems.append(
                f"{at}: the deduction from {deduction.item} has no reason (扣分须注明原因)"
            )
        if deduction.points <= 0:
            problems.append(f"{at}: a deduction from {deduction.item} must be positive")
        taken[deduction.item] = taken.get(deduction.item, 0) + deduction.points
        if taken[deduction.item] > indicator.max_points + 1e-9:
            problems.append(
                f"{at}: deductions from {deduction.item} ({fmt(taken[deduction.item])})"
                f" exceed its {fmt(indicator.max_points)} points"
            )
    return problems


def where(sheet: RaterSheet | ScoreRow) -> str:
    """The subject and the rows of a sheet, for a message: "M001 (row 7, row 9)"."""
    refs = ", ".join(r for r in sheet.refs if r)
    return f"{sheet.subject} ({refs})" if refs else sheet.subject


def sheet_value(
    sheet: RaterSheet, source: Source, rubric: Rubric | None
) -> tuple[float, list[Line]]:
    """The rater's score on the source's scale, and the lines that make it up (a sheet of
    a sub-period names it: "每月记实考评 2021-03: …")."""
    label = f"{source.title}" + (f" {sheet.period}" if sheet.period else "")
    label += f" · {sheet.rater}" if sheet.rater else ""
    if sheet.plain:
        return sheet.score, [
            Line(f"{label}: {fmt(sheet.score)}", sheet.score, source.key, sheet.rater or None)
        ]
    lines: list[Line] = []
    total = untouched = 0.0
    quiet = 0
    by_item: dict[str, list] = {}
    for deduction, ref in sheet.deductions:
        by_item.setdefault(deduction.item, []).append((deduction, ref))
    visit = rubric.indicators
    if rubric.brief:  # only the lines the sheet touches; the rest are full, said in one line
        visit = rubric.in_order(set(sheet.items) | by_item.keys())
        quiet, untouched = rubric.deduction_full
        for indicator in visit:
            if indicator.mode == "deduction":
                quiet, untouched = quiet - 1, untouched - indicator.max_points
    for indicator in visit:
        taken = by_item.get(indicator.code, ())
        if indicator.code in sheet.items:
            points = sheet.items[indicator.code]
        elif indicator.mode == "deduction" or taken:
            points = indicator.max_points
        else:
            continue
        if rubric.brief and not taken and points == indicator.max_points:
            untouched, quiet = untouched + points, quiet + 1
            continue
        for deduction, _ in taken:
            points -= deduction.points
            lines.append(
                Line(
                    f"{label}: {indicator.code} {indicator.title} "
                    f"−{fmt(deduction.points)}({deduction.reason})",
                    -deduction.points,
                    source.key,
                    sheet.rater or None,
                    indicator.code,
                    deduction.reason,
                )
            )
        points = max(points, 0.0)
        total += points
        lines.append(
            Line(
                f"{label}: {indicator.code} {indicator.title} {fmt(points)}"
                f"/{fmt(indicator.max_points)}",
                points,
                source.key,
                sheet.rater or None,
                indicator.code,
            )
        )
    if quiet:
        total += untouched
        lines.append(
            Line(
                f"{label}: 其余 {quiet} 项未扣分 {fmt(untouched)} 分",
                untouched,
                source.key,
                sheet.rater or None,
                en=f"{label}: {quiet} more lines at full points {fmt(untouched)}",
            )
        )
    if rubric.max_points and rubric.max_points != source.scale:
        total = total * source.scale / rubric.max_points
    return total, lines
