"""Which source and rubric an explanation line was scored on: those of the result's own
track. One source key may be scored on a different rubric in each track (dujiangyan's
four branch sheets, by unit type, all on source ``quantified``; county_observation's
village and community sheets on ``observer``), so a rubric is never looked up by source
key alone."""

from __future__ import annotations

from typing import Any

from zhibu.engine import Indicator, Rubric, Source


class Sheets:
    """Each track's sources, and the rubric each is scored on, looked up once."""

    def __init__(self, definition: Any):
        self.found: dict[tuple[str, str], tuple[Source, Rubric | None]] = {}
        for track in definition.tracks if definition else ():
            for source in track.sources:
                self.found[(track.key, source.key)] = (source, definition.rubric(source.rubric))
        self.automatic = {a.key: a.title for a in (definition.automatic if definition else ())}

    def indicator_name(self, result: dict[str, Any], line: dict[str, Any]) -> str:
        """What a line's indicator is called: a rubric line's code and title, an automatic
        check's title (its key is no reader's word), else the code as written."""
        code = line.get("indicator")
        found = self.indicator(result, line)
        if found is not None:
            return f"{code} {found.title}"
        return self.automatic.get(code, code or "") if code else ""

    def source(self, track: str | None, key: str | None) -> Source | None:
        return (self.found.get((track, key)) or (None, None))[0]

    def rubric(self, track: str | None, key: str | None) -> Rubric | None:
        return (self.found.get((track, key)) or (None, None))[1]

    def with_rubrics(self, track: str | None) -> list[tuple[Source, Rubric]]:
        """The sources of a track scored on a rubric, with their rubric."""
        return [
            (source, rubric)
            for (key, _), (source, rubric) in self.found.items()
            if key == track and rubric is not None
        ]

    def indicator(self, result: dict[str, Any], line: dict[str, Any]) -> Indicator | None:
        """The rubric line an explanation line of ``result`` names, if any."""
        rubric = self.rubric(result["track"], line.get("source"))
        code = line.get("indicator")
        return rubric.indicator(code) if rubric is not None and code else None

    def order(self, result: dict[str, Any], source: str, code: str) -> tuple[str, int]:
        """Where an indicator stands: its source, then its line in the rubric."""
        rubric = self.rubric(result["track"], source)
        indicator = rubric.indicator(code) if rubric is not None else None
        return (source, rubric.indicators.index(indicator) if indicator else 10_000)

    def title(self, result: dict[str, Any], source: str | None) -> str:
        found = self.source(result["track"], source)
        return found.title if found else ""
