"""From score rows to one value per rater, with the lines that explain it."""

from __future__ import annotations

from collections.abc import Iterable

from zhibu.engine.model import Deduction, Line, Rubric, ScoreRow, Source
from zhibu.engine.numbers import fmt


class Problem(str):
    """One thing wrong with the input, said in Chinese (the seeds' language): the string
    itself, so problems join and print as they are. ``en`` is the same in English, kept
    apart for a reader who chose English (as :class:`~zhibu.engine.model.Line` keeps it)."""

    def __new__(cls, text: str, en: str | None = None):
        self = super().__new__(cls, text)
        self.en = en if en is not None else str(text)
        return self

    def __reduce__(self):  # pickled with its English (a job's result keeps its problems)
        return (Problem, (str(self), self.en))


class InputError(ValueError):
    """Input the engine refuses; ``problems`` (each a :class:`Problem`) name the subject
    and the row at fault."""

    def __init__(self, problems: list[Problem]):
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


def check_sheet(
    sheet: RaterSheet | ScoreRow, source: Source, rubric: Rubric | None
) -> list[Problem]:
    """What is wrong with a sheet: every problem names the subject, the row and the
    indicator, in Chinese, with its English apart (:class:`Problem`)."""
    if sheet.plain and 0 <= sheet.score <= source.scale:
        return []
    problems = []
    if sheet.score is not None and not 0 <= sheet.score <= source.scale:
        score, scale = fmt(sheet.score), fmt(source.scale)
        problems.append(
            Problem(
                f"{where_zh(sheet)}:得分 {score} 不在 0–{scale} 分之间",
                f"{where(sheet)}: score {score} is outside 0–{scale}",
            )
        )
    if (sheet.items or sheet.deductions) and rubric is None:
        problems.append(
            Problem(
                f"{where_zh(sheet)}:“{source.title}”只填总分,不按条目打分或扣分",
                f"{where(sheet)}: “{source.title}” takes a total score, not items",
            )
        )
        return problems
    for code, points in (sheet.items or {}).items():
        indicator = rubric.indicator(code) if rubric else None
        if indicator is None:
            problems.append(
                Problem(
                    f"{where_zh(sheet)}:评分细则中没有条目 {code}",
                    f"{where(sheet)}: unknown indicator {code!r}",
                )
            )
        elif not 0 <= points <= indicator.max_points:
            most, got = fmt(indicator.max_points), fmt(points)
            problems.append(
                Problem(
                    f"{where_zh(sheet)}:条目 {code} 满分 {most} 分,填了 {got} 分",
                    f"{where(sheet)}: {code} is worth at most {most}, got {got}",
                )
            )
    taken: dict[str, float] = {}
    for deduction, ref in sheet.deductions:
        item = deduction.item
        indicator = rubric.indicator(item) if rubric else None
        if indicator is None:
            problems.append(
                Problem(
                    f"{_at(sheet, ref, True)}:扣分的条目 {item} 不在评分细则中",
                    f"{_at(sheet, ref)}: unknown indicator {item!r}",
                )
            )
            continue
        if not (deduction.reason or "").strip():
            problems.append(
                Problem(
                    f"{_at(sheet, ref, True)}:扣分项 {item} 未注明扣分原因",
                    f"{_at(sheet, ref)}: the deduction from {item} has no reason",
                )
            )
        if deduction.points <= 0:
            problems.append(
                Problem(
                    f"{_at(sheet, ref, True)}:扣分项 {item} 的扣分须大于 0,"
                    f"填了 {fmt(deduction.points)}",
                    f"{_at(sheet, ref)}: a deduction from {item} must be positive",
                )
            )
        taken[item] = taken.get(item, 0) + deduction.points
        if taken[item] > indicator.max_points + 1e-9:
            total, most = fmt(taken[item]), fmt(indicator.max_points)
            problems.append(
                Problem(
                    f"{_at(sheet, ref, True)}:{item} 的扣分合计 {total} 分,超过该项满分 {most} 分",
                    f"{_at(sheet, ref)}: deductions from {item} ({total}) exceed its {most} points",
                )
            )
    return problems


def _at(sheet: RaterSheet | ScoreRow, ref: str, chinese: bool = False) -> str:
    """The subject and the one row of a deduction, for a message."""
    if not ref:
        return sheet.subject
    return f"{sheet.subject}({ref})" if chinese else f"{sheet.subject} ({ref})"


def where(sheet: RaterSheet | ScoreRow) -> str:
    """The subject and the rows of a sheet, for a message: "M001 (row 7, row 9)"."""
    refs = ", ".join(r for r in sheet.refs if r)
    return f"{sheet.subject} ({refs})" if refs else sheet.subject


def where_zh(sheet: RaterSheet | ScoreRow) -> str:
    """:func:`where` for a Chinese message: "M001(第 7 行、第 9 行)" (the rows as the
    caller named them)."""
    refs = "、".join(r for r in sheet.refs if r)
    return f"{sheet.subject}({refs})" if refs else sheet.subject


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
