"""Issue 25: sheets filled offline are sent once each, checked by the sheet service, and
never overwrite silently what the same rater changed meanwhile. On both backends; the
sends that can meet (a retry and its original, two devices of one rater) are made at once
on PostgreSQL."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select
from test_web_pages import login, seeded, token_of  # noqa: F401  (fixture)

from zhibu.db import db
from zhibu.evaluations import cycles
from zhibu.models import Cycle, EvidenceFile, ScoreItem, ScoreSheet, SheetSync
from zhibu.tenancy import system_scope, use_scope


def sheet(world, cycle_id, code="A-Z01", based_on="", client_id=None, **deduction) -> dict:
    row = {"item": "A1", "points": 3, "reason": "台账缺页"} | deduction
    return {
        "client_id": client_id or str(uuid.uuid4()),
        "cycle_id": str(cycle_id),
        "kind": "org",
        "subject_id": world.id(code),
        "source": "assessment_team",
        "based_on": based_on,
        "deductions": [row],
    }


@pytest.fixture
def assessor(client, world, seeded):  # noqa: F811
    login(client, "assessor_a")
    page = client.get(f"/t/{world.id('A')}/offline")
    assert page.status_code == 200 and "我的评分表" in page.text
    client.environ_base["HTTP_X_CSRFTOKEN"] = token_of(page)
    return client


def send(client, world, body):
    return client.post(f"/t/{world.id('A')}/offline/sync", json=body)


def stored(app, world, code="A-Z01"):
    with app.app_context(), use_scope(system_scope()):
        found = db.session.scalar(
            select(ScoreSheet).where(
                ScoreSheet.subject_id == world.ids[code], ScoreSheet.rater == "assessor_a"
            )
        )
        if found is None:
            return None
        return sorted(
            (i.indicator, i.points, i.reason)
            for i in db.session.scalars(select(ScoreItem).where(ScoreItem.sheet_id == found.id))
            if i.kind == "deduction"
        )


def test_the_bundle_lists_the_raters_sheets_with_rubrics(assessor, world, seeded):  # noqa: F811
    bundle = assessor.get(f"/t/{world.id('A')}/offline/bundle.json?cycle={seeded['A']}").json
    keys = {(s["subject"], s["source"]) for s in bundle["sheets"]}
    assert ("机电系第一党支部", "assessment_team") in keys
    mine = next(s for s in bundle["sheets"] if s["subject_id"] == world.id("A-Z01"))
    assert [i["code"] for i in bundle["rubrics"][mine["rubric"]]][:2] == ["A1", "A2"]
    assert all(s["stored"] is None for s in bundle["sheets"])  # nothing of theirs yet
    # what the branches fill themselves is not the assessor's own: left to 评分表
    assert {s["source"] for s in bundle["sheets"]} == {"assessment_team"}
    listed = assessor.get(f"/t/{world.id('A')}/sheets?cycle={seeded['A']}").text
    assert "自查自评" in listed  # still there to type in a branch's paper


def test_a_secretarys_bundle_is_what_the_branch_fills(app, world, seeded):  # noqa: F811
    client = app.test_client()
    login(client, "secretary_a")
    bundle = client.get(f"/t/{world.id('A')}/offline/bundle.json?cycle={seeded['A']}").json
    assert {s["source"] for s in bundle["sheets"]} == {"self", "committee"}
    assert world.id("A-Z01") in {s["subject_id"] for s in bundle["sheets"]}


def test_the_bundle_marks_the_sheets_a_closed_phase_no_longer_takes(app, assessor, world, seeded):  # noqa: F811
    """Closed sheets come read-only to the phone (the page shows them 已截止, not 未填);
    a subject reopened by the administrator is open again, alone."""
    from test_web_pages import publish

    from zhibu.evaluations import phases

    url = f"/t/{world.id('A')}/offline/bundle.json?cycle={seeded['A']}"
    before = assessor.get(url).json["sheets"]  # 考核评分: the team's sheets, all open
    assert before and all(s["open"] for s in before)
    publish(app, world, seeded["A"], "review")
    assert not any(s["open"] for s in assessor.get(url).json["sheets"])
    with app.app_context(), use_scope(system_scope()):
        cycle = db.session.get(Cycle, (world.ids["A"], seeded["A"]))
        phases.reopen(cycle, subject_id=world.ids["A-Z02"], reason="复核", actor="admin_a")
        db.session.commit()
    opened = {s["subject_id"] for s in assessor.get(url).json["sheets"] if s["open"]}
    assert opened == {world.id("A-Z02")}


def test_a_sheet_is_saved_once_under_its_client_id(app, assessor, world, seeded):  # noqa: F811
    body = sheet(world, seeded["A"])
    first = send(assessor, world, body)
    assert first.status_code == 200 and first.json["repeated"] is False
    again = send(assessor, world, body)  # the answer was lost: sent again
    assert again.status_code == 200 and again.json["repeated"] is True
    assert again.json["digest"] == first.json["digest"]
    assert stored(app, world) == [("A1", 3.0, "台账缺页")]
    bundle = assessor.get(f"/t/{world.id('A')}/offline/bundle.json?cycle={seeded['A']}").json
    mine = next(s for s in bundle["sheets"] if s["subject_id"] == world.id("A-Z01"))
    assert mine["stored"]["digest"] == first.json["digest"]
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(func.count()).select_from(SheetSync)) == 1


def test_a_sheet_changed_meanwhile_is_a_conflict_never_overwritten(app, assessor, world, seeded):  # noqa: F811
    first = send(assessor, world, sheet(world, seeded["A"]))
    digest = first.json["digest"]
    # the rater changes the sheet elsewhere (another phone), based on the same stored one
    other = send(assessor, world, sheet(world, seeded["A"], based_on=digest, points=5))
    assert other.status_code == 200
    stale = send(assessor, world, sheet(world, seeded["A"], based_on=digest, points=1))
    assert stale.status_code == 409 and stale.json["conflict"] is True
    assert stale.json["server"]["deductions"] == [
        {"item": "A1", "points": 5.0, "reason": "台账缺页"}
    ]
    assert "已在别处修改" in stale.json["message"]
    assert stored(app, world) == [("A1", 5.0, "台账缺页")]
    # keeping the device's: sent again based on what the server holds now
    kept = send(
        assessor,
        world,
        sheet(world, seeded["A"], based_on=stale.json["server"]["digest"], points=1),
    )
    assert kept.status_code == 200 and stored(app, world) == [("A1", 1.0, "台账缺页")]


def test_a_new_sheet_when_the_server_has_one_already_is_a_conflict(app, assessor, world, seeded):  # noqa: F811
    assert send(assessor, world, sheet(world, seeded["A"])).status_code == 200
    second = send(assessor, world, sheet(world, seeded["A"], points=2))  # based on nothing
    assert second.status_code == 409


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"points": 20}, "超过该项分值 15 分"),
        ({"reason": ""}, "须注明原因"),
        ({"item": "Z9"}, "没有指标“Z9”"),
    ],
)
def test_a_refused_sheet_says_why_in_chinese_and_saves_nothing(
    app,
    assessor,
    world,
    seeded,  # noqa: F811
    change,
    words,
):
    refused = send(assessor, world, sheet(world, seeded["A"], **change))
    assert refused.status_code in (400, 422) and words in refused.json["message"]
    assert stored(app, world) is None
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(func.count()).select_from(SheetSync)) == 0


def test_a_sheet_of_a_final_cycle_or_a_removed_subject_is_refused(app, assessor, world, seeded):  # noqa: F811
    gone = send(assessor, world, sheet(world, seeded["A"]) | {"subject_id": str(uuid.uuid4())})
    assert gone.status_code == 404 and "评价对象已被删除" in gone.json["message"]
    with app.app_context(), use_scope(system_scope()):
        cycle = db.session.get(Cycle, (world.ids["A"], seeded["A"]))
        cycles.advance(cycle, "final")
    closed = send(assessor, world, sheet(world, seeded["A"]))
    assert closed.status_code == 409 and "已确定结果" in closed.json["message"]


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (0, 90, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_follows_its_sheet_once(app, assessor, world, seeded):  # noqa: F811
    url = f"/t/{world.id('A')}/offline/photos"
    form = {
        "client_id": str(uuid.uuid4()),
        "cycle_id": str(seeded["A"]),
        "subject_id": world.id("A-Z01"),
        "source": "assessment_team",
        "indicator": "A1",
    }
    early = assessor.post(url, data=form | {"file": (io.BytesIO(photo_bytes()), "A1.jpg")})
    assert early.status_code == 404 and "尚未同步" in early.json["message"]
    assert send(assessor, world, sheet(world, seeded["A"])).status_code == 200
    for repeated in (False, True):
        sent = assessor.post(url, data=form | {"file": (io.BytesIO(photo_bytes()), "A1.jpg")})
        assert sent.status_code == 200 and sent.json["repeated"] is repeated
    with app.app_context(), use_scope(system_scope()):
        files = db.session.scalars(select(EvidenceFile)).all()
        assert [(f.owner_kind, f.ref) for f in files] == [("deduction", "A1")]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_two_sends_at_once_save_one_sheet(app, world, seeded):  # noqa: F811
    """The same sheet sent twice at once (a retry overtaking its original) is saved once;
    two different sheets of the same rater based on the same stored one: one is saved,
    the other is a conflict."""
    clients = []
    for _ in range(2):
        client = app.test_client()
        login(client, "assessor_a")
        page = client.get(f"/t/{world.id('A')}/offline")
        client.environ_base["HTTP_X_CSRFTOKEN"] = token_of(page)
        clients.append(client)

    def at_once(bodies):
        answers, start = [None, None], threading.Barrier(2)

        def run(n):
            start.wait()
            answers[n] = send(clients[n], world, bodies[n])

        threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return answers

    same = sheet(world, seeded["A"])
    answers = at_once([same, same])
    assert sorted(a.status_code for a in answers) == [200, 200]
    assert sorted(a.json["repeated"] for a in answers) == [False, True]
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(func.count()).select_from(SheetSync)) == 1
    digest = answers[0].json["digest"]
    bodies = [sheet(world, seeded["A"], based_on=digest, points=p) for p in (4, 6)]
    answers = at_once(bodies)
    assert sorted(a.status_code for a in answers) == [200, 409]
    won = next(b for a, b in zip(answers, bodies, strict=True) if a.status_code == 200)
    assert stored(app, world) == [("A1", float(won["deductions"][0]["points"]), "台账缺页")]


def test_a_repeat_that_checked_before_its_first_send_committed_is_a_repeat(
    app,
    assessor,
    world,
    seeded,  # noqa: F811
    monkeypatch,
):
    """The window two sends at once can fall into: the repeat looks for its id while the
    first send is still under way (none yet), and reads the sheet once the first has
    committed. It is answered as a repeat, not as a conflict with its own first send."""
    from zhibu.evaluations import offline

    body = sheet(world, seeded["A"])
    first = send(assessor, world, body)
    assert first.status_code == 200 and not first.json["repeated"]
    looked = []

    def not_yet(tenant_id, client_id):  # the first look, made before the first send's commit
        looked.append(client_id)
        return None if len(looked) == 1 else real(tenant_id, client_id)

    real = offline._repeated
    monkeypatch.setattr(offline, "_repeated", not_yet)
    again = send(assessor, world, body)
    assert again.status_code == 200, again.json
    assert again.json["repeated"] and again.json["digest"] == first.json["digest"]
    assert stored(app, world) == [("A1", 3.0, "台账缺页")]


def test_a_deductions_photo_shows_beside_it_in_the_explanation(app, assessor, world, seeded):  # noqa: F811
    from test_web_pages import publish, result_id

    from zhibu.evaluations import compute

    assert send(assessor, world, sheet(world, seeded["A"])).status_code == 200
    form = {"client_id": str(uuid.uuid4()), "cycle_id": str(seeded["A"]), "indicator": "A1"}
    form |= {"subject_id": world.id("A-Z01"), "source": "assessment_team"}
    sent = assessor.post(
        f"/t/{world.id('A')}/offline/photos",
        data=form | {"file": (io.BytesIO(photo_bytes()), "A1.jpg")},
    )
    assert sent.status_code == 200
    with app.app_context(), use_scope(system_scope()):
        compute.recompute(db.session.get(Cycle, (world.ids["A"], seeded["A"])))
    url = f"/t/{world.id('A')}/cycles/{seeded['A']}/results/{result_id(app, world, 'A', 'A-Z01')}"
    page = assessor.get(url)
    rows = page.text.split("<tr")[1:]  # the summary above the tables names the reason too
    row = next(r for r in rows if "台账缺页" in r and "assessor_a" in r)
    assert f"/evidence/{sent.json['id']}/thumb" in row
    assessor.post("/logout", data={"csrf_token": assessor.environ_base["HTTP_X_CSRFTOKEN"]})
    publish(app, world, seeded["A"])  # an overseer reads results once published
    login(assessor, "overseer_c")
    page = assessor.get(url)
    assert "佐证材料 1 份" in page.text and "/thumb" not in page.text


def test_the_score_sheet_page_takes_a_photo_of_a_row_shown_there_and_in_the_explanation(
    app,
    assessor,
    world,
    seeded,  # noqa: F811
):
    """评分表 (online): a row's photo goes to the rater's saved sheet under the row's
    indicator, checked like every file; the sheet shows it on its row and the explanation
    beside the deduction. Before the sheet is saved, or for a file that is no photo: refused
    with the reason."""
    from test_web_pages import result_id

    from zhibu.evaluations import compute

    page_url = (
        f"/t/{world.id('A')}/cycles/{seeded['A']}/sheets/org/{world.id('A-Z01')}/assessment_team"
    )
    photos = f"{page_url}/photos"
    early = assessor.post(
        photos, data={"indicator": "A1", "file": (io.BytesIO(photo_bytes()), "A1.jpg")}
    )
    assert early.status_code == 409 and "请先填写扣分并保存评分表" in early.json["message"]
    saved = assessor.post(
        page_url,
        data={"d-A1": "2", "r-A1": "台账缺页", "version": "0"},
        headers={"Accept": "application/json"},
    )
    assert saved.status_code == 200, saved.json
    fake = assessor.post(
        photos, data={"indicator": "A1", "file": (io.BytesIO(b"no" * 99), "x.jpg")}
    )
    assert fake.status_code == 422 and "x.jpg" in fake.json["message"]
    wrong = assessor.post(
        photos, data={"indicator": "ZZ", "file": (io.BytesIO(photo_bytes()), "A1.jpg")}
    )
    assert wrong.status_code == 422 and "ZZ" in wrong.json["message"]
    sent = assessor.post(
        photos, data={"indicator": "A1", "file": (io.BytesIO(photo_bytes()), "A1.jpg")}
    )
    assert sent.status_code == 200 and sent.json["thumb"].endswith(f"{sent.json['id']}/thumb")
    page = assessor.get(page_url)
    row = next(r for r in page.text.split("<tr")[1:] if 'data-code="A1"' in r)
    assert f"/evidence/{sent.json['id']}/thumb" in row and "拍照" in row
    with app.app_context(), use_scope(system_scope()):
        files = db.session.scalars(select(EvidenceFile)).all()
        assert [(f.owner_kind, f.ref) for f in files] == [("deduction", "A1")]
        compute.recompute(db.session.get(Cycle, (world.ids["A"], seeded["A"])))
    url = f"/t/{world.id('A')}/cycles/{seeded['A']}/results/{result_id(app, world, 'A', 'A-Z01')}"
    rows = assessor.get(url).text.split("<tr")[1:]
    line = next(r for r in rows if "台账缺页" in r and "assessor_a" in r)
    assert f"/evidence/{sent.json['id']}/thumb" in line
