"""Every kind of job and every stage a job reports has a name users read, in Chinese and
in English; the jobs page and the API show the names, never the keys (``recompute_cycle``,
``storing results``)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from test_web_pages import login, seeded, token_of  # noqa: F401

from zhibu.api.jobs import JOB_KINDS
from zhibu.jobs import names, tasks
from zhibu.jobs.progress import inline_meta, report_progress

PLATFORM = Path(names.__file__).resolve().parents[1]
PO = PLATFORM / "web/translations/en/LC_MESSAGES/messages.po"


def reported_stages() -> set[tuple[str, str]]:
    """(file, stage) for every literal stage passed to a progress call in the platform."""
    found = set()
    for path in PLATFORM.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 3:
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else None
            callee = node.func.id if isinstance(node.func, ast.Name) else callee
            if callee in ("progress", "report_progress"):
                stage = node.args[2]
                assert isinstance(stage, ast.Constant), f"{path}: a stage must be a literal key"
                found.add((path.name, stage.value))
    return found


def english() -> dict[str, str]:
    with PO.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_job_kind_and_every_reported_stage_has_a_name_in_both_languages():
    functions = {n for n, f in inspect.getmembers(tasks, inspect.isfunction) if n[0] != "_"}
    functions = {n for n in functions if inspect.getmodule(getattr(tasks, n)) is tasks}
    started = {path.rpartition(".")[2] for path, _need in JOB_KINDS.values()}
    assert functions and started <= functions
    assert functions <= set(names.JOB_KIND_NAMES), functions - set(names.JOB_KIND_NAMES)
    stages = reported_stages()
    assert {s for _f, s in stages} >= {"storing results", "building report", "importing members"}
    missing = {(f, s) for f, s in stages if s not in names.STAGE_NAMES}
    assert not missing, f"stages without a name in zhibu.jobs.names: {missing}"
    po = english()
    for name in [*names.JOB_KIND_NAMES.values(), *names.STAGE_NAMES.values()]:
        msgid = name._args[0] if hasattr(name, "_args") else str(name)
        assert po.get(msgid), f"no English for {msgid!r} in messages.po"
        assert not re.search(r"[a-z]_[a-z]", msgid)


def test_a_stage_without_a_name_is_refused():
    with inline_meta({}), pytest.raises(ValueError, match="no name"):
        report_progress(1, 2, "frobnicating")


def test_jobs_page_and_api_name_the_job_and_its_stage_in_the_users_language(
    client,
    world,
    seeded,  # noqa: F811
):
    login(client, "admin_a")
    tenant = world.id("A")
    cycle_page = client.get(f"/t/{tenant}/cycles/{seeded['A']}")
    started = client.post(
        f"/t/{tenant}/cycles/{seeded['A']}/recompute", data={"csrf_token": token_of(cycle_page)}
    )
    page = client.get(started.location).text
    job_id = re.search(r"/jobs/([0-9a-f-]{36})", started.location).group(1)
    state = client.get(f"/t/{tenant}/jobs/{job_id}.json").json
    assert (state["kind_name"], state["step"]) == ("重新计算考评结果", "unchanged")
    assert state["step_name"] == "数据未变,结果无需更新"
    assert "重新计算考评结果" in page and state["step_name"] in page
    assert "recompute_cycle" not in page and "unchanged" not in page
    jobs = f"/api/v1/tenants/{tenant}/jobs"
    admin = world.headers["admin_a"]
    job = client.post(jobs, json={"kind": "reports", "cycle_id": seeded["A"]}, headers=admin)
    assert job.status_code == 202, job.json
    assert job.json["kind"] == "generate_reports" and job.json["kind_name"] == "生成报表"
    assert (job.json["progress"]["step"], job.json["progress"]["step_name"]) == ("done", "完成")
    client.get("/lang/en?next=/")  # the API answers in the session's language too
    english_job = client.get(f"{jobs}/{job.json['id']}", headers=admin).json
    assert english_job["kind_name"] == "Generate the reports"
    assert english_job["progress"]["step_name"] == "Done"
    page = client.get(started.location).text
    assert "Recompute the results" in page and "Inputs unchanged" in page
    assert "重新计算" not in page
