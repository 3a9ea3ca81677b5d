"""Reports: tables built by plugins (``zhibu_report_builders``) and the core, rendered as
``.xlsx`` laid out as an organization department prints it and as printable HTML."""

from zhibu.reports.table import Column, ReportData, ReportTable

__all__ = ["Column", "ReportData", "ReportTable"]
