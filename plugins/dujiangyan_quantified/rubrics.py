"""The rubrics of Dujiangyan's 量化考评: four branch sheets (one per branch type) and the
member sheet of 四讲四有 indicators recorded monthly.

Source: ``shared/seeds/004_ccd209e4c601e2c4.txt``. The seed names the frame, not the lines:

- branches: "根據不同類型支部特點,細化量化考核評分細則,從組織建設、制度建設、支部活動、作用發揮
  四方面設置30余項考核指標,對支部基本制度、基本組織、基本隊伍建設實行百分制量化考評" — so four
  aspects (``A`` 组织建设, ``B`` 制度建设, ``C`` 支部活动, ``D`` 作用发挥), 32 indicators, 100
  points, with lines that differ by branch type (rural 村, community 社区, organ 机关, "两新");
- members: "把“四講四有”合格黨員標準細化成50條左右的具體考評指標" — so 50 indicators under the
  four standards of 四讲四有 (``P`` 讲政治有信念, ``R`` 讲规矩有纪律, ``M`` 讲道德有品行,
  ``F`` 讲奉献有作为), 2 points each, 100 points.

The indicator lists are **this project's reconstruction**: wherever the seed names a
practice (一表一卡两册六档一相簿, 支部固定党日, 党员政治生日, “五亮”, 志愿服务, 困难党员帮扶,
党建微信群, 流动党员建卡登记, 一人一档一盒一码 …) it is an indicator; the rest follows the
national 四讲四有 standard and the usual content of such sheets. Every indicator is scored by
deduction (扣分, with a reason) from its points, so a month without a deduction is full
marks and is stored as one number. The points of each aspect (per branch type) and of each
standard are adjustable (see :mod:`dujiangyan_quantified.scheme`); the indicators' points
scale with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhibu.engine import Indicator, Rubric, SettingsConflict

BRANCH_TYPES = {
    "rural": "农村党支部",
    "community": "社区党支部",
    "organ": "机关党支部",
    "two_new": "“两新”组织党支部",
}
# org kind → branch type; a plain ``branch`` takes the type set in ``plain_branch_type``
KIND_TYPES = {
    "village": "rural",
    "community": "community",
    "organ": "organ",
    "two_new": "two_new",
    "enterprise": "two_new",
}
ASPECTS = (("A", "组织建设"), ("B", "制度建设"), ("C", "支部活动"), ("D", "作用发挥"))
STANDARDS = (
    ("P", "讲政治、有信念"),
    ("R", "讲规矩、有纪律"),
    ("M", "讲道德、有品行"),
    ("F", "讲奉献、有作为"),
)

Line = tuple[str, str, float]  # (code, title, default points)

# Lines every branch type shares; ``None`` marks the place of a type's own line.
COMMON: dict[str, tuple[Line | None, ...]] = {
    "A": (
        ("A1", "支部设置规范,应建尽建", 3),
        ("A2", "班子健全,按期换届", 3),
        ("A3", "支部书记素能提升培训", 3),
        ("A4", "党员建卡登记,流动党员纳入管理", 3),
        ("A5", "以支部为单位建立党建微信群或QQ群", 3),
        ("A6", "发展党员程序规范", 3),
        None,  # A7
        ("A8", "党员档案“一人一档一盒一码”", 4),
    ),
    "B": (
        ("B1", "“三会一课”制度落实", 4),
        ("B2", "组织生活会和民主评议党员", 3),
        ("B3", "党员每月记实考评", 3),
        ("B4", "党费按月收缴、管理规范", 3),
        ("B5", "“一表一卡两册六档一相簿”台账规范", 3),
        ("B6", "书记抓党建年度双向述职", 3),
        ("B7", "组织生活备案公示", 3),
        None,  # B8
    ),
    "C": (
        ("C1", "支部固定党日", 4),
        ("C2", "党员活动日", 3),
        ("C3", "党员政治生日", 3),
        ("C4", "学习习近平新时代中国特色社会主义思想和党的十九大精神", 4),
        ("C5", "开放式组织生活,跨领域开展活动", 3),
        ("C6", "知识测试和竞赛活动", 3),
        ("C7", "亮身份、亮岗位、亮职责、亮承诺、亮成效“五亮”活动", 3),
        None,  # C8
    ),
    "D": (
        ("D1", "党员志愿服务(“旅游都江堰·你我同行”)", 3),
        ("D2", "困难党员、群众帮扶", 3),
        ("D3", "在中心大局中转作风、打头阵", 3),
        None,  # D4
        None,  # D5
        None,  # D6
        None,  # D7
        None,  # D8
    ),
}

# Each type's own lines, filling the places marked None above, in order.
OWN: dict[str, dict[str, tuple[Line, ...]]] = {
    "rural": {
        "A": (("A7", "后备干部人才库建设", 3),),
        "B": (("B8", "党群服务中心标准化建设", 3),),
        "C": (("C8", "农民夜校学习", 2),),
        "D": (
            ("D4", "引领产业发展", 4),
            ("D5", "院落、村民小组治理中的引领作用", 3),
            ("D6", "“小办公、大服务”便民服务", 3),
            ("D7", "党建指导员、“第一书记”作用发挥", 3),
            ("D8", "矛盾纠纷化解,群众反映良好", 3),
        ),
    },
    "community": {
        "A": (("A7", "社区后备干部人才库建设", 3),),
        "B": (("B8", "区域化党建联席会议制度", 3),),
        "C": (("C8", "院落小区党员活动", 2),),
        "D": (
            ("D4", "区域化党建,驻区单位兼职委员作用", 4),
            ("D5", "院落小区、特色街区治理中的引领作用", 3),
            ("D6", "党群服务中心服务功能", 3),
            ("D7", "棚户区改造等群众工作", 3),
            ("D8", "服务居民群众,群众反映良好", 3),
        ),
    },
    "organ": {
        "A": (("A7", "青年党员和业务骨干培养", 3),),
        "B": (("B8", "党建与业务工作同部署同考核", 3),),
        "C": (("C8", "微党校、七点课堂学习", 2),),
        "D": (
            ("D4", "服务旅游节会、项目促建等中心工作", 4),
            ("D5", "机关作风建设", 3),
            ("D6", "服务窗口和联系群众", 3),
            ("D7", "结对共建基层党组织", 3),
            ("D8", "完成年度重点任务", 3),
        ),
    },
    "two_new": {
        "A": (("A7", "把生产经营骨干培养成党员", 3),),
        "B": (("B8", "“两新”组织党建联席会议制度", 3),),
        "C": (("C8", "商圈楼宇、专业市场党建活动", 2),),
        "D": (
            ("D4", "促进企业(组织)健康发展", 4),
            ("D5", "党员在生产经营中的示范岗位", 3),
            ("D6", "维护职工群众合法权益", 3),
            ("D7", "履行社会责任,参与公益", 3),
            ("D8", "出资人(负责人)支持党建工作", 3),
        ),
    },
}

MEMBER_LINES: dict[str, tuple[str, ...]] = {
    "P": (
        "坚定理想信念",
        "学习党章党规",
        "学习习近平新时代中国特色社会主义思想",
        "学习党的十九大精神",
        "参加支部集中学习",
        "参加“三会一课”",
        "参加支部固定党日",
        "维护党中央权威",
        "大是大非面前立场坚定",
        "不信谣、不传谣",
        "参加党员政治生日活动",
        "参加知识测试和答题",
        "亮明党员身份",
    ),
    "R": (
        "遵守党章",
        "按时足额交纳党费",
        "执行组织决定",
        "按时参加组织生活",
        "外出请假、返回销假",
        "如实向党组织报告个人有关事项",
        "流动党员主动与支部联系",
        "遵守廉洁纪律",
        "遵守群众纪律",
        "遵守工作纪律",
        "遵守生活纪律",
        "遵纪守法,无违法违纪",
    ),
    "M": (
        "遵守社会公德",
        "恪守职业道德",
        "弘扬家庭美德",
        "严守个人品德",
        "诚实守信",
        "勤俭节约",
        "孝老爱亲",
        "邻里和睦",
        "移风易俗",
        "文明礼貌",
        "爱护生态环境",
        "不参与封建迷信和赌博",
    ),
    "F": (
        "履职尽责,岗位建功",
        "参加“五亮”活动",
        "参加党员志愿服务",
        "联系服务群众",
        "帮扶困难群众",
        "参与基层治理",
        "带头发展产业、带领致富",
        "参与旅游节会、项目促建、棚户区改造等中心工作",
        "宣传党的政策",
        "反映社情民意",
        "设岗定责,履行承诺",
        "完成急难险重任务",
        "受到表彰或群众好评",
    ),
}
MEMBER_POINTS = 2  # each of the 50 lines


def branch_lines(branch_type: str) -> dict[str, list[Line]]:
    """The type's 32 lines by aspect, with their default points."""
    own = OWN[branch_type]
    out: dict[str, list[Line]] = {}
    for aspect, lines in COMMON.items():
        fill = iter(own[aspect])
        out[aspect] = [line if line is not None else next(fill) for line in lines]
    return out


def default_aspect_points(branch_type: str) -> dict[str, float]:
    return {a: sum(p for _, _, p in lines) for a, lines in branch_lines(branch_type).items()}


def default_standard_points() -> dict[str, float]:
    return {s: MEMBER_POINTS * len(lines) for s, lines in MEMBER_LINES.items()}


def _scaled(points: float, given: float, default: float) -> float:
    return points * given / default if default else 0.0


def branch_rubric(branch_type: str, settings: Mapping[str, Any]) -> Rubric:
    """The type's sheet, each aspect scaled to its adjustable points (100 in all)."""
    defaults = default_aspect_points(branch_type)
    indicators = []
    for aspect, name in ASPECTS:
        given = settings[f"points.{branch_type}.{aspect}"]
        for code, title, points in branch_lines(branch_type)[aspect]:
            indicators.append(
                Indicator(
                    code,
                    title,
                    _scaled(points, given, defaults[aspect]),
                    mode="deduction",
                    category=name,
                )
            )
    rubric = Rubric(
        f"dujiangyan.{branch_type}",
        f"{BRANCH_TYPES[branch_type]}量化考评评分细则",
        tuple(indicators),
    )
    _check_hundred(rubric, f"points.{branch_type}")
    return rubric


def member_rubric(settings: Mapping[str, Any]) -> Rubric:
    """The 50 四讲四有 lines, each standard scaled to its adjustable points (100 in all)."""
    defaults = default_standard_points()
    indicators = []
    for standard, name in STANDARDS:
        given = settings[f"member_points.{standard}"]
        for number, title in enumerate(MEMBER_LINES[standard], start=1):
            indicators.append(
                Indicator(
                    f"{standard}{number:02d}",
                    title,
                    _scaled(MEMBER_POINTS, given, defaults[standard]),
                    mode="deduction",
                    category=name,
                )
            )
    rubric = Rubric(
        "dujiangyan.member", "党员“四讲四有”量化考评指标", tuple(indicators), brief=True
    )
    _check_hundred(rubric, "member_points")
    return rubric


def _check_hundred(rubric: Rubric, prefix: str) -> None:
    if abs(rubric.max_points - 100) > 1e-6:
        total = f"{rubric.max_points:g}"
        raise SettingsConflict(
            [prefix],
            f"各项分值合计须为 100 分,现为 {total} 分",
            f"the points must add up to 100, not {total}",
        )
