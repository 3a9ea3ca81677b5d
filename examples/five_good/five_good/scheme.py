"""The five standards of each kind of organization, as rubrics the township (or, for a
township, the county) checks: a standard met is 1 point, one not met 0."""

from five_good import rules
from zhibu.engine import Definition, Indicator, Rubric, Source, Track

STANDARDS = {  # kind → its five standards, in the seed's order (一是 … 五是)
    "village": ("领导班子好", "党员干部队伍好", "工作机制好", "小康建设业绩好", "农民群众反映好"),
    "community": ("领导班子好", "社区工作者队伍好", "工作制度好", "社区服务网络好", "群众反映好"),
    "station": ("领导班子好", "党员干部队伍好", "工作机制好", "发展业绩好", "群众反映好"),
    "township": ("领导班子好", "党员干部队伍好", "工作机制好", "小康建设业绩好", "农民群众反映好"),
}
PREFIX = {"village": "V", "community": "C", "station": "S", "township": "T"}
NAMES = {
    "village": "村党组织",
    "community": "社区党组织",
    "station": "站所党组织",
    "township": "镇党委",
}


def rubric(kind: str) -> Rubric:
    """V1 … V5 for a village: each standard met (1) or not (0)."""
    lines = tuple(
        Indicator(f"{PREFIX[kind]}{n}", title, 1) for n, title in enumerate(STANDARDS[kind], 1)
    )
    return Rubric(kind, f"“五个好”{NAMES[kind]}基本标准", lines)


def track(kind: str) -> Track:
    """A kind of organization, checked on its own rubric (named as the kind); the rules
    give the grade, of those declared (best first: the one the publicity list shows)."""
    inspection = Source("inspection", "考核检查", 1.0, rubric=kind)
    return Track(kind, NAMES[kind], (kind,), (inspection,), (), grades=("five_good", "not_yet"))


def define(settings) -> Definition:
    members = Track("member", "党员", ("member",), (), ())  # read by the rules, not rated
    return Definition(
        tracks=(*(track(kind) for kind in STANDARDS), members),
        rubrics=tuple(rubric(kind) for kind in STANDARDS),
        rules=(
            rules.age_structure,
            rules.volunteer_share,
            rules.judge_units,
            rules.village_share,
            rules.judge_townships,
        ),
    )
