"""The schemas' own checks answer in the user's language (zhibu.api.messages): a token
client and a Chinese session read Chinese, an English session English; the answer names
the field (and the index in a list), and says the first problem in its ``message``."""

from __future__ import annotations

import inspect
import re

import marshmallow
import pytest
from marshmallow import ValidationError, fields, validate

from zhibu.api.messages import in_language, summary, translated

CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")
ACRONYMS = {"UUID", "URL", "IP", "IPv", "UTF", "JSON"}  # said so in Chinese, too


def _chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not set(WORD.findall(text)) - ACRONYMS


# --- the guard: every default message of marshmallow has its Chinese ----------------------


def _field_messages() -> set[str]:
    """Every message marshmallow's fields and schemas make, with sample values."""
    made = set()
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        if not issubclass(cls, fields.Field):
            continue
        for klass in cls.__mro__:
            for template in getattr(klass, "default_error_messages", {}).values():
                for awareness in ("naive", "aware"):
                    made.add(
                        template.format(
                            input="12",
                            obj_type=getattr(cls, "OBJ_TYPE", "datetime"),
                            awareness=awareness,
                            choices="1, 2",
                        )
                    )
    made.update(marshmallow.Schema._default_error_messages.values())
    return made


# one way to make each validator of marshmallow refuse, for every wording it has
REFUSALS = {
    validate.Range: [
        (validate.Range(min=1), 0),
        (validate.Range(min=1, min_inclusive=False), 0),
        (validate.Range(max=1), 2),
        (validate.Range(max=1, max_inclusive=False), 2),
        (validate.Range(1, 2), 3),
        (validate.Range(1, 2, min_inclusive=False), 3),
        (validate.Range(1, 2, max_inclusive=False), 3),
        (validate.Range(1, 2, min_inclusive=False, max_inclusive=False), 3),
    ],
    validate.Length: [
        (validate.Length(min=2), "1"),
        (validate.Length(max=1), "12"),
        (validate.Length(1, 2), "123"),
        (validate.Length(equal=2), "1"),
    ],
    validate.OneOf: [(validate.OneOf(["1", "2"]), "3")],
    validate.NoneOf: [(validate.NoneOf(["1"]), "1")],
    validate.ContainsOnly: [(validate.ContainsOnly(["1"]), ["2"])],
    validate.ContainsNoneOf: [(validate.ContainsNoneOf(["1"]), ["1"])],
    validate.Equal: [(validate.Equal(1), 2)],
    validate.Regexp: [(validate.Regexp(r"^\d$"), "12")],
    validate.Email: [(validate.Email(), "12")],
    validate.URL: [(validate.URL(), "12")],
    validate.Predicate: [(validate.Predicate("isdigit"), "甲")],
}


def _validator_messages() -> set[str]:
    made = set()
    for validator, value in (pair for pairs in REFUSALS.values() for pair in pairs):
        with pytest.raises(ValidationError) as refused:
            validator(value)
        made.update(refused.value.messages)
    return made


def test_every_validator_of_marshmallow_is_tried():
    """A validator marshmallow adds must be added to REFUSALS (and its wording here)."""
    known = {
        cls
        for _name, cls in inspect.getmembers(validate, inspect.isclass)
        if issubclass(cls, validate.Validator) and cls not in (validate.Validator, validate.And)
    }
    assert known - set(REFUSALS) == set()


def test_every_default_message_of_marshmallow_has_its_chinese(app):
    made = _field_messages() | _validator_messages() | {"Invalid JSON body."}
    assert len(made) > 50
    with app.test_request_context("/api/v1/"):
        untranslated = sorted(m for m in made if not _chinese(in_language(m)))
    assert untranslated == [], [in_language(m) for m in untranslated]


def test_values_in_a_message_are_kept(app):
    with app.test_request_context("/api/v1/"):
        assert in_language("Length must be between 1 and 200.") == "长度须在 1 到 200 之间。"
        assert in_language("Must be greater than or equal to 1.") == "须大于或等于 1。"
        assert in_language("Must be greater than 0 and less than 5.") == "须大于 0 且小于 5。"
        assert in_language("Must be one of: org, member.") == "须为以下之一:org, member。"
        assert in_language("已经有了。") == "已经有了。"  # the project's own: as it is
        assert translated({"json": {"rows": {2: {"name": ["Unknown field."]}}}}) == {
            "json": {"rows": {2: {"name": ["没有这一字段。"]}}}
        }
        errors = {"json": {"rows": {2: {"name": ["没有这一字段。"]}}, "x": ["缺少必填项。"]}}
        assert summary(errors) == "请求有 2 处错误,第一处在“rows[2].name”:没有这一字段。"


# --- the answers -------------------------------------------------------------------------


def _orgs(world, rest=""):
    return f"/api/v1/tenants/{world.id('A')}/orgs{rest}"


CASES = [
    # (what is sent, where the error is, the Chinese, the English)
    (
        {"code": "X", "name": "x", "kind": "branch", "colour": "red"},
        ("json", "colour"),
        "没有这一字段。",
        "Unknown field.",
    ),
    ({"code": "X", "kind": "branch"}, ("json", "name"), "缺少必填项。", None),
    (
        {"code": "X", "name": "", "kind": "branch"},
        ("json", "name"),
        "长度须在 1 到 200 之间。",
        "Length must be between 1 and 200.",
    ),
    (
        {"code": "X", "name": "x", "kind": "branch", "parent_id": "nope"},
        ("json", "parent_id"),
        "不是有效的 UUID 编号。",
        "Not a valid UUID.",
    ),
    (
        {"code": "X", "name": "x", "kind": "branch", "retired": "perhaps"},
        ("json", "retired"),
        "须为是或否(布尔值)。",
        "Not a valid boolean.",
    ),
]


@pytest.mark.parametrize("body, where, chinese, english", CASES)
def test_a_bad_body_is_refused_in_chinese_naming_the_field(
    client, world, body, where, chinese, english
):
    response = client.post(_orgs(world), json=body, headers=world.headers["admin_a"])
    assert response.status_code == 422
    location, field = where
    assert response.json["errors"][location][field] == [chinese]
    assert response.json["message"] == f"请求有误,“{field}”:{chinese}"
    if english:  # the same request from a session that chose English
        client.get("/lang/en?next=/")
        again = client.post(_orgs(world), json=body, headers=world.headers["admin_a"])
        assert again.json["errors"][location][field] == [english]
        assert again.json["message"] == f"The request is not valid: “{field}”: {english}"


def test_query_arguments_and_choices(client, world):
    admin = world.headers["admin_a"]
    page = client.get(_orgs(world, "?status=gone"), headers=admin)
    assert page.status_code == 422
    assert page.json["errors"]["query"]["status"] == ["须为以下之一:active, dissolved。"]
    page = client.get(_orgs(world, "?page=abc&page_size=0"), headers=admin)
    assert page.status_code == 422
    query = page.json["errors"]["query"]
    assert query["page"] == ["不是有效的整数。"]
    assert query["page_size"] == ["须大于或等于 1 且小于或等于 100。"]
    assert page.json["message"] == "请求有 2 处错误,第一处在“page”:不是有效的整数。"


def test_a_list_names_the_index(client, world):
    body = {
        "org_id": world.id("A-Z01"),
        "kind": "meeting",
        "held_on": "2021-13-40",
        "attendees": [world.id("A-Z01"), "nope"],
        "hours": "many",
    }
    response = client.post(
        f"/api/v1/tenants/{world.id('A')}/records", json=body, headers=world.headers["admin_a"]
    )
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert errors["attendees"] == {"1": ["不是有效的 UUID 编号。"]}
    assert errors["held_on"] == ["不是有效的日期。"]
    assert errors["hours"] == ["不是有效的数字。"]


def test_a_body_that_is_not_json(client, world):
    response = client.post(
        _orgs(world),
        data="{not json",
        headers={**world.headers["admin_a"], "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["errors"] == {"json": ["请求内容不是有效的 JSON。"]}
    assert response.json["message"] == "请求有误:请求内容不是有效的 JSON。"


def test_a_period_argument_says_its_form(client, world):
    response = client.get(
        f"/api/v1/tenants/{world.id('C')}/oversight/weakness.html?period=soon",
        headers=world.headers["overseer_c"],
    )
    assert response.status_code == 422
    (message,) = response.json["errors"]["query"]["period"]
    assert message == "期间的写法如 2021、2021H1、2021Q3 或 2021-05。"
