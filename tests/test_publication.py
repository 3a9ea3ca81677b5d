"""Issue 18 (3, 5): publishing is a deliberate act, a publication is an immutable snapshot,
results have a history, a final cycle never changes. On both backends; two administrators
confirming at once on PostgreSQL make one publication.

Seeds: "评定结果作为党务公开的一项重要内容……进行公示,接受教职工监督"; 003: "结果公示,
无异议后进行授牌".
"""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest
from authz_scene import _branch, _member, login
from sqlalchemy import func, select, text

from zhibu.db import db
from zhibu.errors import Conflict
from zhibu.evaluations import compute, cycles, phases, publication, sheets
from zhibu.models import Publication, PublicationEntry, Tenant
from zhibu.tenancy import system_scope, use_scope


def scored(app, world) -> str:
    """Tenant A's akesu_college 2021 cycle: two branches and two members scored, computed,
    in 审核评定."""
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        cycle = cycles.open_cycle(tenant, "akesu_college", "2021")
        inputs = _branch(world, "A-Z01", 50) + _branch(world, "A-Z02", 80)
        inputs += _member(world, "A-M1") + _member(world, "A-M2")
        sheets.save_many(cycle, inputs)
        compute.recompute(cycle)
        cycles.advance(cycle, "review")
        return str(cycle.id)


def rescore(app, world, cycle_id, code: str, low: float) -> None:
    """Correct a branch's democratic and superior scores and recompute (the correction
    path of an upheld objection)."""
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], uuid.UUID(cycle_id))
        org = world.ids[code]
        phases.reopen(cycle, subject_id=org, reason="更正", actor="admin_a")
        sheets.save_many(
            cycle,
            [
                sheets.SheetInput("org", org, "democratic", score=low),
                sheets.SheetInput("org", org, "superior", score=low),
            ],
        )
        compute.recompute(cycle)


def base(world, cycle_id) -> str:
    return f"/api/v1/tenants/{world.id('A')}/cycles/{cycle_id}"


def confirm(client, world, cycle_id, to="publicity", who="admin_a", **extra):
    url = base(world, cycle_id)
    seen = client.get(f"{url}/publications/preview?to={to}", headers=world.headers[who])
    assert seen.status_code == 200, seen.json
    body = {"to": to, "confirm": True, "based_on": seen.json["based_on"]}
    body["result_set_id"] = seen.json["result_set_id"]
    return client.post(f"{url}/publications", json=body | extra, headers=world.headers[who])


def test_preview_shows_what_will_be_published_and_confirming_publishes_it(app, client, world):
    cycle_id = scored(app, world)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    seen = client.get(f"{url}/publications/preview?to=publicity", headers=admin)
    assert seen.status_code == 200, seen.json
    preview = seen.json
    assert preview["version"] == 1 and preview["based_on"] == 0 and preview["changes"] == []
    assert preview["refusal"] is None and preview["subjects"] >= 4
    branch_counts = preview["counts"]["branch"]
    assert sum(branch_counts.values()) == 3  # A-Z01, A-Z02 and the retired A-Z09
    assert branch_counts.get("unrated") == 1
    # nothing is published by looking
    assert client.get(url, headers=admin).json["phase"] == "review"
    # the advance without a confirmation is refused, naming the preview
    refused = client.post(f"{url}/advance", json={}, headers=admin)
    assert refused.status_code == 409 and "publications/preview" in refused.json["message"]
    assert client.get(url, headers=admin).json["phase"] == "review"
    # a confirmation without confirm=true is refused too
    unconfirmed = client.post(
        f"{url}/publications", json={"confirm": False, "based_on": 0}, headers=admin
    )
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.json["errors"]
    made = confirm(client, world, cycle_id)
    assert made.status_code == 201, made.json
    assert made.json["version"] == 1 and made.json["phase"] == "publicity"
    assert made.json["counts"] == preview["counts"] and made.json["ends_on"]
    assert client.get(url, headers=admin).json["phase"] == "publicity"
    listed = client.get(f"{url}/publications/1", headers=admin).json
    results = client.get(f"{url}/results", headers=admin).json
    assert {(e["subject_id"], e["total"]) for e in listed["entries"]} == {
        (r["subject_id"], r["total"]) for r in results
    }


def test_the_same_preview_confirmed_twice_publishes_once(app, client, world):
    cycle_id = scored(app, world)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    seen = client.get(f"{url}/publications/preview?to=publicity", headers=admin).json
    body = {"to": "publicity", "confirm": True, "based_on": seen["based_on"]}
    assert client.post(f"{url}/publications", json=body, headers=admin).status_code == 201
    again = client.post(f"{url}/publications", json=body, headers=admin)
    assert again.status_code == 409 and "第 1 版" in again.json["message"]
    assert len(client.get(f"{url}/publications", headers=admin).json) == 1


def test_a_preview_outdated_by_a_recompute_is_refused(app, client, world):
    cycle_id = scored(app, world)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    seen = client.get(f"{url}/publications/preview?to=publicity", headers=admin).json
    rescore(app, world, cycle_id, "A-Z02", 60)
    body = {"to": "publicity", "confirm": True, "based_on": 0}
    late = client.post(
        f"{url}/publications", json=body | {"result_set_id": seen["result_set_id"]}, headers=admin
    )
    assert late.status_code == 409 and "重新计算" in late.json["message"]
    assert client.get(f"{url}/publications", headers=admin).json == []


def test_nothing_to_publish_without_results(app, client, world):
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        cycle_id = str(cycles.open_cycle(tenant, "akesu_college", "2022").id)
    preview = client.get(
        f"{base(world, cycle_id)}/publications/preview", headers=world.headers["admin_a"]
    ).json
    assert "尚未计算结果" in preview["refusal"]
    made = confirm(client, world, cycle_id)
    assert made.status_code == 409 and "尚未计算结果" in made.json["message"]


def test_the_published_list_stays_byte_for_byte_after_a_recompute(app, client, world):
    cycle_id = scored(app, world)
    assert confirm(client, world, cycle_id).status_code == 201
    login(client, "member_a")
    page = f"/t/{world.id('A')}/cycles/{cycle_id}/publication"
    before = client.get(page)
    assert before.status_code == 200 and "机电系第二党支部" in before.text
    rescore(app, world, cycle_id, "A-Z02", 60)  # results change after publication
    after = client.get(page)
    # the list itself, byte for byte (the header's CSRF token carries the second it was
    # made, so two whole pages drawn a second apart differ there)
    assert main_of(after.data) == main_of(before.data) and b"A-Z02" in main_of(after.data)
    api = client.get(
        f"{base(world, cycle_id)}/publications/1", headers=world.headers["admin_a"]
    ).json
    results = client.get(f"{base(world, cycle_id)}/results", headers=world.headers["admin_a"])
    z02 = str(world.ids["A-Z02"])
    published = next(e["total"] for e in api["entries"] if e["subject_id"] == z02)
    now = next(r["total"] for r in results.json if r["subject_id"] == z02)
    assert published != now


def main_of(page: bytes) -> bytes:
    return page[page.index(b"<main>") : page.index(b"</main>")]


def test_published_rows_are_never_updated_nor_deleted(app, client, world):
    cycle_id = scored(app, world)
    assert confirm(client, world, cycle_id).status_code == 201
    with app.app_context(), use_scope(system_scope()):
        entry = db.session.scalars(select(PublicationEntry)).first()
        entry.total = 100.0  # the service refuses
        with pytest.raises(Conflict, match="已发布的结果不能修改"):
            db.session.commit()
        db.session.rollback()
        made = db.session.scalars(select(Publication)).one()
        db.session.delete(made)
        with pytest.raises(Conflict):
            db.session.commit()
        db.session.rollback()
        for statement in (  # and so does the database, for a statement the ORM never saw
            "UPDATE publication_entries SET total = 100",
            "DELETE FROM publication_entries",
            "UPDATE publications SET version = 9",
            "DELETE FROM publications",
        ):
            with pytest.raises(Exception, match="immutable"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(PublicationEntry)) >= 4
        assert db.session.scalar(select(Publication.version)) == 1


def test_history_lists_each_version_why_and_what_changed(app, client, world):
    cycle_id = scored(app, world)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    assert confirm(client, world, cycle_id).status_code == 201
    z02 = world.ids["A-Z02"]
    made = client.post(
        f"{url}/objections",
        json={"subject_kind": "org", "subject_id": str(z02), "reason": "民主测评漏录一份"},
        headers=world.headers["member_a"],
    )
    assert made.status_code == 201, made.json
    answered = client.post(
        f"{url}/objections/{made.json['id']}/answer",
        json={"decision": "uphold", "answer": "经核实,补录后重新计算"},
        headers=admin,
    )
    assert answered.status_code == 200 and answered.json["status"] == "upheld"
    time.sleep(0.01)
    rescore(app, world, cycle_id, "A-Z02", 60)
    assert confirm(client, world, cycle_id).status_code == 201  # version 2
    found = client.get(f"{url}/subjects/org/{z02}/history", headers=admin)
    assert found.status_code == 200, found.json
    rows = found.json
    assert [r["version"] for r in rows] == [1, 2] and rows[-1]["current"]
    assert rows[0]["why"] == "first" and rows[0]["publications"][0]["version"] == 1
    assert rows[1]["why"] == "objection" and rows[1]["objections"] == ["民主测评漏录一份"]
    assert rows[1]["changed"]["total"]["from"] != rows[1]["changed"]["total"]["to"]
    assert rows[1]["publications"][0]["version"] == 2
    # the re-publication shows the difference
    second = client.get(f"{url}/publications/2", headers=admin).json
    assert [c["code"] for c in second["changes"]] == ["A-Z02"]
    # the result page names its publication and lists the history
    login(client, "admin_a")
    result_id = rows[1]["result_id"]
    page = client.get(f"/t/{world.id('A')}/cycles/{cycle_id}/results/{result_id}")
    assert page.status_code == 200
    assert "公示名单第 2 版" in page.text and "异议成立后更正" in page.text
    # a member may not read a unit's history through the API (not their result)
    other = client.get(f"{url}/subjects/org/{z02}/history", headers=world.headers["member_a"])
    assert other.status_code == 404


def test_a_final_cycle_never_changes_again(app, client, world):
    cycle_id = scored(app, world)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    assert confirm(client, world, cycle_id).status_code == 201
    final = confirm(client, world, cycle_id, to="final")
    assert final.status_code == 201 and final.json["phase"] == "final"
    assert final.json["version"] == 2
    assert client.post(f"{url}/recompute", headers=admin).status_code == 409
    reopen = client.post(f"{url}/reopen", json={"reason": "再改一次"}, headers=admin)
    assert reopen.status_code == 409 and "不再改变" in reopen.json["message"]
    again = client.get(f"{url}/publications/preview?to=publicity", headers=admin)
    assert again.status_code == 409
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], uuid.UUID(cycle_id))
        with pytest.raises(Conflict):
            compute.recompute(cycle)
        db.session.rollback()
        with pytest.raises(Conflict):
            sheets.save_many(cycle, _branch(world, "A-Z01", 90))
        db.session.rollback()
        with pytest.raises(Conflict):
            publication.publish(cycle, "final", based_on=2)
        assert cycles.get_cycle(world.ids["A"], uuid.UUID(cycle_id)).phase == "final"
    assert len(client.get(f"{url}/publications", headers=admin).json) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_admins_confirming_at_once_make_one_publication(app, world, monkeypatch):
    cycle_id = scored(app, world)
    with app.app_context(), use_scope(system_scope()):
        _make_second_admin(world)
    original = publication.latest

    def slow(cycle):  # both read the newest version before either writes
        found = original(cycle)
        time.sleep(0.5)
        return found

    monkeypatch.setattr(publication, "latest", slow)
    url = base(world, cycle_id)
    body = {"to": "publicity", "confirm": True, "based_on": 0}
    barrier = threading.Barrier(2)
    answers = [None, None]

    def run(index, who):
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post(f"{url}/publications", json=body, headers=world.headers[who])

    threads = [
        threading.Thread(target=run, args=(i, w)) for i, w in enumerate(("admin_a", "admin_a2"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.status_code for a in answers) == [201, 409], [a.json for a in answers]
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(func.count()).select_from(Publication)) == 1
        made = db.session.scalars(select(Publication)).one()
        entries = db.session.scalar(select(func.count()).select_from(PublicationEntry))
        assert entries == sum(n for c in made.counts.values() for n in c.values()) >= 4
        assert cycles.get_cycle(world.ids["A"], uuid.UUID(cycle_id)).phase == "publicity"


def _make_second_admin(world) -> None:
    from world import _user

    from zhibu.accounts.auth import issue_token

    user = _user(world, "admin_a2", db.session.get(Tenant, world.ids["A"]), "tenant_admin")
    db.session.commit()
    plain, _ = issue_token(user, "tests")
    world.headers["admin_a2"] = {"Authorization": f"Bearer {plain}"}


def test_working_days_skip_the_weekend():
    from datetime import date

    friday = date(2026, 12, 4)
    assert publication.add_working_days(friday, 5) == date(2026, 12, 11)
    assert publication.add_working_days(date(2026, 12, 7), 5) == date(2026, 12, 14)
    assert publication.add_working_days(friday, 1) == date(2026, 12, 7)


def test_the_preview_names_the_subjects_without_a_total_and_why(app, client, world):
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        cycle = cycles.open_cycle(tenant, "akesu_college", "2023")
        sheets.save_many(cycle, _branch(world, "A-Z01", 80))  # A-Z02 has no sheet at all
        compute.recompute(cycle)
        cycle_id = str(cycle.id)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    preview = client.get(f"{url}/publications/preview", headers=admin).json
    missing = {m["code"]: m for m in preview["missing"]}
    assert "A-Z02" in missing and "A-Z01" not in missing
    assert missing["A-Z02"]["flags"] and missing["A-Z02"]["name"] == "机电系第二党支部"
    assert preview["counts"]["branch"]["missing"] == len(
        [m for m in preview["missing"] if m["track"] == "branch"]
    )
    login(client, "admin_a")
    page = client.get(
        f"/t/{world.id('A')}/cycles/{cycle_id}/publish", query_string={"to": "publicity"}
    )
    assert page.status_code == 200 and "评分不全的对象" in page.text
    assert "机电系第二党支部" in page.text and "确认发布" in page.text
    assert "missing_source" not in page.text  # the flag by its name, not its key


def test_the_publicity_period_is_the_schemes_setting(app, client, world):
    from dataclasses import replace
    from datetime import date

    from tiny_scheme import TINY
    from world import enable_scheme

    enable_scheme(app, world.ids["A"], replace(TINY, publicity_days=3))
    tiny = f"/api/v1/tenants/{world.id('A')}/cycles"
    made = client.post(
        tiny, json={"scheme_key": "tiny", "period": "2021"}, headers=world.headers["admin_a"]
    )
    url = f"{tiny}/{made.json['id']}"
    assert client.post(f"{url}/recompute", headers=world.headers["admin_a"]).status_code == 200
    published = confirm(client, world, made.json["id"])
    assert published.status_code == 201, published.json
    expected = publication.add_working_days(date.today(), 3)
    assert published.json["ends_on"] == expected.isoformat()


def test_the_pages_publish_only_after_the_confirmation(app, client, world):
    from authz_scene import token_of

    cycle_id = scored(app, world)
    login(client, "admin_a")
    detail = f"/t/{world.id('A')}/cycles/{cycle_id}"
    page = client.get(detail)
    assert "查看并确认" in page.text and f"{detail}/publish?to=publicity" in page.text
    # the old one-click advance only leads to the confirmation: nothing is published
    moved = client.post(f"{detail}/advance", data={"csrf_token": token_of(page)})
    assert moved.status_code == 302 and moved.location.endswith("/publish?to=publicity")
    assert client.get(f"{detail}/publication").text.count("尚未发布公示名单") == 1
    shown = client.get(f"{detail}/publish", query_string={"to": "publicity"})
    assert shown.status_code == 200 and "确认发布公示名单" in shown.text
    assert "第 1 版" in shown.text and "这是第一次发布" in shown.text
    without_token = client.post(f"{detail}/publish", data={"to": "publicity", "based_on": "0"})
    assert without_token.status_code == 400
    form = {"csrf_token": token_of(shown), "to": "publicity", "based_on": "0"}
    done = client.post(f"{detail}/publish", data=form, follow_redirects=True)
    assert done.status_code == 200 and "已发布公示名单第 1 版" in done.text
    assert "机电系第一党支部" in done.text
    again = client.post(f"{detail}/publish", data=form)  # the same page confirmed twice
    assert again.status_code == 409 and "第 1 版" in again.text
    assert "确认重新发布公示名单" in again.text  # drawn again, as it now stands
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalar(select(func.count()).select_from(Publication)) == 1


def test_the_confirmation_says_when_publicity_ends_later_than_the_calendar(app, client, world):
    """公示期 runs its working days from the day of publishing; when that ends after the
    cycle's own calendar says publicity ends (a late cycle), the page says so, naming the
    planned day; within the calendar it says nothing."""
    from zhibu.models import Cycle

    cycle_id = scored(app, world)
    login(client, "admin_a")
    page = f"/t/{world.id('A')}/cycles/{cycle_id}/publish"

    def plan(day: str) -> None:
        with app.app_context(), use_scope(system_scope()):
            cycle = db.session.get(Cycle, (world.ids["A"], uuid.UUID(str(cycle_id))))
            cycle.deadlines = {**(cycle.deadlines or {}), "publicity": day}
            db.session.commit()

    plan("2022-01-15")
    late = client.get(page, query_string={"to": "publicity"}).text
    assert "晚于本周期日程中的公示截止日 2022-01-15。" in late
    plan("2999-12-31")
    assert "晚于本周期日程" not in client.get(page, query_string={"to": "publicity"}).text


def test_the_preview_lists_the_first_of_many_and_counts_them_all(app, client, world, monkeypatch):
    """Issue 19: the preview reads no whole cycle; it lists the first of the subjects
    without a level and of the differences, and counts them all. The differences the
    database picks out are exactly those of the whole lists."""
    cycle_id = scored(app, world)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    assert confirm(client, world, cycle_id).status_code == 201
    rescore(app, world, cycle_id, "A-Z02", 60)
    rescore(app, world, cycle_id, "A-Z01", 90)
    with app.app_context(), use_scope(system_scope()):
        cycle = cycles.get_cycle(world.ids["A"], uuid.UUID(cycle_id))
        whole = publication.differences(
            publication._entry_rows(publication.latest(cycle)),
            publication._results(compute.current_set(cycle)),
        )
    assert [c["code"] for c in whole] == ["A-Z01", "A-Z02"]
    monkeypatch.setattr(publication, "SHOWN", 1)
    preview = client.get(f"{url}/publications/preview", headers=admin).json
    assert preview["changes_total"] == 2 and len(preview["changes"]) == 1
    shown = preview["changes"][0]
    assert shown["code"] == "A-Z01" and shown["name"] == "机电系第一党支部"
    assert {k: shown[k] for k in ("change", "from", "to")} == {
        k: whole[0][k] for k in ("change", "from", "to")
    }
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/cycles/{cycle_id}/publish")
    assert "共 2 处变化,下面列出前 1 处" in page.text


def test_the_preview_counts_every_subject_without_a_level(app, client, world, monkeypatch):
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.get(Tenant, world.ids["A"])
        cycle = cycles.open_cycle(tenant, "akesu_college", "2023")
        sheets.save_many(cycle, _branch(world, "A-Z01", 80))  # no sheet for anyone else
        compute.recompute(cycle)
        cycle_id = str(cycle.id)
    url, admin = base(world, cycle_id), world.headers["admin_a"]
    whole = client.get(f"{url}/publications/preview", headers=admin).json
    assert whole["missing_total"] == len(whole["missing"]) >= 2
    monkeypatch.setattr(publication, "SHOWN", 1)
    preview = client.get(f"{url}/publications/preview", headers=admin).json
    assert preview["missing"] == whole["missing"][:1]
    assert preview["missing_total"] == whole["missing_total"]
    assert sum(t.get("missing", 0) for t in preview["counts"].values()) == whole["missing_total"]
    login(client, "admin_a")
    page = client.get(f"/t/{world.id('A')}/cycles/{cycle_id}/publish")
    assert f"共 {whole['missing_total']} 个,下面列出前 1 个" in page.text
    listed = client.get(
        f"/t/{world.id('A')}/cycles/{cycle_id}/results", query_string={"level": "missing"}
    )
    assert "机电系第二党支部" in listed.text and "机电系第一党支部" not in listed.text
    api = client.get(f"{url}/results", query_string={"level": "missing"}, headers=admin).json
    assert len(api) == whole["missing_total"]


def test_the_published_list_is_paged_and_filtered(app, client, world, monkeypatch):
    """Issue 19: everyone of the tenant opens the 公示名单 (a city's has sixty thousand
    entries): it comes a page at a time, found by name or code, the pager keeping it."""
    cycle_id = scored(app, world)
    assert confirm(client, world, cycle_id).status_code == 201
    monkeypatch.setattr(publication, "ENTRIES_PAGE", 2)
    url = f"/t/{world.id('A')}/cycles/{cycle_id}/publication"
    login(client, "admin_a")
    first = client.get(url)
    assert first.status_code == 200
    total = int(re.search(r"共 (\d+) 条", first.text).group(1))
    assert total >= 5 and first.text.count("<tr data-code=") == 2
    assert "第 1 / " in first.text and 'rel="next"' in first.text
    last = client.get(url, query_string={"page": 999})
    assert last.text.count("<tr data-code=") == total - 2 * ((total - 1) // 2)
    found = client.get(url, query_string={"q": "第二党支部"})
    assert "共 1 条" in found.text and 'data-code="A-Z02"' in found.text
    by_code = client.get(url, query_string={"q": "A-M"})
    assert "共 2 条" in by_code.text and 'href="/t/' in by_code.text
    cells = re.findall(r'<tr data-code="[^"]+">\s*<td>(.*?)</td>', by_code.text)
    shown_cells = sorted(re.sub(r"<[^>]+>", "", c) for c in cells)
    assert shown_cells == ["张三 A-M1", "李四 A-M2"]  # found by code, the code is shown
    literal = client.get(url, query_string={"q": "%"})
    assert "共 0 条" in literal.text  # matched as written, not as a pattern
    member = app.test_client()
    login(member, "member_a")
    own = member.get(url)
    shown = re.findall(r'<tr data-code="([^"]+)"', member.get(url, query_string={"q": "A-M"}).text)
    assert own.status_code == 200 and shown == ["A-M1"]  # their own, not another member's


def test_a_versions_entries_are_read_a_page_at_a_time(app, client, world):
    """``…/publications/<version>/entries``: the whole version's entries in the list's
    order, page by page, filtered by track and by name or code, as the caller may read
    them; a page past the last is empty."""
    cycle_id = scored(app, world)
    assert confirm(client, world, cycle_id).status_code == 201
    url, admin = f"{base(world, cycle_id)}/publications/1", world.headers["admin_a"]
    whole = client.get(url, headers=admin).json["entries"]
    paged, page = [], 1
    while True:
        answer = client.get(f"{url}/entries?page_size=2&page={page}", headers=admin)
        assert answer.status_code == 200, answer.json
        if not answer.json:
            break
        paged += answer.json
        page += 1
    assert len(whole) > 2 and len(paged) == len(whole)
    assert sorted(e["subject_id"] for e in paged) == sorted(e["subject_id"] for e in whole)
    total = int(re.search(r'"total": (\d+)', answer.headers["X-Pagination"]).group(1))
    assert total == len(whole)
    units_first = [e["subject_kind"] for e in paged]
    assert units_first == sorted(units_first, reverse=True)  # org before member
    found = client.get(f"{url}/entries?q=Z02", headers=admin).json
    assert [e["subject_code"] for e in found] == ["A-Z02"]
    track = whole[0]["track"]
    of_track = client.get(f"{url}/entries?track={track}&page_size=100", headers=admin).json
    assert of_track and {e["track"] for e in of_track} == {track}
    assert len(of_track) == sum(1 for e in whole if e["track"] == track)
    mine = client.get(f"{url}/entries?page_size=100", headers=world.headers["member_a"]).json
    members = {e["subject_id"] for e in mine if e["subject_kind"] == "member"}
    assert members == {str(world.ids["A-M1"])}  # a member reads units and themselves
    refused = client.get(f"{url}/entries?q={'x' * 101}", headers=admin)
    assert refused.status_code == 422 and "q" in refused.json["errors"]["query"]
