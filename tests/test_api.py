"""The API skeleton: the OpenAPI document and the scheme list."""


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
