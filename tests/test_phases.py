"""Inputs freeze by phase, and results out of date (issue 18, items 1 and 2), on both
backends: after its phase a sheet, total, month entry, incident or record is refused with
409 naming the phase and how to reopen, nothing written; an administrator reopens the
cycle or one subject with a reason (audited with who and why) and may close it again; a
change after the last recompute marks the results out of date (the API's
``stale_subjects``, the banner) and publishing them is refused. On PostgreSQL, a save
racing a phase change never lands after the phase moved."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select
from test_web_pages import login, token_of
from tiny_scheme import TINY
from world import enable_scheme

from zhibu.db import db
from zhibu.evaluations import phases, sheets, stale
from zhibu.models import AuditEntry, Incident, ScoreSheet
from zhibu.tenancy import system_scope, use_scope

PAUSE = 0.8


def make_cycle(app, client, world, scheme=TINY) -> str:
    enable_scheme(app, world.ids["A"], scheme)
    base = f"/api/v1/tenants/{world.id('A')}"
    made = client.post(
        f"{base}/cycles",
        json={"scheme_key": "tiny", "period": "2021"},
        headers=world.headers["admin_a"],
    )
    assert made.status_code == 201, made.json
    return f"{base}/cycles/{made.json['id']}"


@pytest.fixture
def tiny(app, client, world):
    return make_cycle(app, client, world)


def panel(world, org="A-Z01", score=90.0) -> dict:
    return {"subject_kind": "org", "subject_id": world.id(org), "source": "panel", "score": score}


def member(world, source) -> dict:
    return {"subject_kind": "member", "subject_id": world.id("A-M1"), "source": source}


def advance(client, world, cycle, to) -> dict:
    """Move the cycle on as its admin; publishing (结果公示, 确定结果) as previewed."""
    moved = client.post(
        f"{cycle}/advance", json=moving(client, world, cycle, to), headers=admin_of(world)
    )
    assert moved.status_code == 200, moved.json
    return moved.json


def admin_of(world):
    return world.headers["admin_a"]


def moving(client, world, cycle, to) -> dict:
    """The body of an advance to ``to``: a publication confirms what its preview showed."""
    if to not in ("publicity", "final"):
        return {"to": to}
    seen = client.get(f"{cycle}/publications/preview?to={to}", headers=admin_of(world)).json
    return {
        "to": to,
        "confirm": True,
        "based_on": seen["based_on"],
        "result_set_id": seen["result_set_id"],
    }


def sheet_count(app) -> int:
    with app.app_context(), use_scope(system_scope()):
        return db.session.scalar(select(func.count()).select_from(ScoreSheet))


def test_each_source_closes_after_its_phase(app, client, world, tiny):
    admin = world.headers["admin_a"]
    self_sheet = {**member(world, "self"), "score": 80}
    assert client.post(f"{tiny}/sheets", json=self_sheet, headers=admin).status_code == 201
    advance(client, world, tiny, "assessment")
    late = client.post(f"{tiny}/sheets", json=self_sheet | {"score": 85}, headers=admin)
    assert late.status_code == 409
    assert "“自评”" in late.json["message"] and "“考核评分”阶段" in late.json["message"]
    assert "重新开放录入" in late.json["message"] and late.json["errors"] == {
        "phase": [late.json["message"]]
    }
    assert client.post(f"{tiny}/sheets", json=panel(world), headers=admin).status_code == 201
    advance(client, world, tiny, "review")
    before = sheet_count(app)
    refused = client.post(f"{tiny}/sheets", json=panel(world, "A-Z02"), headers=admin)
    assert refused.status_code == 409 and "“审核评定”阶段" in refused.json["message"]
    assert sheet_count(app) == before  # never half-applied


def test_a_scheme_declares_when_a_source_closes(app, client, world):
    late_panel = dataclasses.replace(TINY, input_phases={"panel": "review"})
    cycle = make_cycle(app, client, world, late_panel)
    admin = world.headers["admin_a"]
    advance(client, world, cycle, "review")
    assert client.post(f"{cycle}/sheets", json=panel(world), headers=admin).status_code == 201
    with pytest.raises(ValueError, match="closes after 'publicity'"):
        dataclasses.replace(TINY, input_phases={"panel": "publicity"})


def test_incidents_and_records_freeze_with_the_cycle_they_feed(app, client, world, tiny):
    admin = world.headers["admin_a"]
    base = f"/api/v1/tenants/{world.id('A')}"
    incident = {
        "subject_kind": "org",
        "subject_id": world.id("A-Z01"),
        "kind": "down.petition",
        "occurred_on": "2021-05-01",
    }
    advance(client, world, tiny, "review")
    refused = client.post(f"{base}/incidents", json=incident, headers=admin)
    assert refused.status_code == 409 and "否决和降级事件" in refused.json["message"]
    other_year = client.post(
        f"{base}/incidents", json=incident | {"occurred_on": "2019-05-01"}, headers=admin
    )
    assert other_year.status_code == 201  # feeds no cycle of this tenant
    record = {"org_id": world.id("A-Z01"), "kind": "theme_party_day", "held_on": "2021-05-04"}
    late = client.post(f"{base}/records", json=record, headers=admin)
    assert late.status_code == 409 and "组织生活记录" in late.json["message"]
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(func.count()).select_from(Incident)) == 1


def test_reopening_one_subject_with_a_reason_and_closing_it(app, client, world, tiny):
    admin = world.headers["admin_a"]
    advance(client, world, tiny, "review")
    no_reason = client.post(f"{tiny}/inputs/reopen", json={"reason": " "}, headers=admin)
    assert no_reason.status_code in (400, 422)
    opened = client.post(
        f"{tiny}/inputs/reopen",
        json={"reason": "考核组复核更正", "subject_id": world.id("A-Z01")},
        headers=admin,
    )
    assert opened.status_code == 200 and world.id("A-Z01") in opened.json["reopened"]["subjects"]
    assert client.post(f"{tiny}/sheets", json=panel(world), headers=admin).status_code == 201
    other = client.post(f"{tiny}/sheets", json=panel(world, "A-Z02"), headers=admin)
    assert other.status_code == 409
    closed = client.post(
        f"{tiny}/inputs/close", json={"subject_id": world.id("A-Z01")}, headers=admin
    )
    assert closed.status_code == 200
    assert client.post(f"{tiny}/sheets", json=panel(world), headers=admin).status_code == 409
    with app.app_context(), use_scope(system_scope()):
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.in_(("reopen_inputs", "close_inputs")))
            .order_by(AuditEntry.at)
        ).all()
    assert [e.action for e in entries] == ["reopen_inputs", "close_inputs"]
    assert entries[0].username == "admin_a" and entries[0].after["by"] == "admin_a"
    assert entries[0].after["reason"] == "考核组复核更正"
    assert (
        client.post(
            f"{tiny}/inputs/reopen", json={"reason": "x"}, headers=world.headers["assessor_a"]
        ).status_code
        == 403
    )


def test_the_page_reopens_the_cycle_and_keeps_a_refused_sheet(app, client, world):
    from test_web_pages import seed_results

    with app.app_context():
        cycle_id = seed_results(world)["A"]
        with use_scope(system_scope()):
            from zhibu.evaluations import cycles

            cycles.advance(cycles.get_cycle(world.ids["A"], cycle_id), "review")
    login(client, "assessor_a")
    url = f"/t/{world.id('A')}/cycles/{cycle_id}/sheets/org/{world.id('A-Z01')}/assessment_team"
    page = client.get(url)
    assert "您没有填写这份评分表,本阶段已截止。" in page.text
    assert "请管理员在周期页面重新开放录入" in page.text
    form = {"d-A1": "6", "r-A1": "公示前补录", "csrf_token": token_of(page)}
    refused = client.post(url, data=form)
    assert refused.status_code == 409
    assert 'value="公示前补录"' in refused.text and "“审核评定”阶段" in refused.text
    client.post("/logout", data={"csrf_token": token_of(page)})
    login(client, "admin_a")
    detail = client.get(f"/t/{world.id('A')}/cycles/{cycle_id}")
    assert "重新开放录入" in detail.text
    done = client.post(
        f"/t/{world.id('A')}/cycles/{cycle_id}/inputs/reopen",
        data={"reason": "复核", "subject_id": "", "csrf_token": token_of(detail)},
    )
    assert done.status_code == 302
    assert "本周期已重新开放录入(admin_a:复核)" in client.get(done.location).text


def test_a_change_after_the_recompute_makes_results_stale(app, client, world, tiny):
    admin = world.headers["admin_a"]
    assert client.post(f"{tiny}/sheets", json=panel(world), headers=admin).status_code == 201
    assert client.get(tiny, headers=admin).json["stale_subjects"] == 1
    client.post(f"{tiny}/recompute", headers=admin)
    assert client.get(tiny, headers=admin).json["stale_subjects"] == 0
    for org in ("A-Z01", "A-Z02"):
        client.post(f"{tiny}/sheets", json=panel(world, org, 70), headers=admin)
    assert client.get(tiny, headers=admin).json["stale_subjects"] == 2
    preview = client.get(f"{tiny}/publications/preview?to=publicity", headers=admin).json
    assert "2 个评价对象" in preview["refusal"]  # the confirmation page says why, first
    body = moving(client, world, tiny, "publicity")
    refused = client.post(f"{tiny}/advance", json=body, headers=admin)
    assert refused.status_code == 409 and "2 个评价对象" in refused.json["message"]
    assert client.get(tiny, headers=admin).json["phase"] == "self_assessment"
    advance(client, world, tiny, "review")  # not publishing: allowed
    client.post(f"{tiny}/recompute", headers=admin)
    assert advance(client, world, tiny, "publicity")["stale_subjects"] == 0


def test_the_banner_names_how_many_subjects(app, client, world):
    from test_web_pages import seed_results

    with app.app_context():
        cycle_id = seed_results(world)["A"]
    login(client, "admin_a")
    cycle_page = f"/t/{world.id('A')}/cycles/{cycle_id}"
    assert "结果已过期" not in client.get(cycle_page).text
    with app.app_context(), use_scope(system_scope()):
        from zhibu.evaluations import cycles

        cycle = cycles.get_cycle(world.ids["A"], cycle_id)
        stale.mark(cycle, [world.ids["A-Z01"], world.ids["A-Z02"], world.ids["A-M1"]])
        db.session.commit()
    for url in (cycle_page, f"{cycle_page}/results", f"/t/{world.id('A')}/dashboard"):
        text = client.get(url).text
        assert "3 个考评对象的录入有改动,尚未计入结果" in text, url


# --- PostgreSQL: a save racing a phase change ----------------------------------------------

on_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _threads(calls) -> list:
    answers: list = [None] * len(calls)

    def run(index, call, delay):
        time.sleep(delay)
        answers[index] = (call(), time.monotonic())

    threads = [threading.Thread(target=run, args=(i, c, d)) for i, (c, d) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


@on_postgres
def test_a_phase_change_waits_for_a_save_under_way(app, world, tiny, monkeypatch):
    """The save has checked the phase (its check slowed) when the advance comes: the
    advance waits for it, so the save is not in a phase that no longer takes it."""
    original = sheets.check
    checked = []

    def slow(*args, **kwargs):
        found = original(*args, **kwargs)
        time.sleep(PAUSE)
        checked.append(time.monotonic())  # the save goes on from here, then commits
        return found

    monkeypatch.setattr(sheets, "check", slow)
    headers = world.headers["admin_a"]
    save = app.test_client(), app.test_client()
    answers = _threads(
        [
            (lambda: save[0].post(f"{tiny}/sheets", json=panel(world), headers=headers), 0),
            (
                lambda: save[1].post(f"{tiny}/advance", json={"to": "review"}, headers=headers),
                PAUSE / 3,
            ),
        ]
    )
    (saved, _saved_at), (moved, moved_at) = answers
    assert saved.status_code == 201 and moved.status_code == 200
    # the advance came while the save was checked and waiting: had it not waited for the
    # save, it would have answered before the check's end (the answers' own order races:
    # both return once the save commits)
    assert moved_at >= checked[0]


@on_postgres
def test_a_save_waits_for_a_phase_change_under_way_and_is_refused(app, world, tiny, monkeypatch):
    """The advance holds the cycle (slowed after taking it) when the save comes: the save
    waits, then sees 审核评定 and is refused; nothing written."""
    original = stale.stale_subjects

    def slow(cycle):
        time.sleep(PAUSE)
        return original(cycle)

    headers = world.headers["admin_a"]
    clients = app.test_client(), app.test_client()
    clients[0].post(f"{tiny}/recompute", headers=headers)  # results to publish
    body = moving(clients[0], world, tiny, "publicity")
    monkeypatch.setattr(stale, "stale_subjects", slow)
    answers = _threads(
        [
            (
                lambda: clients[0].post(f"{tiny}/advance", json=body, headers=headers),
                0,
            ),
            (
                lambda: clients[1].post(f"{tiny}/sheets", json=panel(world), headers=headers),
                PAUSE / 3,
            ),
        ]
    )
    (moved, _), (saved, _) = answers
    assert moved.status_code == 200, moved.json
    assert saved.status_code == 409 and "结果公示" in saved.json["message"]
    assert sheet_count(app) == 0


def test_reopen_is_refused_for_a_final_cycle(app, client, world, tiny):
    client.post(f"{tiny}/recompute", headers=world.headers["admin_a"])
    advance(client, world, tiny, "final")
    refused = client.post(
        f"{tiny}/inputs/reopen", json={"reason": "复核"}, headers=world.headers["admin_a"]
    )
    assert refused.status_code == 409
    with app.app_context(), use_scope(system_scope()):
        from zhibu.evaluations import cycles

        cycle_id = uuid.UUID(refused.request.path.split("/")[6])
        cycle = cycles.get_cycle(world.ids["A"], cycle_id)
        assert not phases.is_open(cycle, "incidents")


@on_postgres
def test_a_save_during_a_recompute_stays_out_of_date(app, world, tiny, monkeypatch):
    """A recompute has read the inputs (then slowed) when a save comes in and commits: the save
    does not wait for it, and its subject stays marked out of date afterwards, since the
    results the recompute stores were made without it."""
    from zhibu.evaluations import inputs

    original = inputs.load

    def slow(*args, **kwargs):
        loaded = original(*args, **kwargs)
        time.sleep(PAUSE)  # the inputs are read: the save comes in now
        return loaded

    monkeypatch.setattr(inputs, "load", slow)
    headers = world.headers["admin_a"]
    clients = app.test_client(), app.test_client()
    answers = _threads(
        [
            (lambda: clients[0].post(f"{tiny}/recompute", headers=headers), 0),
            (
                lambda: clients[1].post(f"{tiny}/sheets", json=panel(world), headers=headers),
                PAUSE / 3,
            ),
        ]
    )
    (computed, computed_at), (saved, saved_at) = answers
    assert computed.status_code == 200 and saved.status_code == 201
    assert saved_at < computed_at  # the save did not wait for the recompute
    assert all(r["source_scores"].get("panel") is None for r in computed.json)
    stale_now = app.test_client().get(tiny, headers=headers).json["stale_subjects"]
    assert stale_now == 1
