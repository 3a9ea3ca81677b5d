"""Reports: tables built by plugins (``zhibu_report_builders``) and the core
(:mod:`zhibu.reports.registry`), rendered as ``.xlsx`` laid out as an organization
department prints it and as printable HTML; :func:`zhibu.reports.store.generate_all`
builds and stores a cycle's whole set (the reports job). See ``docs/reports.md``."""

from zhibu.reports.names import STARS
from zhibu.reports.table import Column, ReportData, ReportTable

__all__ = ["STARS", "Column", "ReportData", "ReportTable"]
