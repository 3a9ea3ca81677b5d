"""Issue 24, point 5: the publicity list publishes the best level the scheme declares —
its first band, or the first of the grades its rules give (``Track.grades``) — never a
level guessed from the results: a graded scheme whose results come failures first does
not publish its failures, and a track declaring no level publishes its titles only."""

from types import SimpleNamespace

from zhibu.engine import Definition, Scheme, Track
from zhibu.reports import core


def _data(track: Track, results: list[dict]):
    scheme = Scheme(
        "graded",
        "分等方案",
        "graded",
        "seed",
        labels={"pass": "达标", "fail": "未达标", "model": "示范点"},
    )
    units = {r["subject_id"]: {"name": f"{r['code']}支部"} for r in results}
    return core.ReportData(
        tenant=SimpleNamespace(name="某党委"),
        cycle=SimpleNamespace(label="2021", period_kind="year"),
        units=units,
        members={},
        results=results,
        summary={},
        today="2022-01-10",
        definition=Definition((track,)),
        scheme=scheme,
    )


def _result(code, grade, titles=()):
    return {
        "subject_kind": "org",
        "subject_id": code,
        "code": code,
        "track": "unit",
        "rated": True,
        "total": None,
        "stars": None,
        "grade": grade,
        "titles": list(titles),
        "flags": [],
        "actions": [],
    }


RESULTS = [_result("A", "fail"), _result("B", "pass", ["model"]), _result("C", "fail")]


def _listed(data) -> list[tuple[str, str]]:
    (table,) = core.publicity(data)
    return [(row["kind"], row["name"]) for row in table.rows]


def test_the_declared_best_grade_is_published_not_the_first_found():
    track = Track("unit", "基层单位", ("branch",), (), (), grades=("pass", "fail"))
    assert _listed(_data(track, RESULTS)) == [("示范点", "B支部"), ("达标基层单位", "B支部")]
    assert core.levels_of(_data(track, RESULTS), "unit", RESULTS) == ["达标", "未达标"]


def test_a_track_declaring_no_level_publishes_its_titles_only():
    track = Track("unit", "基层单位", ("branch",), (), ())
    assert _listed(_data(track, RESULTS)) == [("示范点", "B支部")]
