"""A stored explanation line is its fields in order without the trailing nulls, and reads
back as the line it was."""

import itertools

from zhibu.engine import Line
from zhibu.evaluations.compute import LINE_FIELDS, stored_line


def test_every_line_is_stored_without_its_trailing_nulls_and_reads_back():
    for present in itertools.product((False, True), repeat=7):
        values = ["总分 90", *(f"v{i}" if p else None for i, p in enumerate(present))]
        line = Line(*values)
        stored = stored_line(line)
        while values[-1] is None:
            values.pop()
        assert stored == values
        back = dict(zip(LINE_FIELDS, stored, strict=False))
        assert all(back.get(field) == getattr(line, field) for field in LINE_FIELDS)
