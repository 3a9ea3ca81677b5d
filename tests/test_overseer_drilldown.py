"""An overseer in an overseen tenant's cycle: per-subject results only once published (the
one policy, pages and API alike), and no link on the drill-down pages that answers 403."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from test_web_pages import login, publish, result_id, seeded  # noqa: F401


def links_of(text: str) -> set[str]:
    return {h for h in re.findall(r'href="(/t/[^"#]+)"', text)}


def test_an_overseer_sees_results_only_once_published(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    tenant, cycle = world.id("A"), seeded["A"]
    results = f"/t/{tenant}/cycles/{cycle}/results"
    explained = f"{results}/{result_id(app, world, 'A', 'A-Z01')}"
    api = f"/api/v1/tenants/{tenant}/cycles/{cycle}/results"
    login(client, "overseer_c")
    page = client.get(f"/t/{tenant}/cycles/{cycle}")
    assert page.status_code == 200 and "个考评对象" in page.text  # the aggregate stays
    assert results not in page.text and "评分表" not in page.text  # no link to follow
    refused = client.get(results)
    assert refused.status_code == 403 and "结果公示后才能查看" in refused.text
    assert client.get(explained).status_code == 404  # as for a result not theirs
    assert client.get(api, headers=world.headers["overseer_c"]).json == []
    admin = client.get(api, headers=world.headers["admin_a"]).json  # staff: at any time
    assert any(r["subject_kind"] == "org" for r in admin)
    ranking = f"/api/v1/tenants/{tenant}/cycles/{cycle}/reports/core.ranking.html"
    held = client.get(ranking, headers=world.headers["overseer_c"])  # reports are results
    assert held.status_code == 403 and "公示后才能查看报表" in held.json["message"]
    reports = client.get(f"/t/{tenant}/cycles/{cycle}/reports")
    assert "公示后才能查看评分和排名报表" in reports.text and "core.ranking" not in reports.text
    assert "core.ledger" in reports.text  # the 整改台账 is followed while the cycle runs
    assert client.get(ranking, headers=world.headers["admin_a"]).status_code == 200

    publish(app, world, cycle)
    page = client.get(f"/t/{tenant}/cycles/{cycle}")
    assert results in page.text and "评分表" not in page.text  # sheets stay the staff's
    listed = client.get(results)
    assert listed.status_code == 200 and "机电系第一党支部" in listed.text
    assert client.get(explained).status_code == 200
    shown = client.get(api, headers=world.headers["overseer_c"]).json
    assert shown and {r["subject_kind"] for r in shown} == {"org"}
    assert client.get(ranking, headers=world.headers["overseer_c"]).status_code == 200


def test_every_link_on_the_overseers_drilldown_pages_answers(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    """A crawl, two links deep from the overseen tenant's dashboard, before and after the
    results are published: every link the overseer is shown opens (no 403, no 5xx)."""
    tenant = world.id("A")
    login(client, "overseer_c")
    for published in (False, True):
        if published:
            publish(app, world, seeded["A"])
        seen, frontier = set(), {f"/t/{tenant}/dashboard", f"/t/{tenant}/cycles/{seeded['A']}"}
        for _depth in range(2):
            found = set()
            for url in sorted(frontier - seen):
                seen.add(url)
                answer = client.get(url)
                assert answer.status_code in (200, 302), (published, url, answer.status_code)
                kind = answer.headers.get("Content-Type", "")
                if answer.status_code == 200 and kind.startswith("text/html"):
                    found |= {
                        u
                        for u in links_of(answer.text)
                        if urlsplit(u).path.startswith(f"/t/{tenant}/")
                        and not re.search(r"\.(xlsx|pdf|csv|zip)$|/download|/files/", u)
                    }
            frontier = found
        assert len(seen) > 3, seen
