"""Job functions the job tests enqueue; the worker imports them by name."""

from zhibu.db import db
from zhibu.models import Tenant


def create_tenant(code: str, name: str) -> str:
    """Needs the app context and the database: proves the worker provides both."""
    tenant = Tenant(code=code, name=name)
    db.session.add(tenant)
    db.session.commit()
    return str(tenant.id)


def fail(reason: str) -> None:
    raise ValueError(reason)


def scope_of_job() -> dict:
    """What the job may read and write: proves jobs run in their tenant's scope."""
    from zhibu.tenancy import current_scope

    scope = current_scope()
    return {"write": sorted(map(str, scope.write)), "all": scope.all_tenants}


def fail_once(flag: str) -> str:
    """Fails while the file ``flag`` is missing, creating it: a retry then succeeds."""
    from pathlib import Path

    path = Path(flag)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("第一次失败")
    return "ok"


def recompute_pausing(cycle_id: str, pause_file: str) -> dict:
    """The real recompute job, holding still after its first batch of new result rows is
    written (inside the transaction, before the switch) while ``pause_file`` exists — the
    moment a test kills the work horse. The horse's pid goes into the job's meta."""
    import os
    import time
    import uuid
    from pathlib import Path

    from zhibu.evaluations import compute
    from zhibu.evaluations.cycles import get_cycle
    from zhibu.jobs import report_progress
    from zhibu.jobs.progress import current_meta, save_current_meta
    from zhibu.tenancy import current_scope

    def progress(done: int, total: int, step: str) -> None:
        report_progress(done, total, step)
        if step == "storing results" and done and Path(pause_file).exists():
            current_meta()["paused_pid"] = os.getpid()
            save_current_meta()
            time.sleep(120)

    tenant_id = next(iter(current_scope().write))
    result_set = compute.recompute(get_cycle(tenant_id, uuid.UUID(cycle_id)), progress)
    return {"result_set_id": str(result_set.id)}
