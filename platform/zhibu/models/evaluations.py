"""Evaluation workflow: scheme versions, cycles, score sheets, incidents, activity records
and stored results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhibu.db import db
from zhibu.models.base import TenantOwned, TenantScoped, tenant_fk

PHASES = ("self_assessment", "assessment", "review", "publicity", "final")
PERIOD_KINDS = ("year", "half", "quarter", "month")
SUBJECT_KINDS = ("org", "member")


class SchemeVersion(TenantOwned, db.Model):
    """A tenant's settings of a scheme. Each change of the adjustable settings makes a new
    version; a cycle keeps the version it started with."""

    __tablename__ = "scheme_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "scheme_key", "number"),)

    scheme_key: Mapped[str] = mapped_column(String(64))
    number: Mapped[int]
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # every setting, resolved
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON)  # what differs from the defaults
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Cycle(TenantOwned, db.Model):
    """One evaluation of a scheme over a period (``2021``, ``2021H1``, ``2021Q3``,
    ``2021-05``), moving through the phases; final freezes its results."""

    __tablename__ = "cycles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "scheme_key", "label"),
        tenant_fk("version_id", "scheme_versions"),
        CheckConstraint(f"phase IN ({', '.join(repr(p) for p in PHASES)})", name="phase"),
        CheckConstraint(
            f"period_kind IN ({', '.join(repr(p) for p in PERIOD_KINDS)})", name="period_kind"
        ),
    )

    scheme_key: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[uuid.UUID]
    label: Mapped[str] = mapped_column(String(64))  # period, plus a round if any
    period: Mapped[str] = mapped_column(String(16))
    period_kind: Mapped[str] = mapped_column(String(8))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    phase: Mapped[str] = mapped_column(String(24), default="self_assessment")
    deadlines: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # phase → ISO date
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. the round
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # inputs reopened after their phase (zhibu.evaluations.phases): {"cycle": {reason, by,
    # at} | absent, "subjects": {subject id: {reason, by, at}}}
    reopened: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )


class ScoreSheet(TenantOwned, db.Model):
    """One rater's score of one subject from one source (and sub-period) in a cycle."""

    __tablename__ = "score_sheets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "cycle_id", "subject_id", "source", "rater", "period"),
        tenant_fk("cycle_id", "cycles"),  # a cycle's sheets: the unique key's first columns
        CheckConstraint("subject_kind IN ('org', 'member')", name="subject_kind"),
    )

    cycle_id: Mapped[uuid.UUID]
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[uuid.UUID]
    source: Mapped[str] = mapped_column(String(32))
    rater: Mapped[str] = mapped_column(String(64), default="")
    period: Mapped[str] = mapped_column(String(16), default="")  # sub-period, '' if none
    score: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # one more at each save: a save naming the version it loaded is refused (409) when
    # another one came in between; 0 while a first save is being written
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))


class ScoreItem(TenantOwned, db.Model):
    """Points for one indicator on a sheet, or a deduction from it with its reason."""

    __tablename__ = "score_items"
    __table_args__ = (
        tenant_fk("sheet_id", "score_sheets", ondelete="CASCADE"),
        # a sheet's lines: two writers of one sheet cannot both leave their items
        Index("uq_score_items_sheet_seq", "tenant_id", "sheet_id", "seq", unique=True),
        CheckConstraint("kind IN ('points', 'deduction')", name="kind"),
        CheckConstraint("kind <> 'deduction' OR length(reason) > 0", name="deduction_reason"),
    )

    sheet_id: Mapped[uuid.UUID]
    indicator: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12))
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))  # line on the sheet


class Incident(TenantOwned, db.Model):
    """A veto or downgrade event about a unit or a member, on a date."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_subject", "tenant_id", "subject_id"),)

    subject_kind: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(64))
    occurred_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ActivityRecord(TenantOwned, db.Model):
    """A meeting, lecture, training or dues payment of a unit (组织生活记录)."""

    __tablename__ = "activity_records"
    __table_args__ = (
        tenant_fk("org_id", "org_units"),
        Index("ix_activity_records_org_date", "tenant_id", "org_id", "held_on"),
    )

    org_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date]
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)  # member ids
    member_id: Mapped[uuid.UUID | None]  # dues: who paid; lecture: the lecturer
    month: Mapped[str | None] = mapped_column(String(7))  # dues: the month paid for
    hours: Mapped[float | None] = mapped_column(Float)
    topic: Mapped[str] = mapped_column(String(200), default="")


class InputChange(TenantScoped, db.Model):
    """A subject of a cycle whose inputs changed after the cycle's last recompute (the
    recompute clears the cycle's rows): what makes its results out of date."""

    __tablename__ = "input_changes"
    __table_args__ = (tenant_fk("cycle_id", "cycles", ondelete="CASCADE"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    cycle_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    changes: Mapped[int] = mapped_column(default=1)
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class EnteredSubject(TenantScoped, db.Model):
    """A subject with score sheets in a cycle and how many, kept by the sheets' writers
    (:mod:`zhibu.evaluations.entered`): the 工作台 and the sheets' list count these, not
    the sheets."""

    __tablename__ = "entered_subjects"
    __table_args__ = (tenant_fk("cycle_id", "cycles", ondelete="CASCADE"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    cycle_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8))
    sheets: Mapped[int] = mapped_column(default=0)


class EnteredCount(TenantScoped, db.Model):
    """How many subjects of a kind ("org" or "member") have score sheets in a cycle: the
    rows of :class:`EnteredSubject` counted as they are made, by the same writer in the same
    transaction (:mod:`zhibu.evaluations.entered`), so the 工作台 reads one row per kind."""

    __tablename__ = "entered_counts"
    __table_args__ = (tenant_fk("cycle_id", "cycles", ondelete="CASCADE"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    cycle_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    subjects: Mapped[int] = mapped_column(default=0)


class ResultSet(TenantOwned, db.Model):
    """One computation of a cycle. The current set is switched in at the end of a
    recompute, so a failed or killed one leaves the previous results whole."""

    __tablename__ = "result_sets"
    __table_args__ = (
        tenant_fk("cycle_id", "cycles"),
        tenant_fk("version_id", "scheme_versions"),
        Index("ix_result_sets_cycle", "tenant_id", "cycle_id"),
        Index(  # at most one current set per cycle
            "uq_result_sets_current",
            "tenant_id",
            "cycle_id",
            unique=True,
            postgresql_where=text("current"),
            sqlite_where=text("current"),
        ),
    )

    cycle_id: Mapped[uuid.UUID]
    version_id: Mapped[uuid.UUID]
    input_hash: Mapped[str] = mapped_column(String(64))
    current: Mapped[bool] = mapped_column(default=False)
    subjects: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))  # who recomputed
    # its results counted by level (zhibu.evaluations.compute.count_levels), written with
    # them: a set's results never change, and the 工作台 reads this, not sixty thousand rows
    levels: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class EvaluationResult(TenantOwned, db.Model):
    """A subject's result in a result set, with the explanation that traces each point."""

    __tablename__ = "results"
    __table_args__ = (
        tenant_fk("result_set_id", "result_sets", ondelete="CASCADE"),
        # one index for a set's results and for a subject's in the current sets: a city's
        # recompute inserts sixty thousand rows into every index the table has
        Index("ix_results_set_subject", "tenant_id", "result_set_id", "subject_id"),
        # a page of a set's results in the lists' order (organizations first, by code):
        # read from the index and stopped at the page's end, not a sort of the whole set;
        # the page's ids come from the index alone (listing.page_select)
        Index(
            "ix_results_set_order",
            "tenant_id",
            "result_set_id",
            text("subject_kind DESC"),
            "subject_code",
            postgresql_include=["id"],
        ),
    )

    # No key of its own to tenants: the key to result_sets (tenant_id, result_set_id)
    # already holds the tenant, and checking it again for each of a city's sixty thousand
    # rows was a sixth of the time the server spent storing them.
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant = relationship(
        "Tenant", primaryjoin="foreign(EvaluationResult.tenant_id) == Tenant.id", viewonly=True
    )
    result_set_id: Mapped[uuid.UUID]
    cycle_id: Mapped[uuid.UUID]
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[uuid.UUID]
    subject_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # org kind or "member"
    track: Mapped[str | None] = mapped_column(String(32))
    rated: Mapped[bool] = mapped_column(default=True)
    total: Mapped[float | None] = mapped_column(Float)
    stars: Mapped[int | None]
    grade: Mapped[str | None] = mapped_column(String(32))
    titles: Mapped[list[str]] = mapped_column(JSON, default=list)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    gap: Mapped[str | None] = mapped_column(Text)
    rank: Mapped[int | None]
