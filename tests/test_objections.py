"""Issue 18 (4): objections (异议) to published results. During 结果公示 any user of the
tenant lodges one with a reason (page and API); the administrator rejects it with a
written answer or upholds it; finalizing is refused while any is open; the publicity period
ends after five working days; the one who lodged it sees the answer, overseers see counts.
On both backends; two administrators answering one objection at once on PostgreSQL.

Seeds: "评定结果作为党务公开的一项重要内容……进行公示,接受教职工监督"; 003: "结果公示,
无异议后进行授牌".
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from authz_scene import login, token_of
from test_publication import base, confirm, scored

from zhibu.db import db
from zhibu.evaluations import publication
from zhibu.models import Objection
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def published(app, client, world) -> str:
    cycle_id = scored(app, world)
    assert confirm(client, world, cycle_id).status_code == 201
    return cycle_id


def lodge(client, world, cycle_id, who, code="A-Z02", reason="测评票数统计有误", kind="org"):
    body = {"subject_kind": kind, "subject_id": world.id(code), "reason": reason}
    return client.post(f"{base(world, cycle_id)}/objections", json=body, headers=world.headers[who])


def test_anyone_of_the_tenant_objects_and_sees_only_their_own(client, world, published):
    url = base(world, published)
    for who in ("member_a", "secretary_a", "assessor_a"):
        made = lodge(client, world, published, who, reason=f"{who} 的理由")
        assert made.status_code == 201, made.json
        assert made.json["status"] == "open" and made.json["publication_version"] == 1
        assert made.json["subject_name"] == "机电系第二党支部"
    mine = client.get(f"{url}/objections", headers=world.headers["member_a"]).json
    assert [o["reason"] for o in mine] == ["member_a 的理由"]
    every = client.get(f"{url}/objections", headers=world.headers["admin_a"]).json
    assert len(every) == 3
    # an overseer neither lodges nor reads them (counts only, on the oversight page)
    assert lodge(client, world, published, "overseer_c").status_code == 403
    assert client.get(f"{url}/objections", headers=world.headers["overseer_c"]).status_code == 403
    # another tenant's administrator: no such tenant
    assert lodge(client, world, published, "admin_b").status_code == 404


def test_an_objection_needs_a_reason_and_a_published_subject_in_sight(client, world, published):
    empty = lodge(client, world, published, "member_a", reason="  ")
    assert empty.status_code == 422 and list(empty.json["errors"]) == ["reason"]
    # another member's result is not the member's to see: as if not published
    other = lodge(client, world, published, "member_a", code="A-M2", kind="member")
    assert other.status_code == 404 and list(other.json["errors"]) == ["subject_id"]
    own = lodge(client, world, published, "member_a", code="A-M1", kind="member")
    assert own.status_code == 201
    stranger = lodge(client, world, published, "member_a", code="B-Z01")
    assert stranger.status_code == 404


def test_no_objection_outside_publicity_or_after_its_end(app, client, world, monkeypatch):
    cycle_id = scored(app, world)
    early = lodge(client, world, cycle_id, "member_a")
    assert early.status_code == 409 and "不在结果公示阶段" in early.json["message"]
    made = confirm(client, world, cycle_id)
    ends_on = made.json["ends_on"]
    from datetime import date

    end = date.fromisoformat(ends_on)
    assert (end - date.today()).days >= 5 and end.weekday() < 5
    monkeypatch.setattr(publication, "today", lambda: end)
    assert lodge(client, world, cycle_id, "member_a").status_code == 201  # the last day
    monkeypatch.setattr(publication, "today", lambda: end + timedelta(days=1))
    late = lodge(client, world, cycle_id, "member_a")
    assert late.status_code == 409 and ends_on in late.json["message"]


def test_finalizing_waits_for_every_objection(client, world, published):
    url, admin = base(world, published), world.headers["admin_a"]
    first = lodge(client, world, published, "member_a").json
    second = lodge(client, world, published, "secretary_a", code="A-Z01").json
    preview = client.get(f"{url}/publications/preview?to=final", headers=admin).json
    assert "2 条异议未处理" in preview["refusal"] and len(preview["open_objections"]) == 2
    refused = confirm(client, world, published, to="final")
    assert refused.status_code == 409 and "2 条异议未处理" in refused.json["message"]
    # an answer is written, or nothing is decided
    blank = client.post(
        f"{url}/objections/{first['id']}/answer",
        json={"decision": "reject", "answer": " "},
        headers=admin,
    )
    assert blank.status_code == 422 and list(blank.json["errors"]) == ["answer"]
    not_admin = client.post(
        f"{url}/objections/{first['id']}/answer",
        json={"decision": "reject", "answer": "无"},
        headers=world.headers["assessor_a"],
    )
    assert not_admin.status_code == 403
    rejected = client.post(
        f"{url}/objections/{first['id']}/answer",
        json={"decision": "reject", "answer": "经核对票数无误"},
        headers=admin,
    )
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    twice = client.post(
        f"{url}/objections/{first['id']}/answer",
        json={"decision": "uphold", "answer": "改判"},
        headers=admin,
    )
    assert twice.status_code == 409
    still = confirm(client, world, published, to="final")
    assert still.status_code == 409 and "1 条异议未处理" in still.json["message"]
    client.post(
        f"{url}/objections/{second['id']}/answer",
        json={"decision": "reject", "answer": "评分依据充分"},
        headers=admin,
    )
    # the one who lodged it reads the answer
    mine = client.get(f"{url}/objections", headers=world.headers["member_a"]).json
    assert mine[0]["answer"] == "经核对票数无误" and mine[0]["status"] == "rejected"
    final = confirm(client, world, published, to="final")
    assert final.status_code == 201 and final.json["phase"] == "final"
    assert lodge(client, world, published, "member_a").status_code == 409


def test_the_objection_page_keeps_what_was_typed_and_lists_the_answer(client, world, published):
    page_url = f"/t/{world.id('A')}/cycles/{published}/objections"
    subject = f"org:{world.id('A-Z02')}"
    login(client, "member_a")
    home = client.get(f"/t/{world.id('A')}/me")  # the member's page leads to the list
    assert f"/cycles/{published}/publication" in home.text and "公示期至" in home.text
    listed = client.get(f"/t/{world.id('A')}/cycles/{published}/publication")
    assert "提出异议" in listed.text and "objections?subject=org" in listed.text
    form = client.get(page_url, query_string={"subject": subject})
    assert form.status_code == 200 and "机电系第二党支部" in form.text and "异议理由" in form.text
    token = token_of(form)
    typed = "x" * 2001
    refused = client.post(page_url, data={"csrf_token": token, "subject": subject, "reason": typed})
    assert refused.status_code == 422 and "2000" in refused.text and typed in refused.text
    made = client.post(
        page_url,
        data={"csrf_token": token, "subject": subject, "reason": "民主测评票遗漏"},
        follow_redirects=True,
    )
    assert made.status_code == 200 and "民主测评票遗漏" in made.text and "待处理" in made.text
    client.post("/logout", data={"csrf_token": token_of(made)})
    login(client, "admin_a")
    admin_page = client.get(page_url)
    assert "民主测评票遗漏" in admin_page.text and "· 张三" in admin_page.text  # the member
    with client.application.app_context(), use_scope(system_scope()):
        objection_id = db.session.query(Objection.id).scalar()
    answered = client.post(
        f"{page_url}/{objection_id}/answer",
        data={"csrf_token": token_of(admin_page), "decision": "uphold", "answer": "已核实,更正"},
        follow_redirects=True,
    )
    assert "已采纳异议" in answered.text and "已采纳" in answered.text
    # the finalizing page says why it is refused when objections are open, and refuses it
    lodge(client, world, published, "secretary_a")
    confirm_url = f"/t/{world.id('A')}/cycles/{published}/publish"
    shown = client.get(confirm_url, query_string={"to": "final"})
    assert shown.status_code == 200 and "1 条异议未处理" in shown.text
    assert "confirm-publish" not in shown.text
    posted = client.post(
        confirm_url, data={"csrf_token": token_of(shown), "to": "final", "based_on": "1"}
    )
    assert posted.status_code == 409 and "1 条异议未处理" in posted.text


def test_overseers_see_counts_of_open_objections(app, client, world, published):
    lodge(client, world, published, "member_a")
    lodge(client, world, published, "secretary_a")
    with app.app_context(), use_scope(system_scope()):
        counts = publication.open_objections([world.ids["A"], world.ids["B"]])
    assert counts == {world.ids["A"]: 2}
    login(client, "overseer_c")
    page = client.get(f"/t/{world.id('C')}/oversight")
    assert page.status_code == 200
    assert '<td class="num objections">2</td>' in page.text
    assert "测评票数统计有误" not in page.text


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_admins_answering_one_objection_at_once_answer_it_once(
    app, client, world, published, monkeypatch
):
    from test_publication import _make_second_admin

    with app.app_context(), use_scope(system_scope()):
        _make_second_admin(world)
    made = lodge(client, world, published, "member_a").json
    url = f"{base(world, published)}/objections/{made['id']}/answer"
    original = publication.get_objection

    def slow(cycle, objection_id):  # both find it open before either answers
        found = original(cycle, objection_id)
        assert found.status == "open"
        threading.Event().wait(0.5)
        return found

    monkeypatch.setattr(publication, "get_objection", slow)
    barrier = threading.Barrier(2)
    answers = [None, None]

    def run(index, who, decision):
        mine = app.test_client()
        barrier.wait()
        answers[index] = mine.post(
            url, json={"decision": decision, "answer": f"{who} 的答复"}, headers=world.headers[who]
        )

    threads = [
        threading.Thread(target=run, args=(0, "admin_a", "reject")),
        threading.Thread(target=run, args=(1, "admin_a2", "uphold")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
    winner = next(a.json for a in answers if a.status_code == 200)
    with app.app_context(), use_scope(system_scope()):
        stored = db.session.query(Objection).one()
        assert (stored.status, stored.answer) == (winner["status"], winner["answer"])


def test_objections_and_publications_are_in_the_audit_log(client, world, published):
    url, admin = base(world, published), world.headers["admin_a"]
    made = lodge(client, world, published, "member_a").json
    client.post(
        f"{url}/objections/{made['id']}/answer",
        json={"decision": "reject", "answer": "经核对无误"},
        headers=admin,
    )
    audit = f"/api/v1/tenants/{world.id('A')}/audit"
    log = client.get(f"{audit}?entity=objections", headers=admin).json
    answered = next(e for e in log if e["action"] == "update")
    assert answered["before"]["status"] == "open" and answered["after"]["status"] == "rejected"
    assert answered["username"] == "admin_a"
    lodged = next(e for e in log if e["action"] == "create")
    assert lodged["username"] == "member_a"
    published_log = client.get(f"{audit}?action=publish", headers=admin).json
    assert published_log[0]["after"]["version"] == 1
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/activity")
    assert "异议" in page.text and "发布结果" in page.text
    assert ">objections<" not in page.text and ">publications<" not in page.text


# --- files with an objection (issue 25) ---------------------------------------------------


def _photo(colour=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_an_objection_filed_on_the_page_carries_files_its_author_and_the_admin_see(
    app, client, world, published
):
    """Files checked by content and size when filing (a refusal saves neither the objection
    nor a file); shown as thumbnails and a list to its author and the administrator, to
    nobody else (another member, a secretary, an overseer, another tenant)."""
    import io
    import re
    from pathlib import Path

    from sqlalchemy import func, select

    from zhibu.models import EvidenceFile

    page_url = f"/t/{world.id('A')}/cycles/{published}/objections"
    subject = f"org:{world.id('A-Z02')}"
    login(client, "member_a")
    form = client.get(page_url, query_string={"subject": subject})
    assert 'enctype="multipart/form-data"' in form.text and 'name="files"' in form.text

    def post(files):
        data = {"csrf_token": token_of(form), "subject": subject, "reason": "票数有误,附照片"}
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
        return client.post(page_url, data=data, content_type="multipart/form-data")

    refused = post([("测评票.jpg", _photo()), ("假照片.jpg", b"MZ not a photo" * 50)])
    assert refused.status_code == 422 and "假照片.jpg" in refused.text
    assert "不是 JPEG、PNG 或 HEIC 图片" in refused.text and "票数有误,附照片" in refused.text
    app.config["ZHIBU_EVIDENCE_MAX_BYTES"] = 20_000
    big = post([("大照片.jpg", _photo() + b"\0" * 30_000)])
    assert big.status_code == 422 and "大照片.jpg" in big.text and "超过上限" in big.text
    app.config["ZHIBU_EVIDENCE_MAX_BYTES"] = None
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(func.count()).select_from(Objection)) == 0
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0
    made = post([("测评票.jpg", _photo()), ("统计表.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n")])
    assert made.status_code == 302
    mine = client.get(page_url)
    thumbs = re.findall(rf"/t/{world.id('A')}/evidence/([0-9a-f-]+)/thumb", mine.text)
    assert len(thumbs) == 1 and "测评票.jpg" in mine.text and "统计表.pdf" in mine.text
    assert client.get(f"/t/{world.id('A')}/evidence/{thumbs[0]}").data == _photo()
    with app.app_context(), use_scope(system_scope()):
        rows = db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.media_type)).all()
        assert [(r.owner_kind, r.media_type) for r in rows] == [
            ("objection", "application/pdf"),
            ("objection", "image/jpeg"),
        ]
        assert all(r.storage_key.startswith(f"{world.id('A')}/") for r in rows)
    assert (Path(app.instance_path) / "evidence" / rows[1].storage_key).read_bytes() == _photo()
    client.post("/logout", data={"csrf_token": token_of(mine)})

    login(client, "admin_a")  # who answers it sees them
    every = client.get(page_url)
    assert f"/evidence/{thumbs[0]}/thumb" in every.text and "统计表.pdf" in every.text
    assert client.get(f"/t/{world.id('A')}/evidence/{thumbs[0]}/thumb").status_code == 200
    client.post("/logout", data={"csrf_token": token_of(every)})
    for who, status in (("secretary_a", 403), ("assessor_a", 403), ("overseer_c", 403)):
        login(client, who)
        assert client.get(f"/t/{world.id('A')}/evidence/{thumbs[0]}").status_code == status, who
        assert "测评票.jpg" not in client.get(page_url).text
        client.post("/logout", data={"csrf_token": token_of(client.get("/login"))})
    login(client, "admin_b")  # another tenant: no such file
    assert client.get(f"/t/{world.id('A')}/evidence/{thumbs[0]}").status_code == 404
    assert client.get(f"/t/{world.id('B')}/evidence/{thumbs[0]}").status_code == 404


def test_the_api_files_an_objection_then_its_files(client, world, published):
    """POST …/objections, then its files (multipart); the list names them; the file opens
    for its author and the administrator only; a refused file is 422 naming it."""
    import io

    url = base(world, published)
    made = lodge(client, world, published, "secretary_a").json
    assert made["files"] == []
    files_url = f"{url}/objections/{made['id']}/files"

    def send(who, files):
        data = {"files": [(io.BytesIO(content), name) for name, content in files]}
        return client.post(
            files_url, data=data, headers=world.headers[who], content_type="multipart/form-data"
        )

    refused = send("secretary_a", [("好.jpg", _photo()), ("坏.png", b"not a png at all" * 9)])
    assert refused.status_code == 422 and "坏.png" in refused.json["message"]
    assert send("member_a", [("好.jpg", _photo())]).status_code == 403  # not its author
    sent = send("secretary_a", [("好.jpg", _photo()), ("说明.pdf", b"%PDF-1.4\n%\xe2\xe3\n")])
    assert sent.status_code == 201, sent.json
    assert [f["media_type"] for f in sent.json] == ["image/jpeg", "application/pdf"]
    listed = client.get(f"{url}/objections", headers=world.headers["admin_a"]).json
    assert sorted(f["filename"] for f in listed[0]["files"]) == ["好.jpg", "说明.pdf"]
    photo = f"{files_url}/{sent.json[0]['id']}"
    for who, status in (("secretary_a", 200), ("admin_a", 200), ("assessor_a", 403)):
        got = client.get(photo, headers=world.headers[who])
        assert got.status_code == status, who
    assert client.get(photo, headers=world.headers["secretary_a"]).data == _photo()
    assert client.get(photo, headers=world.headers["overseer_c"]).status_code == 403
    assert client.get(photo, headers=world.headers["admin_b"]).status_code == 404
    # answered: no more files
    client.post(
        f"{url}/objections/{made['id']}/answer",
        json={"decision": "reject", "answer": "经核对无误"},
        headers=world.headers["admin_a"],
    )
    assert send("secretary_a", [("晚.jpg", _photo())]).status_code == 409


def test_pages_name_people_not_their_logins(app, client, world, published):
    """An objection names who lodged it (the user's name, else the member's), the confirm
    page too, and the cycle page who reopened the inputs: never a login name."""
    from zhibu.models import User

    with app.app_context(), use_scope(system_scope()):
        for username, name in (("admin_a", "王管理"), ("secretary_a", "李书记")):
            db.session.query(User).filter_by(username=username).update({"display_name": name})
        db.session.commit()
    lodge(client, world, published, "member_a")
    lodge(client, world, published, "secretary_a")
    login(client, "admin_a")
    page_url = f"/t/{world.id('A')}/cycles/{published}/objections"
    page = client.get(page_url)
    assert "· 张三" in page.text and "· 李书记" in page.text
    assert "member_a" not in page.text and "secretary_a" not in page.text
    shown = client.get(
        f"/t/{world.id('A')}/cycles/{published}/publish", query_string={"to": "final"}
    )
    assert "(李书记)" in shown.text and "secretary_a" not in shown.text
    with app.app_context(), use_scope(system_scope()):
        objection_id = db.session.query(Objection.id).filter_by(username="member_a").scalar()
    client.post(
        f"{page_url}/{objection_id}/answer",
        data={"csrf_token": token_of(page), "decision": "uphold", "answer": "已核实,更正"},
    )
    cycle_page = client.get(f"/t/{world.id('A')}/cycles/{published}")
    assert "重新开放录入(王管理:" in cycle_page.text and "admin_a" not in cycle_page.text
