"""The report operation in the OpenAPI schema: parameters, formats, example, throttle."""

from __future__ import annotations


def test_report_series_is_documented(api, db):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    get = schema["paths"]["/api/v1/reports/series/"]["get"]
    assert get["operationId"] == "getReportSeries"
    params = {p["name"]: p for p in get["parameters"]}
    assert set(params) == {"org_id", "start", "end", "interval", "group_by", "compare", "format"}
    assert params["interval"]["schema"]["enum"] == ["day", "week", "month", "quarter", "year", "none"]
    assert {"org_id", "start", "end"} == {name for name, p in params.items() if p.get("required")}
    content = get["responses"]["200"]["content"]
    assert set(content) == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    example = next(iter(content["application/json"]["examples"].values()))["value"]
    assert example["buckets"][0]["period"] == "2026-01"
    assert {"400", "429"} <= set(get["responses"])
