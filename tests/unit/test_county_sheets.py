"""county_observation sheets: the two 观摩、检查、测评得分表 of seed 001, item by item."""

import re

import pytest

from county_observation.sheets import CATEGORIES, SHEETS, TWO_NEW, VILLAGE_COMMUNITY

# category → item points in the seed's order (shared/SCHEMES.md, county_observation)
EXPECTED = {
    "county.village_community": {
        "党建基础": (3, 3, 3, 3, 2, 4, 2, 2, 3),
        "组织建设": (4, 3, 3, 4, 4, 3, 3, 3, 3),
        "党员管理": (3, 2, 2, 1, 2, 1, 3, 1, 3, 1, 1),
        "活动开展": (4, 4, 2, 2, 3),
        "工作保障": (4, 3, 3),
    },
    "county.two_new": {
        "党建基础": (5, 2, 5, 3),
        "组织建设": (5, 5, 5, 10, 5),
        "党员管理": (5, 5, 5, 5, 5),
        "活动开展": (5, 5, 5, 5),
        "工作保障": (5, 5),
    },
}
CATEGORY_MAXIMA = {
    "county.village_community": {
        "党建基础": 25,
        "组织建设": 30,
        "党员管理": 20,
        "活动开展": 15,
        "工作保障": 10,
    },
    "county.two_new": {
        "党建基础": 15,
        "组织建设": 30,
        "党员管理": 25,
        "活动开展": 20,
        "工作保障": 10,
    },
}
RUBRICS = pytest.mark.parametrize("rubric", [VILLAGE_COMMUNITY, TWO_NEW], ids=lambda r: r.key)
LETTER = dict((name, letter) for letter, name in CATEGORIES)


def by_category(rubric):
    out = {}
    for indicator in rubric.indicators:
        out.setdefault(indicator.category, []).append(indicator)
    return out


@RUBRICS
def test_item_points_per_category_in_order(rubric):
    got = {c: tuple(i.max_points for i in items) for c, items in by_category(rubric).items()}
    assert got == EXPECTED[rubric.key]
    assert list(got) == [name for _, name in CATEGORIES]  # categories in the seed's order


@RUBRICS
def test_category_maxima_and_total(rubric):
    got = {c: sum(i.max_points for i in items) for c, items in by_category(rubric).items()}
    assert got == CATEGORY_MAXIMA[rubric.key]
    assert rubric.max_points == 100


@RUBRICS
def test_codes_unique_well_formed_and_numbered_in_order(rubric):
    codes = [i.code for i in rubric.indicators]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-E][0-9]+", c) for c in codes)
    for category, items in by_category(rubric).items():
        expected = [f"{LETTER[category]}{n}" for n in range(1, len(items) + 1)]
        assert [i.code for i in items] == expected
    assert rubric.indicator("A1") is rubric.indicators[0]


@RUBRICS
def test_every_line_is_a_deduction_with_title_and_guidance(rubric):
    for indicator in rubric.indicators:
        assert indicator.mode == "deduction", indicator.code
        assert 0 < len(indicator.title) <= 16, indicator.code
        assert indicator.guidance.strip(), indicator.code
        assert "分)" not in indicator.guidance, indicator.code  # the points are not in the text


@pytest.mark.parametrize(
    ("rubric", "code", "fragment"),
    [
        (VILLAGE_COMMUNITY, "A1", "“普及、规范、提升”"),
        (VILLAGE_COMMUNITY, "A4", "建立3—7人的后备干部队伍"),
        (VILLAGE_COMMUNITY, "B2", "使用县委统一印制的记录本"),
        (VILLAGE_COMMUNITY, "C9", "年度集中培训不少于32个学时"),
        (VILLAGE_COMMUNITY, "E2", "三项经费合计不低于10万元"),
        (TWO_NEW, "A1", "公司行政管理层交叉任职"),
        (TWO_NEW, "B2", "需使用区委统一印制的记录本"),
        (TWO_NEW, "B4", "“星级创评、分类定级”"),
        (TWO_NEW, "C5", "无隐身党员"),
        (TWO_NEW, "D2", "“双培双创”"),
    ],
)
def test_guidance_is_the_seed_text(rubric, code, fragment):
    assert fragment in rubric.indicator(code).guidance


def test_sheets_by_org_kind():
    assert SHEETS["village"] is SHEETS["community"] is VILLAGE_COMMUNITY
    assert SHEETS["two_new"] is TWO_NEW
    assert (VILLAGE_COMMUNITY.key, TWO_NEW.key) == ("county.village_community", "county.two_new")
