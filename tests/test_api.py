"""The API skeleton: the OpenAPI document and the scheme list."""

import re


def test_openapi_document_is_served_by_the_app(client):
    spec = client.get("/api/openapi.json").json
    assert spec["info"]["title"] == "Zhibu API"
    assert "/api/v1/schemes" in spec["paths"]


def test_schemes_are_listed_with_their_seed(app, client):
    from zhibu.plugins import registry

    schemes = client.get("/api/v1/schemes").json
    keys = [s["key"] for s in schemes]
    assert keys == sorted(registry(app).schemes)  # by key: the four, and any plugin's installed
    assert {
        "akesu_college",
        "county_observation",
        "dujiangyan_quantified",
        "enterprise_5std",
    } <= set(keys)
    assert schemes[0]["seed"].startswith("000_349132acc0aca766.txt")


def test_an_unknown_scheme_is_a_json_404_naming_it(client):
    response = client.get("/api/v1/schemes/nope")
    assert response.status_code == 404
    assert response.json["message"] == "没有这个评定方案:nope"


def test_interactive_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert "/api/swagger-ui/swagger-ui-bundle.js" in page.text
    bundle = client.get("/api/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.data) > 100_000


def test_the_apis_own_addresses_lead_to_its_docs_and_back(client, world):
    """/api and /api/v1 open the docs; the docs link back to the app, fit a phone (their
    own local stylesheet) and show docstrings' ``code`` as Markdown code; administrators
    find the docs from every page's footer."""
    from test_web_pages import login

    for address in ("/api", "/api/v1"):
        answer = client.get(address)
        assert answer.status_code in (301, 302, 308), (address, answer.status_code)
        assert client.get(address, follow_redirects=True).request.path == "/api/docs"
    page = client.get("/api/docs").text
    assert 'name="viewport"' in page and 'id="back-to-app"' in page
    assert "/api/docs-static/api-docs.css" in page and "https://" not in page
    assert client.get("/api/docs-static/api-docs.css").status_code == 200
    document = client.get("/api/openapi.json").text
    assert "``" not in document and "deactivate (active: false)" in document  # a summary
    described = client.get("/api/openapi.json").json["paths"]
    texts = [
        op.get("description", "")
        for path in described.values()
        for op in path.values()
        if isinstance(op, dict)
    ]
    assert any(re.search(r"(?<!`)`[^`]+`(?!`)", t) for t in texts)  # Markdown code
    login(client, "admin_a")
    home = client.get(f"/t/{world.id('A')}/dashboard").text
    assert 'href="/api/docs"' in home and "接口文档" in home
    login(client, "member_a")
    assert 'href="/api/docs"' not in client.get(f"/t/{world.id('A')}/me").text
