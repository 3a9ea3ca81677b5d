"""Jobs run inline without Redis, and on a real RQ worker against the local Redis."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import jobfuncs
import pytest
from sqlalchemy import select

from zhibu.db import db
from zhibu.jobs import enqueue, fetch
from zhibu.models import Tenant
from zhibu.testing.fixtures import make_test_app

ZHIBU = str(Path(sys.executable).with_name("zhibu"))
TENANT = str(uuid.uuid4())


def test_inline_job_runs_at_once_in_the_app_context(app):
    with app.app_context():
        handle = enqueue(jobfuncs.create_tenant, "T-INLINE", "内联单位", tenant_id=None)
        assert handle.status == "finished"
        assert fetch(handle.id) is handle
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == "T-INLINE"))
        assert str(tenant.id) == handle.result


def test_inline_failure_keeps_its_error(app):
    with app.app_context():
        handle = enqueue(jobfuncs.fail, "台账缺失", tenant_id=TENANT)
    assert handle.status == "failed"
    assert "ValueError: 台账缺失" in handle.error
    assert handle.tenant_id == TENANT


def test_a_job_runs_in_its_tenants_scope_only(app):
    with app.app_context():
        scoped = enqueue(jobfuncs.scope_of_job, tenant_id=TENANT)
        platform = enqueue(jobfuncs.scope_of_job)
    assert scoped.result == {"write": [TENANT], "all": False}
    assert platform.result == {"write": [], "all": True}


@pytest.mark.redis
def test_a_real_worker_runs_the_job_in_the_app_context(database_url, redis_url, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app = make_test_app(database_url, tmp_path, ZHIBU_REDIS_URL=redis_url, ZHIBU_JOB_QUEUE=queue)
    with app.app_context():
        handle = enqueue(jobfuncs.create_tenant, "T-RQ", "队列单位")
        scoped = enqueue(jobfuncs.scope_of_job, tenant_id=TENANT)
        assert handle.status == "queued"
        db.session.remove()
        db.engine.dispose()

    env = {
        **os.environ,
        "ZHIBU_DATABASE_URL": database_url,
        "ZHIBU_REDIS_URL": redis_url,
        "ZHIBU_JOB_QUEUE": queue,
        "ZHIBU_INSTANCE_PATH": str(tmp_path),
        "ZHIBU_SECRET_KEY": app.config["SECRET_KEY"],  # the all-tenant key derives from it
        "PYTHONPATH": str(Path(__file__).parent),
    }
    done = subprocess.run(
        [ZHIBU, "worker", "--burst"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr

    with app.app_context():
        finished = fetch(handle.id)
        assert finished.status == "finished", finished.error
        assert finished.tenant_id is None
        assert fetch(scoped.id).result == {"write": [TENANT], "all": False}
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == "T-RQ"))
        assert tenant is not None and str(tenant.id) == finished.result
        db.session.remove()
        db.engine.dispose()


@pytest.mark.redis
def test_health_check_pings_redis(app, redis_url):
    app.config["ZHIBU_REDIS_URL"] = redis_url
    assert app.test_client().get("/healthz").json["checks"]["jobs"] == "ok"


def test_health_check_fails_when_redis_is_down(app):
    app.config["ZHIBU_REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["jobs"].startswith("error: ConnectionError")


def test_worker_without_redis_says_why(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "ZHIBU_REDIS_URL is not set" in result.output
