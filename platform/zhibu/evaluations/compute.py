"""Recompute a cycle: load inputs in bulk, evaluate in one engine call, store the results
in bulk as a new result set and switch it in at the end, in one transaction.

Recomputing unchanged inputs is a no-op: the inputs' hash matches the current set's.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy import insert, select, update

from zhibu import engine
from zhibu.app import plugin_registry
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.evaluations import inputs
from zhibu.evaluations.cycles import ensure_open
from zhibu.models import Cycle, EvaluationResult, ResultSet, SchemeVersion


class InputRefused(ServiceError):
    """The engine refused rows; ``errors`` lists each with its subject and line."""

    status = 422


def definition_for(cycle: Cycle) -> tuple[engine.Definition, dict[str, Any], SchemeVersion]:
    version = db.session.get(SchemeVersion, (cycle.tenant_id, cycle.version_id))
    scheme = plugin_registry().scheme(cycle.scheme_key)
    settings = {**version.settings, **cycle.options}
    return scheme.definition(settings), settings, version


def input_hash(cycle: Cycle, loaded: inputs.Loaded, version: SchemeVersion) -> str:
    plugin = plugin_registry().pm.get_plugin(cycle.scheme_key)
    payload = {
        "scheme": cycle.scheme_key,
        "plugin": getattr(plugin, "__version__", ""),
        "settings": version.settings,
        "cycle": asdict(loaded.cycle),
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def current_set(cycle: Cycle) -> ResultSet | None:
    return db.session.scalar(
        select(ResultSet).where(
            ResultSet.tenant_id == cycle.tenant_id,
            ResultSet.cycle_id == cycle.id,
            ResultSet.current,
        )
    )


def recompute(cycle: Cycle) -> ResultSet:
    """Compute and store the cycle's results; returns the current result set."""
    ensure_open(cycle)
    definition, settings, version = definition_for(cycle)
    loaded = inputs.load(cycle, definition, settings)
    digest = input_hash(cycle, loaded, version)
    current = current_set(cycle)
    if current is not None and current.input_hash == digest:
        return current
    try:
        results = engine.evaluate(definition, loaded.cycle)
    except engine.InputError as exc:
        raise InputRefused("the engine refused some rows", errors=exc.problems) from None
    return _store(cycle, version, digest, results, loaded)


def _store(cycle, version, digest, results, loaded) -> ResultSet:
    result_set = ResultSet(
        tenant_id=cycle.tenant_id,
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        version_id=version.id,
        input_hash=digest,
        subjects=len(results),
    )
    db.session.add(result_set)
    db.session.flush()
    rows = [_row(cycle, result_set.id, r, loaded.ids[r.subject]) for r in results]
    if rows:
        db.session.execute(insert(EvaluationResult), rows)
    db.session.execute(
        update(ResultSet)
        .where(
            ResultSet.tenant_id == cycle.tenant_id,
            ResultSet.cycle_id == cycle.id,
            ResultSet.id != result_set.id,
        )
        .values(current=False)
        .execution_options(synchronize_session=False)
    )
    result_set.current = True
    db.session.commit()
    return result_set


def _line(line: engine.Line) -> dict[str, Any]:
    return {k: v for k, v in asdict(line).items() if v is not None}


def _row(cycle, set_id, result: engine.Result, ref) -> dict[str, Any]:
    kind, ident = ref
    return {
        "tenant_id": cycle.tenant_id,
        "id": uuid.uuid4(),
        "result_set_id": set_id,
        "cycle_id": cycle.id,
        "subject_kind": kind,
        "subject_id": ident,
        "subject_code": result.subject,
        "kind": result.subject_kind,
        "track": result.track,
        "rated": result.rated,
        "total": result.total,
        "stars": result.stars,
        "grade": result.grade,
        "titles": result.titles,
        "flags": result.flags,
        "actions": result.actions,
        "source_scores": result.source_scores,
        "explanation": [_line(x) for x in result.explanation],
        "gap": result.gap,
    }


def results_of(cycle: Cycle) -> list[EvaluationResult]:
    current = current_set(cycle)
    if current is None:
        return []
    return list(
        db.session.scalars(
            select(EvaluationResult)
            .where(
                EvaluationResult.tenant_id == cycle.tenant_id,
                EvaluationResult.result_set_id == current.id,
            )
            .order_by(EvaluationResult.subject_kind.desc(), EvaluationResult.subject_code)
        )
    )


def store_history(cycle: Cycle, entries: list[dict[str, Any]]) -> ResultSet:
    """Results of an earlier cycle given as facts (from paper, or from another system):
    stored as that cycle's current result set, and the cycle made final."""
    _, _, version = definition_for(cycle)
    result_set = ResultSet(
        tenant_id=cycle.tenant_id,
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        version_id=version.id,
        input_hash="history",
        current=True,
        subjects=len(entries),
    )
    db.session.add(result_set)
    db.session.flush()
    rows = []
    for entry in entries:
        kind, ident = entry["subject"]
        rows.append(
            {
                "tenant_id": cycle.tenant_id,
                "id": uuid.uuid4(),
                "result_set_id": result_set.id,
                "cycle_id": cycle.id,
                "subject_kind": kind,
                "subject_id": ident,
                "subject_code": "",
                "kind": kind,
                "track": None,
                "rated": True,
                "total": entry.get("total"),
                "stars": entry.get("stars"),
                "grade": entry.get("grade"),
                "titles": list(entry.get("titles") or []),
                "flags": list(entry.get("flags") or []),
                "actions": list(entry.get("actions") or []),
                "source_scores": {},
                "explanation": [{"text": "历史结果 / result of an earlier cycle"}],
                "gap": None,
            }
        )
    db.session.execute(insert(EvaluationResult), rows)
    cycle.phase = "final"
    db.session.commit()
    return result_set
