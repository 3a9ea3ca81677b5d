"""The API skeleton: the OpenAPI document and the scheme list."""


def test_openapi_document_is_served_by_the_app(client):
    spec = client.get("/api/openapi.json").json
    assert spec["info"]["title"] == "Zhibu API"
    assert "/api/v1/schemes" in spec["paths"]


def test_schemes_are_listed_with_their_seed(client):
    schemes = client.get("/api/v1/schemes").json
    assert [s["key"] for s in schemes] == [
        "akesu_college",
        "county_observation",
        "dujiangyan_quantified",
        "enterprise_5std",
    ]
    assert schemes[0]["seed"].startswith("000_349132acc0aca766.txt")


def test_an_unknown_scheme_is_a_json_404_naming_it(client):
    response = client.get("/api/v1/schemes/nope")
    assert response.status_code == 404
    assert "no scheme 'nope' is loaded" in response.json["message"]
