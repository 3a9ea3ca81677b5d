"""What a user reads for a job: the name of each kind of job and of each stage a job
reports, declared as data (``tests/test_job_names.py`` checks that every job function and
every stage a job reports has a name here, in Chinese with its English in messages.po).

A job reports a stage by its key (``report_progress(done, total, "storing results")``); the
key stays in the job's meta and the API's ``progress.step``, the name in the reader's
language goes beside it (``step_name``, ``kind_name``).
"""

from __future__ import annotations

from typing import Any

from zhibu.i18n import _, _l

# every job function in zhibu.jobs.tasks, by its name (the job's ``kind``)
JOB_KIND_NAMES = {
    "recompute_cycle": _l("重新计算考评结果"),
    "generate_reports": _l("生成报表"),
    "import_roster": _l("导入党员名册"),
    "send_reminders": _l("发送到期提醒"),
}

# every stage a job reports with report_progress, by its key
STAGE_NAMES = {
    "loading inputs": _l("读取考评数据"),
    "computing": _l("计算中"),
    "storing results": _l("保存考评结果"),
    "unchanged": _l("数据未变,结果无需更新"),
    "loading results": _l("读取考评结果"),
    "building report": _l("生成报表"),
    "storing files": _l("保存报表文件"),
    "reading the workbook": _l("读取花名册"),
    "importing members": _l("导入党员"),
    "done": _l("完成"),
}


def kind_name(kind: str) -> str:
    """The job kind's name in the reader's language (a kind unknown here: 后台任务)."""
    name = JOB_KIND_NAMES.get(kind)
    return str(name) if name is not None else _("后台任务")


def step_name(progress: dict[str, Any] | None) -> str:
    """The reported stage's name in the reader's language, with its detail (e.g. the
    report being built) when it has one; empty before the job reports anything."""
    if not progress or not progress.get("step"):
        return ""
    name = STAGE_NAMES.get(progress["step"])
    text = str(name) if name is not None else _("处理中")
    detail = progress.get("detail")
    return f"{text}:{detail}" if detail else text
