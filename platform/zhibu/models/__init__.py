"""All models, one module per aggregate; importing this package registers them all."""

from zhibu.models.accounts import ROLES, ApiToken, RoleAssignment, User
from zhibu.models.audit import AuditEntry
from zhibu.models.base import TenantOwned, TenantScoped
from zhibu.models.evaluations import (
    PHASES,
    ActivityRecord,
    Cycle,
    EnteredCount,
    EnteredSubject,
    EvaluationResult,
    Incident,
    InputChange,
    ResultSet,
    SchemeVersion,
    ScoreItem,
    ScoreSheet,
)
from zhibu.models.evidence import EvidenceFile, SheetSync
from zhibu.models.members import Member, MemberTransfer, RosterImport
from zhibu.models.notifications import NOTIFICATION_KINDS, Notification
from zhibu.models.orgs import ORG_KINDS, OrgEvent, OrgUnit
from zhibu.models.publications import (
    OBJECTION_STATES,
    PUBLICATION_PHASES,
    Objection,
    Publication,
    PublicationEntry,
)
from zhibu.models.rectification import FollowUp, RectificationItem
from zhibu.models.reports import REPORT_FORMATS, ReportFile
from zhibu.models.tenancy import OversightLink, Tenant, TenantScheme

__all__ = [
    "NOTIFICATION_KINDS",
    "OBJECTION_STATES",
    "ORG_KINDS",
    "PHASES",
    "PUBLICATION_PHASES",
    "REPORT_FORMATS",
    "ROLES",
    "ActivityRecord",
    "ApiToken",
    "AuditEntry",
    "Cycle",
    "EnteredCount",
    "EnteredSubject",
    "EvaluationResult",
    "EvidenceFile",
    "FollowUp",
    "Incident",
    "InputChange",
    "Member",
    "MemberTransfer",
    "Notification",
    "Objection",
    "OrgEvent",
    "OrgUnit",
    "OversightLink",
    "Publication",
    "PublicationEntry",
    "RectificationItem",
    "ReportFile",
    "ResultSet",
    "RoleAssignment",
    "RosterImport",
    "SchemeVersion",
    "ScoreItem",
    "ScoreSheet",
    "SheetSync",
    "Tenant",
    "TenantOwned",
    "TenantScheme",
    "TenantScoped",
    "User",
]
