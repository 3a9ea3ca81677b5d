"""Two saves of one score sheet (issue 17): they take turns, on PostgreSQL with each save
in a thread and connection of its own, released together. Each save's check is slowed
(it checks, then waits a moment) so that both have checked before either writes: without
the sheet's row lock, both writers' items stayed on the sheet, and two first saves met on
the sheet's unique key (500). A save naming the version it loaded is refused (409) when
another one came in between, on both backends; and replacing a sheet's items leaves each
item's before and after in the audit log."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select
from test_web_pages import login, token_of
from tiny_scheme import TINY
from world import enable_scheme

from zhibu.db import db
from zhibu.evaluations import sheets
from zhibu.models import AuditEntry, ScoreItem, ScoreSheet
from zhibu.tenancy import system_scope, use_scope

PAUSE = 0.4
on_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def tiny(app, client, world):
    enable_scheme(app, world.ids["A"], TINY)
    base = f"/api/v1/tenants/{world.id('A')}"
    made = client.post(
        f"{base}/cycles",
        json={"scheme_key": "tiny", "period": "2021"},
        headers=world.headers["admin_a"],
    )
    assert made.status_code == 201, made.json
    return f"{base}/cycles/{made.json['id']}"


def body(world, *deductions, **extra) -> dict:
    return {
        "subject_kind": "org",
        "subject_id": world.id("A-Z01"),
        "source": "sheet",
        "deductions": [{"item": i, "points": p, "reason": r} for i, p, r in deductions],
        **extra,
    }


FIRST = (("A1", 4, "会议记录缺失"),)
SECOND = (("A2", 6, "台账不全"), ("A1", 2, "签到不全"))


def slowed(monkeypatch) -> None:
    original = sheets.check

    def slow(*args, **kwargs):
        found = original(*args, **kwargs)
        time.sleep(PAUSE)
        return found

    monkeypatch.setattr(sheets, "check", slow)


def at_once(app, calls) -> list:
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index, call):
        client = app.test_client()
        barrier.wait()
        answers[index] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def stored(app, world) -> list[tuple]:
    """Every sheet of A-Z01 from ``sheet``: (version, sorted deductions)."""
    with app.app_context(), use_scope(system_scope()):
        found = []
        for sheet in db.session.scalars(
            select(ScoreSheet).where(
                ScoreSheet.subject_id == world.ids["A-Z01"], ScoreSheet.source == "sheet"
            )
        ):
            items = db.session.scalars(select(ScoreItem).where(ScoreItem.sheet_id == sheet.id))
            found.append((sheet.version, sorted((i.indicator, i.points, i.reason) for i in items)))
        return found


def as_stored(deductions) -> list[tuple]:
    return sorted((i, float(p), r) for i, p, r in deductions)


@on_postgres
def test_two_saves_of_one_sheet_take_turns(app, world, tiny, client, monkeypatch):
    headers = world.headers["assessor_a"]
    assert client.post(f"{tiny}/sheets", json=body(world, *FIRST), headers=headers).status_code
    slowed(monkeypatch)
    for round_ in range(3):
        answers = at_once(
            app,
            [
                lambda c, d=d: c.post(f"{tiny}/sheets", json=body(world, *d), headers=headers)
                for d in (FIRST, SECOND)
            ],
        )
        assert [a.status_code for a in answers] == [201, 201]
        [(version, items)] = stored(app, world)
        assert version == 1 + 2 * (round_ + 1)
        assert items in (as_stored(FIRST), as_stored(SECOND))  # one writer's, never both


@on_postgres
def test_two_first_saves_one_wins_the_other_is_told(app, world, tiny, monkeypatch):
    slowed(monkeypatch)
    headers = world.headers["assessor_a"]
    answers = at_once(
        app,
        [
            lambda c, d=d: c.post(
                f"{tiny}/sheets", json=body(world, *d, version=0), headers=headers
            )
            for d in (FIRST, SECOND)
        ],
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    lost = next(a for a in answers if a.status_code == 409)
    assert "已被他人" in lost.json["message"] and "version" in lost.json["errors"]
    won = next(a for a in answers if a.status_code == 201)
    [(version, items)] = stored(app, world)
    assert version == won.json["version"] == 1
    assert items == sorted((d["item"], d["points"], d["reason"]) for d in won.json["deductions"])


@on_postgres
def test_two_first_saves_without_a_version_both_land_in_turn(app, world, tiny, monkeypatch):
    slowed(monkeypatch)
    headers = world.headers["assessor_a"]
    answers = at_once(
        app,
        [
            lambda c, d=d: c.post(f"{tiny}/sheets", json=body(world, *d), headers=headers)
            for d in (FIRST, SECOND)
        ],
    )
    assert [a.status_code for a in answers] == [201, 201]
    [(version, items)] = stored(app, world)
    assert version == 2 and items in (as_stored(FIRST), as_stored(SECOND))


def test_a_stale_save_is_refused_and_changes_nothing(app, world, tiny, client):
    headers = world.headers["assessor_a"]
    first = client.post(f"{tiny}/sheets", json=body(world, *FIRST, version=0), headers=headers)
    assert first.status_code == 201 and first.json["version"] == 1
    stale = client.post(f"{tiny}/sheets", json=body(world, *SECOND, version=0), headers=headers)
    assert stale.status_code == 409 and "刷新" in stale.json["message"]
    assert stored(app, world) == [(1, as_stored(FIRST))]
    fresh = client.post(f"{tiny}/sheets", json=body(world, *SECOND, version=1), headers=headers)
    assert fresh.status_code == 201 and fresh.json["version"] == 2
    assert stored(app, world) == [(2, as_stored(SECOND))]
    listed = client.get(f"{tiny}/sheets", headers=headers).json
    assert [s["version"] for s in listed if s["source"] == "sheet"] == [2]


def test_replacing_a_sheet_audits_every_item_before_and_after(app, world, tiny, client):
    headers = world.headers["assessor_a"]
    client.post(f"{tiny}/sheets", json=body(world, *FIRST), headers=headers)
    client.post(f"{tiny}/sheets", json=body(world, *SECOND), headers=headers)
    with app.app_context(), use_scope(system_scope()):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "score_items")
        ).all()
    removed = [e.before for e in entries if e.action == "delete"]
    written = [e.after for e in entries if e.action == "create"]
    assert [(b["indicator"], b["points"], b["reason"]) for b in removed] == as_stored(FIRST)
    assert sorted((a["indicator"], a["points"], a["reason"]) for a in written) == sorted(
        as_stored(FIRST) + as_stored(SECOND)
    )
    assert all(e.username == "assessor_a" for e in entries)


def test_the_page_refuses_a_stale_save_and_keeps_what_was_typed(app, world, client):
    from test_web_pages import seed_results

    with app.app_context():
        cycle_id = seed_results(world)["A"]
    login(client, "assessor_a")
    url = f"/t/{world.id('A')}/cycles/{cycle_id}/sheets/org/{world.id('A-Z01')}/assessment_team"
    page = client.get(url)
    assert 'name="version" value="0"' in page.text
    headers = {"X-CSRFToken": token_of(page), "Accept": "application/json"}
    saved = client.post(url, data={"d-A1": "3", "r-A1": "缺", "version": "0"}, headers=headers)
    assert saved.status_code == 200 and saved.json["version"] == 1
    again = client.post(url, data={"d-A1": "5", "r-A1": "又缺", "version": "0"}, headers=headers)
    assert again.status_code == 409 and "刷新" in again.json["message"]
    form = client.post(
        url, data={"d-A1": "6", "r-A1": "表单所填", "version": "0", "csrf_token": token_of(page)}
    )
    assert form.status_code == 409
    assert 'value="表单所填"' in form.text and "已被他人" in form.text
    assert 'value="3"' in client.get(url).text  # nothing of the refused saves
