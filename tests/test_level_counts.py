"""评分不全 means a level is still to come: rated, no level, on a track that gives levels,
not vetoed. On the demo:

- enterprise_5std's members and party groups are checked, not rated a level (党员(只核查,
  不评星)): they count as taking part (参评), never as 评分不全, and 确认发布 counts them
  as checked (``checked``);
- two of the college's members are vetoed (一票否决): they count as vetoed, listed apart
  (``vetoed``), not as 评分不全.

The summary, the results' level filter ``missing`` and the 发布 preview agree, through
the API.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from zhibu.accounts.auth import issue_token
from zhibu.db import db
from zhibu.models import Cycle, Tenant, User
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def app(demo_app):
    """The demo, built once per run and copied for each test."""
    return demo_app


def cycle_api(app, code: str) -> tuple[str, dict]:
    """The 2021 cycle of the demo tenant ``code`` in the API, and a platform token."""
    with app.app_context(), use_scope(system_scope()):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        cycle = db.session.scalar(
            select(Cycle).where(Cycle.tenant_id == tenant.id, Cycle.period == "2021")
        )
        url = f"/api/v1/tenants/{tenant.id}/cycles/{cycle.id}"
        token, _ = issue_token(db.session.scalar(select(User).where(User.username == "admin")))
    return url, {"Authorization": f"Bearer {token}"}


def read(client, url: str, auth: dict):
    answer = client.get(url, headers=auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer


def total_of(answer) -> int:
    return json.loads(answer.headers["X-Pagination"])["total"]


def test_checked_tracks_are_not_incomplete(client, app):
    url, auth = cycle_api(app, "DEMO-ENTERPRISE")
    tracks = read(client, f"{url}/summary", auth).json["tracks"]
    for key in ("member", "party_group"):
        assert tracks[key]["missing"] == 0 and tracks[key]["vetoed"] == 0
        assert tracks[key]["rated"] > 0 and not tracks[key]["stars"]
    assert tracks["member"]["rated"] == 136
    missing = read(client, f"{url}/results?level=missing", auth)
    assert total_of(missing) == 0 and missing.json == []
    preview = read(client, f"{url}/publications/preview", auth).json
    assert preview["missing_total"] == 0 and preview["missing"] == []
    assert preview["counts"]["member"] == {"checked": 136}


def test_vetoed_results_are_counted_apart(client, app):
    url, auth = cycle_api(app, "AKS-COLLEGE")
    members = read(client, f"{url}/summary", auth).json["tracks"]["member"]
    vetoed = read(client, f"{url}/results?flag=vetoed&track=member", auth)
    assert members["vetoed"] == total_of(vetoed) == 2
    assert members["missing"] == 0
    assert all(r["stars"] is None and r["grade"] is None for r in vetoed.json)
    assert total_of(read(client, f"{url}/results?level=missing", auth)) == 0
    preview = read(client, f"{url}/publications/preview", auth).json
    assert preview["missing_total"] == 0
    assert (
        preview["counts"]["member"]["vetoed"] == 2 and "missing" not in preview["counts"]["member"]
    )


def test_the_oversight_shares_leave_checked_tracks_out(app):
    """监督总览's 评分进度 and 最高/最低等次 are of the subjects rated to a level: the
    enterprise's members and party groups, only checked, are in neither (they once made
    its 最高等次 3.8% of 160 rather than 6 of 13); the college's vetoed members are in."""
    from zhibu.evaluations import compute
    from zhibu.models import EvaluationResult, ResultSet
    from zhibu.reports import overview

    with app.app_context(), use_scope(system_scope()):
        for code in ("DEMO-ENTERPRISE", "AKS-COLLEGE"):
            tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
            (row,) = overview.overview([tenant.id], "2021").rows
            leveled = compute.leveled_tracks(compute.definition_for(row.cycle)[0])
            rated = db.session.scalars(
                select(EvaluationResult.track)
                .join(ResultSet, ResultSet.id == EvaluationResult.result_set_id)
                .where(
                    ResultSet.cycle_id == row.cycle.id,
                    ResultSet.current,
                    EvaluationResult.rated,
                )
            ).all()
            expected = sum(track in leveled for track in rated)
            assert row.measures.subjects == expected
            if code == "DEMO-ENTERPRISE":
                assert expected < len(rated)  # its checked members and groups left out
    assert expected == 452  # the college: 26 branches and 426 members, two of them vetoed
