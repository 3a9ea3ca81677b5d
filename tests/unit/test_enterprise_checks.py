"""enterprise_5std part one on the engine alone: the checks' edges that scenario files
would need pages of members for, and every check citing its seed sentence."""

import inspect
import re
from pathlib import Path

import pytest

from enterprise_5std import SCHEME, roster, scheme, standards
from zhibu.engine import Cycle, Record, Subject, evaluate

SEED = re.sub(
    r"\s+",
    "",
    "".join(
        p.read_text(encoding="utf-8")
        for p in sorted((Path(standards.__file__).parent / "seeds").glob("*.txt"))
    ),
)


def company(members, records=(), period=("2021", "2021-01-01", "2021-12-31")):
    subjects = (Subject("DW", "committee"), Subject("Z1", "branch", "一支部", unit="DW"))
    settings = SCHEME.resolve_settings({})
    cycle = Cycle(*period, subjects + tuple(members), records=tuple(records), settings=settings)
    results = evaluate(scheme.define(settings), cycle)
    return {r.subject: r for r in results}


def person(code, unit="Z1", position="", status="full", **kw):
    return Subject(
        code, "member", code, unit=unit, attrs={"position": position, "status": status}, **kw
    )


def line(result, code: str) -> str:
    return next(x.text for x in result.explanation if f" {code} " in x.text)


@pytest.mark.parametrize(("size", "points"), [(49, "5/5"), (50, "0/5")])
def test_fifty_members_make_a_general_branch(size, points):
    members = [person("M00", position="支部书记")] + [person(f"M{n:02d}") for n in range(1, size)]
    text = line(company(members)["Z1"], "O1")
    assert f"O1 组织建设·支部设置 {points}" in text
    assert ("50人以上,应建立党总支" in text) == (size == 50)
    assert "计入 " + str(size) + " 条" in text and text.count("、") == 11, "twelve named, then …"


def test_a_committee_of_more_than_seven_is_refused():
    board = ("支部书记", "副书记", "组织委员", "宣传委员", "纪检委员", "群工委员", "青年委员")
    members = [person(f"C{n}", position=p) for n, p in enumerate(board)]
    members += [person(f"C{n}", position="委员") for n in (7, 8)] + [person("C9")]
    assert "支委 9 人:应为3至7人单数" in line(company(members)["Z1"], "O2")
    assert "支委 7 人(单数)" in line(company(members[:7] + members[9:])["Z1"], "O2")


def test_who_left_before_the_year_ends_is_not_on_the_roster():
    months = frozenset(f"2021-{m:02d}" for m in range(1, 7))
    members = [person("A", position="支部书记"), person("B"), person("C", periods=months)]
    assert "正式党员 2 人,党员共 2 人" in line(company(members)["Z1"], "O1")
    # but their months count for training and organizational life
    assert "C 0/16学时" in line(company(members)["Z1"], "M1")


def test_the_longest_gap_and_the_years_after():
    year = [f"2021-{m:02d}" for m in range(1, 13)]
    assert roster.longest_gap(year, {"2021-01", "2021-08"}) == year[1:7]
    assert roster.longest_gap(year, set(year)) == []
    assert roster.years_after("2020-02-29", 3) == "2023-02-28"
    h2 = Cycle("2021H2", "2021-07-01", "2021-12-31", ())
    assert roster.months(h2) == year[6:] and roster.quarter("2021-07") == "2021Q3"
    assert not roster.whole_year(h2)


def test_a_lecture_by_the_secretary_counts_as_their_organizational_life():
    members = [person("S", position="支部书记")]
    lectures = [Record("Z1", "party_lecture", f"2021-{m:02d}-09", lecturer="S") for m in (3, 9)]
    dues = [
        Record("Z1", "dues", "2021-12-01", member="S", month=f"2021-{m:02d}") for m in range(1, 13)
    ]
    found = company(members, lectures + dues)["S"]
    assert "lapsed_six_months" not in found.flags, "at most five months without"
    assert "出勤 03、09 月" in "\n".join(x.text for x in found.explanation)
    found = company(members, lectures[:1] + dues)["S"]
    assert "2021-04至2021-12连续9个月未参加组织生活" in "\n".join(x.text for x in found.explanation)


CITING = [
    *(check for *_, check in standards.CHECKS),
    scheme.define,
    scheme.levels,
]


@pytest.mark.parametrize("function", CITING, ids=lambda f: f.__name__)
def test_every_check_cites_its_seed(function):
    doc = inspect.getdoc(function) or ""
    assert "Seed:" in doc, f"{function.__name__}: no 'Seed:' citation"
    quotes = re.findall(r"\"(.+?)\"(?=\s|$|[,.;)—])", doc.split("Seed:", 1)[1], flags=re.S)
    assert quotes, f"{function.__name__}: quote the seed after 'Seed:'"
    for quote in quotes:
        assert re.sub(r"\s+", "", quote) in SEED, f"{function.__name__}: {quote[:30]}…"
