def test_healthz_reports_database_ok(api, db):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
