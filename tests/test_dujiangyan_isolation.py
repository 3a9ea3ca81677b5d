"""The plugin's endpoints through tests/test_isolation.py's own checks, on their own: a
user of tenant B reads and writes nothing of tenant A, an overseer of A writes nothing
(and, these endpoints showing archive codes, reads nothing either)."""

from test_isolation import WRITES, fill, request_kwargs, tenant_a_state, tenant_endpoints


def _ours(app):
    found = [e for e in tenant_endpoints(app) if e[2].startswith("dujiangyan_quantified.")]
    assert len(found) == 6
    return found


def test_tenant_b_reaches_nothing_of_a(app, client, world):
    before = tenant_a_state(app, world)
    for rule, method, endpoint in _ours(app):
        kwargs = request_kwargs(app, client, rule, method, world)
        response = client.open(
            fill(rule, world), method=method, headers=world.headers["admin_b"], **kwargs
        )
        assert response.status_code == 404, (endpoint, method, response.status_code)
        assert "张三" not in response.get_data(as_text=True)
    assert tenant_a_state(app, world) == before


def test_an_overseer_neither_writes_nor_reads_archive_codes(app, client, world):
    before = tenant_a_state(app, world)
    for rule, method, endpoint in _ours(app):
        kwargs = request_kwargs(app, client, rule, method, world)
        response = client.open(
            fill(rule, world), method=method, headers=world.headers["overseer_c"], **kwargs
        )
        assert response.status_code == 403, (endpoint, method, response.status_code)
        assert "A-M1" not in response.get_data(as_text=True)
    assert tenant_a_state(app, world) == before
    assert {m for _, m, _ in _ours(app)} & WRITES
