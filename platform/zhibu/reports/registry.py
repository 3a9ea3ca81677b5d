"""The core report set, registered as a built-in plugin (``trylast``) through the same
``zhibu_report_builders`` hook as any plugin's reports."""

from __future__ import annotations

from zhibu.plugins.contributions import ReportBuilder
from zhibu.reports import core, deductions, weakness

CORE_REPORTS = (
    ReportBuilder("core.ranking", "考评排名表", core.ranking),
    ReportBuilder("core.stars", "星级分布统计表", core.stars),
    ReportBuilder("core.publicity", "评定结果公示", core.publicity),
    ReportBuilder("core.score_sheet", "考评计分表", deductions.score_sheet),
    ReportBuilder("core.ledger", "整改台账", deductions.ledger, results=False),
    ReportBuilder("core.notice", "整改通知单", deductions.notice),
    ReportBuilder("core.progress", "目标完成进度表", core.progress),
    ReportBuilder("core.weakness", "指标失分分析表", weakness.weakness),
)
