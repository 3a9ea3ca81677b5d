"""The platform's jobs: recompute, roster import and reminders, run inline and on real RQ
workers against the local Redis — progress, failure and retry, a work horse killed in
the middle of a recompute, and the cron scheduler's periodic reminders."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import jobfuncs
import pytest
from sqlalchemy import func, select
from test_member_import import Z01, Z02
from tiny_scheme import TINY
from world import enable_scheme

from zhibu.db import db
from zhibu.errors import Conflict
from zhibu.jobs import enqueue, fetch, retry
from zhibu.members.roster import write_roster
from zhibu.models import (
    Cycle,
    EvaluationResult,
    Member,
    Notification,
    RectificationItem,
    ResultSet,
)
from zhibu.tenancy import system_scope, use_scope

ZHIBU = str(Path(sys.executable).with_name("zhibu"))
TESTS = Path(__file__).parent
TINY_PLUGIN = """
from tiny_scheme import TINY
from world import enable_scheme
from zhibu.plugins import hookimpl

@hookimpl
def zhibu_schemes():
    return [TINY]
"""


@pytest.fixture
def cycle(app, client, world):
    """Tenant A runs the test scheme; a 2021 cycle with scores for both branches."""
    enable_scheme(app, world.ids["A"], TINY)
    base = f"/api/v1/tenants/{world.id('A')}"
    opened = client.post(
        f"{base}/cycles",
        json={"scheme_key": "tiny", "period": "2021"},
        headers=world.headers["admin_a"],
    )
    assert opened.status_code == 201, opened.json
    url = f"{base}/cycles/{opened.json['id']}"
    for org, score in (("A-Z01", 91), ("A-Z02", 72)):
        score_panel(client, world, url, org, score)
        body = {"subject_kind": "org", "subject_id": world.id(org), "source": "sheet"}
        body["deductions"] = [{"item": "A1", "points": 2, "reason": "记录不全"}]
        posted = client.post(f"{url}/sheets", json=body, headers=world.headers["assessor_a"])
        assert posted.status_code == 201, posted.json
    return opened.json["id"]


# A worker asked to stop (SIGTERM) finishes its warm shut-down (scheduler, heartbeat) in a
# few seconds on a quiet machine; on a shared one running other suites it has taken over 30.
STOP_SECONDS = 90


def score_panel(client, world, cycle_url, org, score, rater="R1"):
    """The panel's paper sheet of ``rater``, typed in by the tenant's administrator."""
    body = {"subject_kind": "org", "subject_id": world.id(org), "source": "panel"}
    body |= {"rater": rater, "score": score}
    response = client.post(f"{cycle_url}/sheets", json=body, headers=world.headers["admin_a"])
    assert response.status_code == 201, response.json


def jobs_url(world, tenant="A", rest=""):
    return f"/api/v1/tenants/{world.id(tenant)}/jobs{rest}"


def current_results(app, tenant_id, cycle_id):
    """(current set id, rows of the cycle in all sets, the current set's totals)."""
    with app.app_context(), use_scope(system_scope()):
        current = db.session.scalar(
            select(ResultSet.id).where(
                ResultSet.tenant_id == tenant_id,
                ResultSet.cycle_id == uuid.UUID(cycle_id),
                ResultSet.current,
            )
        )
        rows = db.session.scalar(
            select(func.count())
            .select_from(EvaluationResult)
            .where(EvaluationResult.tenant_id == tenant_id)
        )
        totals = db.session.execute(
            select(EvaluationResult.subject_code, EvaluationResult.total).where(
                EvaluationResult.result_set_id == current
            )
        ).all()
        db.session.remove()
    return current, rows, dict(totals)


# -- inline (no Redis): the same interface, done before the call returns ---------------


def test_recompute_job_reports_its_progress_and_result(client, world, cycle):
    started = client.post(
        jobs_url(world),
        json={"kind": "recompute", "cycle_id": cycle},
        headers=world.headers["admin_a"],
    )
    assert started.status_code == 202, started.json
    job = started.json
    assert job["kind"] == "recompute_cycle" and job["status"] == "finished", job
    assert job["progress"]["step"] == "storing results"
    assert job["progress"]["done"] == job["progress"]["total"] == job["result"]["subjects"]
    again = client.get(jobs_url(world, rest=f"/{job['id']}"), headers=world.headers["admin_a"])
    assert again.json["result"] == job["result"]
    other = client.get(jobs_url(world, rest=f"/{job['id']}"), headers=world.headers["assessor_a"])
    assert other.status_code == 404  # a job is its starter's and the admins'

    rerun = client.post(
        jobs_url(world),
        json={"kind": "recompute", "cycle_id": cycle},
        headers=world.headers["admin_a"],
    ).json
    assert rerun["result"] == job["result"]  # unchanged inputs: the same result set
    assert rerun["progress"]["step"] == "unchanged"


def test_jobs_belong_to_their_tenant_and_need_the_right_role(client, world, cycle):
    admin = world.headers["admin_a"]
    job = client.post(jobs_url(world), json={"kind": "recompute", "cycle_id": cycle}, headers=admin)
    other = client.get(jobs_url(world, "B", f"/{job.json['id']}"), headers=world.headers["admin_b"])
    assert other.status_code == 404
    refused = client.post(
        jobs_url(world),
        json={"kind": "recompute", "cycle_id": cycle},
        headers=world.headers["assessor_a"],
    )
    assert refused.status_code == 403
    no_cycle = client.post(jobs_url(world), json={"kind": "recompute"}, headers=admin)
    assert no_cycle.status_code == 422 and "cycle_id" in str(no_cycle.json["errors"])
    unknown = client.post(jobs_url(world), json={"kind": "format_disk"}, headers=admin)
    assert unknown.status_code == 422 and "kind" in str(unknown.json["errors"])
    not_failed = client.post(jobs_url(world, rest=f"/{job.json['id']}/retry"), headers=admin)
    assert not_failed.status_code == 409 and "只有执行失败的任务" in not_failed.json["message"]


def test_a_failed_job_keeps_its_error_and_a_retry_runs_it_again(app, tmp_path):
    flag = str(tmp_path / "failed-once")
    with app.app_context():
        handle = enqueue(jobfuncs.fail_once, flag, tenant_id=uuid.uuid4())
        assert handle.status == "failed" and "RuntimeError: 第一次失败" in handle.error
        again = retry(handle.id)
        assert again.id == handle.id and again.status == "finished" and again.result == "ok"
        assert again.error is None and again.meta["retries"] == 1
        with pytest.raises(Conflict, match="只有执行失败的任务"):
            retry(handle.id)


def test_roster_import_runs_as_a_job_as_the_user_who_uploaded(app, client, world):
    workbook = write_roster([{"name": "赵六", "branch": Z01}, {"name": "钱七", "branch": Z02}])
    url = f"/api/v1/tenants/{world.id('A')}/members/import/job"
    upload = {"file": (BytesIO(workbook), "花名册.xlsx")}
    started = client.post(
        url, data=upload, headers=world.headers["admin_a"], content_type="multipart/form-data"
    )
    assert started.status_code == 202, started.json
    report = started.json["result"]
    assert started.json["status"] == "finished" and report["committed"] is True
    assert report["to_create"] == 2
    with app.app_context(), use_scope(system_scope()):
        names = set(
            db.session.scalars(select(Member.name).where(Member.tenant_id == world.ids["A"]))
        )
    assert {"赵六", "钱七"} <= names
    # a branch secretary's job acts with the secretary's reach: the other branch is refused
    mine = {"file": (BytesIO(workbook), "花名册.xlsx")}
    theirs = client.post(
        url, data=mine, headers=world.headers["secretary_a"], content_type="multipart/form-data"
    ).json
    assert theirs["status"] == "finished" and theirs["result"]["committed"] is False
    assert any("机电系第二党支部" in str(e) for e in theirs["result"]["errors"])


# -- reminders ---------------------------------------------------------------------------


def test_reminders_cover_deadlines_and_due_items_once_a_day(app, client, world, cycle):
    today = date(2021, 6, 1)
    with app.app_context(), use_scope(system_scope()):
        c = db.session.get(Cycle, (world.ids["A"], uuid.UUID(cycle)))
        c.deadlines = {"self_assessment": "2021-06-05", "assessment": "2021-07-01"}
        for org, days, issue in (
            ("A-Z01", 3, "会议记录不全"),
            ("A-Z02", -2, "党费收缴滞后"),
            ("A-Z02", 30, "阵地建设"),
        ):
            db.session.add(
                RectificationItem(
                    tenant_id=world.ids["A"],
                    org_id=world.ids[org],
                    origin="manual",
                    issue=issue,
                    deadline=today + timedelta(days=days),
                )
            )
        db.session.commit()
        first = enqueue("zhibu.jobs.tasks.send_reminders", today.isoformat())
        second = enqueue("zhibu.jobs.tasks.send_reminders", today.isoformat())
    assert first.result["A"] == 3 and second.result["A"] == 0  # re-run: nothing new
    listed = client.get(
        f"/api/v1/tenants/{world.id('A')}/notifications?day=2021-06-01",
        headers=world.headers["admin_a"],
    ).json
    kinds = sorted(n["kind"] for n in listed)
    assert kinds == ["phase_deadline", "rectification_due", "rectification_overdue"]
    overdue = next(n for n in listed if n["kind"] == "rectification_overdue")
    assert "党费收缴滞后" in overdue["text"] and "已逾期" in overdue["text"]
    secretary = client.get(
        f"/api/v1/tenants/{world.id('A')}/notifications?day=2021-06-01",
        headers=world.headers["secretary_a"],
    ).json
    assert [n["text"] for n in secretary] == [
        next(n["text"] for n in listed if n["kind"] == "rectification_due")
    ]
    member = client.get(
        f"/api/v1/tenants/{world.id('A')}/notifications?day=2021-06-01",
        headers=world.headers["member_a"],
    ).json
    assert member == []
    other = client.get(
        f"/api/v1/tenants/{world.id('B')}/notifications?day=2021-06-01",
        headers=world.headers["admin_b"],
    ).json
    assert other == []


# -- real workers on the local Redis -----------------------------------------------------


def worker_env(app, database_url, redis_url, tmp_path, site: str) -> dict[str, str]:
    return {
        **os.environ,
        "ZHIBU_DATABASE_URL": database_url,
        "ZHIBU_REDIS_URL": redis_url,
        "ZHIBU_JOB_QUEUE": app.config["ZHIBU_JOB_QUEUE"],
        "ZHIBU_INSTANCE_PATH": str(tmp_path),
        "ZHIBU_SECRET_KEY": app.config["SECRET_KEY"],  # the all-tenant key derives from it
        "PYTHONPATH": os.pathsep.join(
            [site, str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }


def wait_for(app, job_id, check, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            handle = fetch(job_id)
        if check(handle):
            return handle
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never got there: {handle}")


@pytest.mark.redis
def test_a_work_horse_killed_mid_recompute_leaves_the_previous_results_whole(
    app, client, world, cycle, database_url, redis_url, tmp_path, install_plugin
):
    module = install_plugin("tiny", TINY_PLUGIN)
    site = str(Path(sys.modules[module].__file__).parent) if module in sys.modules else None
    site = site or str(tmp_path / "site-packages")
    app.config.update(ZHIBU_REDIS_URL=redis_url, ZHIBU_JOB_QUEUE=f"test-{uuid.uuid4().hex[:8]}")
    tenant = world.ids["A"]
    client.post(
        f"/api/v1/tenants/{world.id('A')}/cycles/{cycle}/recompute",
        headers=world.headers["admin_a"],
    )
    before = current_results(app, tenant, cycle)
    assert before[0] is not None and before[2]["A-Z01"] is not None
    cycle_url = f"/api/v1/tenants/{world.id('A')}/cycles/{cycle}"
    score_panel(client, world, cycle_url, "A-Z01", 60, rater="R2")  # the inputs change

    pause = tmp_path / "pause"
    pause.write_text("hold")
    with app.app_context():
        handle = enqueue(jobfuncs.recompute_pausing, cycle, str(pause), tenant_id=tenant)
        db.session.remove()
    worker = subprocess.Popen(
        [ZHIBU, "worker"],
        env=worker_env(app, database_url, redis_url, tmp_path, site),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        paused = wait_for(app, handle.id, lambda h: "paused_pid" in h.meta)
        assert paused.status == "started" and paused.progress["step"] == "storing results"
        os.kill(paused.meta["paused_pid"], signal.SIGKILL)  # mid-write, before the switch
        failed = wait_for(app, handle.id, lambda h: h.status == "failed")
        assert "Work-horse terminated unexpectedly" in failed.error
        assert current_results(app, tenant, cycle) == before  # old set whole, no stray rows

        pause.unlink()
        with app.app_context():
            retried = retry(handle.id)
        assert retried.status == "queued"
        done = wait_for(app, handle.id, lambda h: h.status == "finished")
        assert done.meta["retries"] == 1
        after = current_results(app, tenant, cycle)
        assert after[0] != before[0] and str(after[0]) == done.result["result_set_id"]
        assert after[2]["A-Z01"] < before[2]["A-Z01"]  # the new score counted
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=STOP_SECONDS)


@pytest.mark.redis
def test_a_job_whose_worker_was_killed_is_failed_promptly_and_can_be_retried(
    app, client, world, cycle, database_url, redis_url, tmp_path, install_plugin
):
    """``kill -9`` of the whole worker (its process and its work horse: a lost container)
    mid-recompute. No other worker is running; whoever looks at the job next finds it
    failed within three heartbeats — not "started" for the twelve minutes RQ's own
    clean-up takes — and a retry runs it again."""
    install_plugin("tiny", TINY_PLUGIN)
    site = str(tmp_path / "site-packages")
    app.config.update(ZHIBU_REDIS_URL=redis_url, ZHIBU_JOB_QUEUE=f"test-{uuid.uuid4().hex[:8]}")
    tenant, base = world.ids["A"], f"/api/v1/tenants/{world.id('A')}"
    client.post(f"{base}/cycles/{cycle}/recompute", headers=world.headers["admin_a"])
    before = current_results(app, tenant, cycle)
    score_panel(client, world, f"{base}/cycles/{cycle}", "A-Z01", 60, rater="R2")
    pause = tmp_path / "pause"
    pause.write_text("hold")
    with app.app_context():
        handle = enqueue(jobfuncs.recompute_pausing, cycle, str(pause), tenant_id=tenant)
        db.session.remove()
    env = worker_env(app, database_url, redis_url, tmp_path, site)
    env["ZHIBU_JOB_HEARTBEAT_SECONDS"] = "1"
    worker = subprocess.Popen([ZHIBU, "worker"], env=env, start_new_session=True)
    paused = None
    try:
        paused = wait_for(app, handle.id, lambda h: "paused_pid" in h.meta)
        assert paused.status == "started"
        # the worker with its scheduler (its process group), and its horse mid-write (RQ
        # starts the horse in a session of its own)
        os.killpg(worker.pid, signal.SIGKILL)
        os.kill(paused.meta["paused_pid"], signal.SIGKILL)
        worker.wait(timeout=10)
        killed_at = time.monotonic()
        failed = wait_for(app, handle.id, lambda h: h.status == "failed", seconds=30)
        assert time.monotonic() - killed_at < 10  # three heartbeats of one second, and slack
        assert failed.error == "运行这项任务的工作进程已停止(被终止或崩溃),可以重试。"
        assert current_results(app, tenant, cycle) == before  # the old set whole
        pause.unlink()
        with app.app_context():
            assert retry(handle.id).status == "queued"
        done = subprocess.run(
            [ZHIBU, "worker", "--burst"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        with app.app_context():
            finished = fetch(handle.id)
        assert finished.status == "finished", finished.error
        assert finished.meta["retries"] == 1
        assert current_results(app, tenant, cycle)[0] != before[0]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        if paused is not None:  # a horse left holding still when the test failed early
            with contextlib.suppress(ProcessLookupError):
                os.kill(paused.meta["paused_pid"], signal.SIGKILL)


@pytest.mark.redis
def test_the_cron_scheduler_enqueues_the_reminders_for_a_worker(
    app, world, database_url, redis_url, tmp_path
):
    from zhibu.jobs.schedule import build_scheduler

    app.config.update(ZHIBU_REDIS_URL=redis_url, ZHIBU_JOB_QUEUE=f"test-{uuid.uuid4().hex[:8]}")
    app.config["ZHIBU_REMINDER_CRON"] = "30 6 * * 1"  # Mondays 06:30
    with app.app_context(), use_scope(system_scope()):
        db.session.add(
            RectificationItem(
                tenant_id=world.ids["A"],
                org_id=world.ids["A-Z01"],
                origin="manual",
                issue="组织生活会未按期召开",
                deadline=date.today(),
            )
        )
        db.session.commit()
        db.session.remove()
    scheduler = build_scheduler(app)
    (reminders,) = scheduler.get_jobs()
    when = reminders.next_enqueue_time.astimezone()
    assert (when.weekday(), when.hour, when.minute) == (0, 6, 30)
    job = reminders.enqueue(scheduler.connection)  # what the scheduler does when it is time
    done = subprocess.run(
        [ZHIBU, "worker", "--burst"],
        env=worker_env(app, database_url, redis_url, tmp_path, str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with app.app_context():
        handle = fetch(job.id)
        assert handle.status == "finished", handle.error
        assert handle.result["A"] == 1 and handle.kind == "send_reminders"
        with use_scope(system_scope()):
            (note,) = db.session.scalars(select(Notification)).all()
        assert note.kind == "rectification_due" and "组织生活会未按期召开" in note.text
        db.session.remove()


def test_a_changed_score_makes_a_new_result_set(client, world, cycle):
    """The input hash covers the score rows: a new rater's score is not 'unchanged'."""
    admin, base = world.headers["admin_a"], f"/api/v1/tenants/{world.id('A')}/cycles/{cycle}"
    first = {
        r["subject_code"]: r["total"] for r in client.post(f"{base}/recompute", headers=admin).json
    }
    score_panel(client, world, base, "A-Z01", 60, rater="R2")
    second = {
        r["subject_code"]: r["total"] for r in client.post(f"{base}/recompute", headers=admin).json
    }
    assert second["A-Z01"] < first["A-Z01"] and second["A-Z02"] == first["A-Z02"]


def test_jobs_commands_show_retry_and_send_reminders(app, runner, world, tmp_path):
    with app.app_context(), use_scope(system_scope()):
        db.session.add(
            RectificationItem(
                tenant_id=world.ids["A"],
                org_id=world.ids["A-Z02"],
                origin="manual",
                issue="党费收缴滞后",
                deadline=date(2021, 5, 1),
            )
        )
        db.session.commit()
        failed = enqueue(jobfuncs.fail_once, str(tmp_path / "flag"), tenant_id=world.ids["A"])
    sent = runner.invoke(args=["jobs", "reminders", "--date", "2021-06-01"])
    assert sent.exit_code == 0, sent.output
    assert "A: 1 new" in sent.output and "B: 0 new" in sent.output
    shown = runner.invoke(args=["jobs", "show", failed.id])
    assert '"status": "failed"' in shown.output and "第一次失败" in shown.output
    retried = runner.invoke(args=["jobs", "retry", failed.id])
    assert retried.exit_code == 0 and f"{failed.id} finished" in retried.output
    again = runner.invoke(args=["jobs", "retry", failed.id])
    assert again.exit_code != 0 and "只有执行失败的任务才能重新执行" in again.output
    missing = runner.invoke(args=["jobs", "show", str(uuid.uuid4())])
    assert missing.exit_code != 0 and "no job" in missing.output


def test_the_report_set_is_a_job_with_progress(client, world, cycle):
    admin, base = world.headers["admin_a"], f"/api/v1/tenants/{world.id('A')}"
    client.post(f"{base}/cycles/{cycle}/recompute", headers=admin)
    job = client.post(
        f"{base}/jobs", json={"kind": "reports", "cycle_id": cycle}, headers=admin
    ).json
    assert job["status"] == "finished", job.get("error")
    assert job["progress"]["done"] == job["progress"]["total"] > 2
    files = client.get(f"{base}/cycles/{cycle}/reports/files", headers=admin).json
    assert len(files) == job["result"]["files"] and {f["fmt"] for f in files} == {"xlsx", "html"}


@pytest.mark.redis
def test_a_real_worker_builds_the_report_set(
    app, client, world, cycle, database_url, redis_url, tmp_path, install_plugin
):
    install_plugin("tiny", TINY_PLUGIN)
    admin, base = world.headers["admin_a"], f"/api/v1/tenants/{world.id('A')}"
    client.post(f"{base}/cycles/{cycle}/recompute", headers=admin)
    app.config.update(ZHIBU_REDIS_URL=redis_url, ZHIBU_JOB_QUEUE=f"test-{uuid.uuid4().hex[:8]}")
    queued = client.post(f"{base}/jobs", json={"kind": "reports", "cycle_id": cycle}, headers=admin)
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    with app.app_context():
        db.session.remove()
    done = subprocess.run(
        [ZHIBU, "worker", "--burst"],
        env=worker_env(app, database_url, redis_url, tmp_path, str(tmp_path / "site-packages")),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    job = client.get(f"{base}/jobs/{queued.json['id']}", headers=admin).json
    assert job["status"] == "finished", job["error"]
    assert job["progress"]["done"] == job["progress"]["total"]
    files = client.get(f"{base}/cycles/{cycle}/reports/files", headers=admin).json
    assert len(files) == job["result"]["files"] > 0


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_recomputes_of_a_cycle_take_turns(app, client, world, cycle):
    """Two recomputes at once (a job and the button, say): one waits for the other's
    lock, then finds its inputs unchanged — one current set, never two."""
    import threading

    from zhibu.evaluations import compute
    from zhibu.evaluations.cycles import get_cycle

    base = f"/api/v1/tenants/{world.id('A')}/cycles/{cycle}"
    score_panel(client, world, base, "A-Z01", 60, rater="R2")
    tenant, done, failures = world.ids["A"], [], []

    def run() -> None:
        try:
            with app.app_context(), use_scope(system_scope()):
                done.append(compute.recompute(get_cycle(tenant, uuid.UUID(cycle))).id)
                db.session.remove()
        except Exception as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and len(done) == 2
    assert done[0] == done[1]  # the second found the first one's set: inputs unchanged
    with app.app_context(), use_scope(system_scope()):
        current = db.session.scalars(
            select(ResultSet.id).where(ResultSet.cycle_id == uuid.UUID(cycle), ResultSet.current)
        ).all()
        db.session.remove()
    assert current == [done[0]]
