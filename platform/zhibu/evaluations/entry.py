"""Who enters which score sheet in a cycle: the rules of :mod:`zhibu.accounts.policy`
applied to the cycle's scheme, the sheet's subject and its rater, for the pages and the API
alike. The sheet service (:mod:`zhibu.evaluations.sheets`) then checks the scores."""

from __future__ import annotations

from dataclasses import replace

from zhibu import engine, plugins
from zhibu.accounts import policy
from zhibu.accounts.access import TenantAccess
from zhibu.audit import record
from zhibu.db import db
from zhibu.engine.scheme import Scheme
from zhibu.evaluations.compute import definition_for
from zhibu.evaluations.sheets import SheetInput
from zhibu.models import Cycle, Member


def scheme_of(cycle: Cycle) -> Scheme | None:
    """The cycle's scheme as its plugin declares it (None if the plugin is not loaded)."""
    return plugins.registry().schemes.get(cycle.scheme_key)


def track_source(cycle: Cycle, kind: str, key: str) -> engine.Source | None:
    """The source ``key`` of the track that rates subjects of ``kind`` (a unit's kind, or
    ``member``) in the cycle's definition."""
    definition, _settings, _version = definition_for(cycle)
    track = definition.track_of_kind(kind)
    return track.source(key) if track else None


def source_of(cycle: Cycle, subject, key: str) -> engine.Source | None:
    """The source ``key`` of the track that rates ``subject`` (a unit or a member)."""
    return track_source(cycle, "member" if isinstance(subject, Member) else subject.kind, key)


def sheet_for(access: TenantAccess, cycle: Cycle, data: SheetInput) -> SheetInput:
    """``data`` as it may be saved by the caller: its subject within their reach (404 or
    403 naming ``subject_id``), a source they may enter (403 naming ``source``), and the
    rater :func:`policy.rater_for` allows (422 naming ``rater``). A sheet typed in on
    another rater's behalf leaves an audit entry saying whose it is; it is written with
    the sheet (nothing if the sheet is refused)."""
    subject, _unit = policy.subject_in_reach(access, "score", data.subject_kind, data.subject_id)
    source = source_of(cycle, subject, data.source)
    if source is None:
        return replace(data, rater=data.rater or "")  # the sheet service names the source
    policy.require_entry(access, scheme_of(cycle), source)
    rater, on_behalf = policy.rater_for(access, source, data.rater)
    if on_behalf:
        record(
            db.session,
            action="enter_on_behalf",
            entity="score_sheets",
            entity_id=str(data.subject_id),
            tenant_id=cycle.tenant_id,
            after={
                "cycle_id": str(cycle.id),
                "subject_kind": data.subject_kind,
                "subject_id": str(data.subject_id),
                "source": data.source,
                "period": data.period,
                "rater": rater,
            },
        )
    return replace(data, rater=rater)
