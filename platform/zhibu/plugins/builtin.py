"""Zhibu's own behaviour, registered through the same hooks as any plugin (``trylast``):
the core's commands and reports, and the kinds of unit and record every scheme shares."""

from __future__ import annotations

from zhibu.plugins import hookimpl
from zhibu.plugins.contributions import OrgKind, RecordKind

ORG_KINDS = (
    OrgKind("committee", "党委", "Party committee"),
    OrgKind("general_branch", "党总支", "General branch"),
    OrgKind("branch", "党支部", "Party branch"),
    OrgKind("party_group", "党小组", "Party group"),
    OrgKind("township", "乡镇/街道", "Township or sub-district"),
    OrgKind("village", "村", "Village"),
    OrgKind("community", "社区", "Community"),
    OrgKind("two_new", "“两新”组织", "Non-public enterprise / social organisation"),
    OrgKind("enterprise", "企业", "Enterprise"),
    OrgKind("organ", "机关", "Government organ"),
)

RECORD_KINDS = (
    RecordKind("general_meeting", "党员大会", "General meeting of members"),
    RecordKind("committee_meeting", "支委会", "Branch committee meeting"),
    RecordKind("group_meeting", "党小组会", "Party group meeting"),
    RecordKind("party_lecture", "党课", "Party lecture", lecturer=True),
    RecordKind("theme_party_day", "主题党日", "Theme Party day"),
    RecordKind("org_life_meeting", "组织生活会", "Organizational life meeting"),
    RecordKind("member_appraisal", "民主评议党员", "Democratic appraisal of members"),
    RecordKind("training", "培训", "Training", needs=("hours",)),
    RecordKind("dues", "党费", "Party dues", needs=("member", "month")),
    # member: the secretary elected; read from before the cycle too (a term runs from it)
    RecordKind("election", "换届选举", "Election of the committee", standing=True),
)


@hookimpl(trylast=True)
def zhibu_cli_commands():
    from zhibu.cli import core_commands

    return core_commands()


@hookimpl(trylast=True)
def zhibu_report_builders():
    from zhibu.reports.registry import CORE_REPORTS

    return list(CORE_REPORTS)


@hookimpl(trylast=True)
def zhibu_org_kinds():
    return list(ORG_KINDS)


@hookimpl(trylast=True)
def zhibu_record_kinds():
    return list(RECORD_KINDS)
