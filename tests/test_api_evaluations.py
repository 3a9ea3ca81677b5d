"""The evaluation workflow through the API: versions, cycle phases, sheets, recompute,
freezing and reopening, and the rectification ledger."""

import pytest
from tiny_scheme import TINY
from world import enable_scheme

from zhibu.db import db
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def tiny(app, world):
    enable_scheme(app, world.ids["A"], TINY)
    return f"/api/v1/tenants/{world.id('A')}"


def open_cycle(client, base, world, period="2021"):
    response = client.post(
        f"{base}/cycles",
        json={"scheme_key": "tiny", "period": period},
        headers=world.headers["admin_a"],
    )
    assert response.status_code == 201, response.json
    return f"{base}/cycles/{response.json['id']}"


def sheet(world, org="A-Z01", **body):
    return {"subject_kind": "org", "subject_id": world.id(org), **body}


def test_versions_are_made_by_changes_and_can_be_diffed(client, world, tiny):
    admin = world.headers["admin_a"]
    assert client.get(f"{tiny}/schemes/tiny/versions", headers=admin).json == []
    client.post(f"{tiny}/cycles", json={"scheme_key": "tiny", "period": "2020"}, headers=admin)
    first = client.get(f"{tiny}/schemes/tiny/versions", headers=admin).json
    assert [v["number"] for v in first] == [1]  # the defaults, made by the first cycle
    changed = client.post(
        f"{tiny}/schemes/tiny/versions",
        json={"overrides": {"quota": 0.2}, "note": "2022 起五星 20%"},
        headers=admin,
    )
    assert changed.status_code == 201 and changed.json["number"] == 2
    same = client.post(
        f"{tiny}/schemes/tiny/versions", json={"overrides": {"quota": 0.2}}, headers=admin
    )
    assert same.json["number"] == 2
    diff = client.get(f"{tiny}/schemes/tiny/versions/1/diff/2", headers=admin).json
    assert diff == {"changes": {"quota": {"from": 0.3, "to": 0.2}}}
    missing = client.get(f"{tiny}/schemes/tiny/versions/1/diff/9", headers=admin)
    assert missing.status_code == 404 and "没有第 9 版设置" in missing.json["message"]
    bad = client.post(
        f"{tiny}/schemes/tiny/versions", json={"overrides": {"quota": 3}}, headers=admin
    )
    assert bad.status_code == 400 and bad.json["errors"] == {
        "quota": ["“五星比例”不能大于 1,填的是 3。"]
    }


def test_a_cycle_keeps_its_version(client, world, tiny):
    admin = world.headers["admin_a"]
    cycle = client.get(open_cycle(client, tiny, world), headers=admin).json
    client.post(f"{tiny}/schemes/tiny/versions", json={"overrides": {"quota": 0.2}}, headers=admin)
    versions = client.get(f"{tiny}/schemes/tiny/versions", headers=admin).json
    assert cycle["version_id"] == versions[0]["id"] != versions[1]["id"]


def test_sheets_recompute_results_and_explanations(client, world, tiny):
    cycle = open_cycle(client, tiny, world)
    assessor = world.headers["assessor_a"]
    for body in (
        sheet(world, source="panel", score=90),
        sheet(
            world,
            source="sheet",
            deductions=[{"item": "A1", "points": 4, "reason": "会议记录缺失"}],
        ),
    ):
        assert client.post(f"{cycle}/sheets", json=body, headers=assessor).status_code == 201
    refused = client.post(
        f"{cycle}/sheets",
        headers=assessor,
        json=sheet(
            world,
            source="sheet",
            deductions=[{"item": "A1", "points": 50, "reason": "过多"}],
        ),
    )
    assert refused.status_code == 400
    assert "超过该项满分 40 分" in refused.json["errors"]["sheet"][0]
    no_reason = client.post(
        f"{cycle}/sheets",
        headers=assessor,
        json=sheet(world, source="sheet", deductions=[{"item": "A1", "points": 1, "reason": ""}]),
    )
    assert no_reason.status_code == 422 and "reason" in str(no_reason.json["errors"])
    results = client.post(f"{cycle}/recompute", headers=world.headers["admin_a"]).json
    z01 = next(r for r in results if r["subject_code"] == "A-Z01")
    assert (z01["total"], z01["stars"]) == (93.0, 5)
    assert any(line.get("reason") == "会议记录缺失" for line in z01["explanation"])
    listed = client.get(f"{cycle}/results?stars=5", headers=world.headers["admin_a"]).json
    assert [r["subject_code"] for r in listed] == ["A-Z01"]
    unpublished = client.get(f"{cycle}/results", headers=world.headers["overseer_c"]).json
    assert unpublished == []  # an overseer: per-subject results only once published


def test_final_freezes_and_reopen_is_audited(app, client, world, tiny):
    admin = world.headers["admin_a"]
    cycle = open_cycle(client, tiny, world)
    client.post(f"{cycle}/sheets", json=sheet(world, source="panel", score=80), headers=admin)
    unconfirmed = client.post(f"{cycle}/advance", json={"to": "final"}, headers=admin)
    assert unconfirmed.status_code == 409 and "preview" in unconfirmed.json["message"]
    _finalize_unpublished(app, world, cycle)  # a cycle made final without publishing
    frozen = client.post(
        f"{cycle}/sheets", json=sheet(world, source="panel", score=99), headers=admin
    )
    assert frozen.status_code == 409 and "已确定结果" in frozen.json["message"]
    assert client.post(f"{cycle}/recompute", headers=admin).status_code == 409
    no_reason = client.post(f"{cycle}/reopen", json={"reason": " "}, headers=admin)
    assert no_reason.status_code == 400
    reopened = client.post(f"{cycle}/reopen", json={"reason": "考核组复核更正分数"}, headers=admin)
    assert reopened.json["phase"] == "review"
    log = client.get(f"{tiny}/audit?action=reopen", headers=admin).json
    assert log[0]["after"] == {"phase": "review", "reason": "考核组复核更正分数"}


def _finalize_unpublished(app, world, url: str) -> None:
    import uuid

    from zhibu.evaluations import compute, cycles

    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], uuid.UUID(url.rsplit("/", 1)[1]))
        compute.recompute(cycle)  # results as the inputs stand: stale ones are not final
        cycles.advance(cycle, "final")


def test_phases_only_move_forward(client, world, tiny):
    admin = world.headers["admin_a"]
    cycle = open_cycle(client, tiny, world)
    assert client.post(f"{cycle}/advance", json={}, headers=admin).json["phase"] == "assessment"
    back = client.post(f"{cycle}/advance", json={"to": "self_assessment"}, headers=admin)
    assert back.status_code == 400


def test_ledger_from_deduction_follow_up_and_sign_off(client, world, tiny, app):
    cycle = open_cycle(client, tiny, world)
    assessor, admin = world.headers["assessor_a"], world.headers["admin_a"]
    client.post(
        f"{cycle}/sheets",
        headers=assessor,
        json=sheet(
            world, source="sheet", deductions=[{"item": "A2", "points": 5, "reason": "台账不全"}]
        ),
    )
    from sqlalchemy import select

    from zhibu.models import ScoreItem

    with app.app_context(), use_scope(system_scope()):
        deduction = db.session.scalar(select(ScoreItem.id).where(ScoreItem.kind == "deduction"))
    ledger = f"{tiny}/rectification"
    item = client.post(
        f"{ledger}/from-deduction",
        headers=assessor,
        json={
            "deduction_id": str(deduction),
            "deadline": "2020-01-31",
            "measure": "补齐会议记录",
            "responsible": "张书记",
        },
    )
    assert item.status_code == 201, item.json
    assert item.json["issue"] == "A2 台账资料 扣 5 分:台账不全" and item.json["overdue"] is True
    again = client.post(
        f"{ledger}/from-deduction",
        headers=assessor,
        json={"deduction_id": str(deduction), "deadline": "2020-01-31"},
    )
    assert again.status_code == 409
    url = f"{ledger}/{item.json['id']}"
    early = client.post(f"{url}/sign-off", headers=admin)
    assert early.status_code == 409 and "回头看" in early.json["message"]
    check = client.post(
        f"{url}/follow-ups",
        headers=assessor,
        json={"checked_on": "2020-02-10", "finding": "记录已补齐", "satisfactory": True},
    )
    assert check.status_code == 201
    assert [i["id"] for i in client.get(f"{ledger}?overdue=true", headers=admin).json] == [
        item.json["id"]
    ]
    done = client.post(f"{url}/sign-off", headers=admin)
    assert done.status_code == 200 and done.json["status"] == "signed_off"
    assert client.get(f"{ledger}?overdue=true", headers=admin).json == []


def test_the_raiser_cannot_sign_off_their_own_item(client, world, tiny):
    admin = world.headers["admin_a"]
    ledger = f"{tiny}/rectification"
    item = client.post(
        ledger,
        headers=admin,
        json={"org_id": world.id("A-Z02"), "issue": "党小组会不规范", "deadline": "2030-01-01"},
    ).json
    client.post(
        f"{ledger}/{item['id']}/follow-ups",
        headers=admin,
        json={"checked_on": "2029-01-01", "finding": "已规范", "satisfactory": True},
    )
    refused = client.post(f"{ledger}/{item['id']}/sign-off", headers=admin)
    assert refused.status_code == 409 and "列入人以外的其他人销号" in refused.json["message"]


def test_save_many_checks_every_sheet_before_writing_any(client, world, tiny, app):
    import dataclasses

    from sqlalchemy import func, select

    from zhibu.evaluations import cycles, sheets
    from zhibu.models import ScoreSheet

    open_cycle(client, tiny, world)
    with app.app_context(), use_scope(system_scope()):
        cycle = db.session.scalar(select(cycles.Cycle))
        good = sheets.SheetInput("org", world.ids["A-Z01"], "panel", "R1", score=90)
        bad = sheets.SheetInput(
            "org",
            world.ids["A-Z02"],
            "sheet",
            "R1",
            deductions=[{"item": "A1", "points": 99, "reason": "x"}],
        )
        with pytest.raises(sheets.ServiceError) as excinfo:
            sheets.save_many(cycle, [good, bad])
        assert excinfo.value.errors["sheets"][0].startswith("第 2 张评分表:")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == 0
        assert sheets.save_many(cycle, [good]) == 1
        assert sheets.save_many(cycle, [dataclasses.replace(good, score=95)]) == 1
        rows = db.session.scalars(select(ScoreSheet)).all()
        assert [(r.score, r.rater) for r in rows] == [(95, "R1")]  # replaced, not doubled


def test_stored_json_keeps_its_shape_on_every_backend(client, world, tiny, app):
    """An unrated subject has no source scores: an empty mapping, never a list."""
    cycle = open_cycle(client, tiny, world)
    results = client.post(f"{cycle}/recompute", headers=world.headers["admin_a"]).json
    retired = next(r for r in results if r["subject_code"] == "A-Z09")
    assert retired["source_scores"] == {} and retired["titles"] == [] and not retired["rated"]
