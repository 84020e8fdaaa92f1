"""Clients generated from ``/api/schema/``, as an API consumer makes them.

openapi-python-client (default settings) and openapi-typescript must generate without a
warning, and every operation in the schema is driven through the generated Python client
against a real daphne server sharing the test database, checking real answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from activities.models import Organization
from aggregations.models import SubmittedPeriod
from aggregations.services import period_submit
from schemes.models import GrantScheme
from schemes.services import scheme_rules_set
from tests.record_counts.server import ROOT, DaphneServer

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "bufdir_reporting_service_client"  # from the schema's title
BIN = Path(sys.executable).parent
CLIENTS = ROOT / "clients"  # package.json: openapi-typescript, installed by `make test`
UTC = dt.UTC
OSLO_WINTER = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture(scope="module")
def server(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DaphneServer]:
    server = DaphneServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def schema_file(server: DaphneServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    response = httpx.get(server.url + "/api/schema/", params={"format": "json"}, timeout=30)
    assert response.status_code == 200, response.text
    path = tmp_path_factory.mktemp("schema") / "openapi.json"
    path.write_text(response.text)
    return path


@pytest.fixture(scope="module")
def schema(schema_file: Path) -> dict[str, Any]:
    return json.loads(schema_file.read_text())


@dataclass
class Generated:
    result: subprocess.CompletedProcess[str]
    out: Path


@pytest.fixture(scope="module")
def python_client(schema_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("python-client") / "client"
    # Its default post-hooks run ruff: ours, from the virtualenv.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", schema_file, "--output-path", out],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return Generated(result, out)


@pytest.fixture(scope="module")
def package(python_client: Generated) -> Iterator[ModuleType]:
    assert python_client.result.returncode == 0, python_client.result.stdout + python_client.result.stderr
    sys.path.insert(0, str(python_client.out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(python_client.out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


class Operations:
    """Calls operations by their schema id through the generated client and notes each one."""

    def __init__(self, package: ModuleType, schema: dict[str, Any], base_url: str) -> None:
        self.modules = {
            operation["operationId"]: f"{PACKAGE}.api.{operation['tags'][0].replace('-', '_')}."
            f"{snake(operation['operationId'])}"
            for item in schema["paths"].values()
            for operation in item.values()
        }
        # Public mode: a plain Client (the signatures say AuthenticatedClient, since token
        # mode is one of the two securities). An undocumented status code raises.
        self.client = package.Client(base_url=base_url, raise_on_unexpected_status=True, timeout=httpx.Timeout(10))
        self.called: set[str] = set()

    def module(self, operation_id: str) -> Any:
        self.called.add(operation_id)
        return importlib.import_module(self.modules[operation_id])

    def __call__(self, operation_id: str, *args: Any, **kwargs: Any) -> Any:
        return self.module(operation_id).sync_detailed(*args, client=self.client, **kwargs)


def test_python_client_generates_without_warnings(python_client):
    output = python_client.result.stdout + python_client.result.stderr
    assert python_client.result.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output


def test_python_client_drives_every_operation(server, schema, package):
    from bufdir_reporting_service_client import models as m

    org = Organization.objects.create(org_id="org-bufdir-42", name="Familievernet Oslo")
    other = Organization.objects.create(org_id="org-bufdir-7", name="Barn og unge Bergen")
    plain = SubmittedPeriod.objects.create(
        org=org,
        period_start=dt.date(2025, 10, 1),
        period_end=dt.date(2025, 12, 31),
        submitted_at=dt.datetime(2026, 1, 10, 16, tzinfo=UTC),
        submitted_by="user-coordinator-07",
        activity_count=0,
    )
    call = Operations(package, schema, server.url)
    q1 = m.RangeRequest(start=dt.date(2026, 1, 1), end=dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    january = m.RangeRequest(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))

    # Activities: create (given id, Oslo offset; generated id), read, list, replace, patch.
    created = call(
        "createActivities",
        body=m.ActivityRequest(
            activity_id="act-10021",
            org_id=org.org_id,
            activity_type="family_guidance",
            recorded_at=dt.datetime(2026, 1, 15, 11, 30, tzinfo=OSLO_WINTER),
            participant_count=4,
            location="Oslo",
            status=m.StatusEnum.COMPLETED,
        ),
    )
    assert created.status_code == 201
    assert created.parsed.activity_id == "act-10021"
    assert created.parsed.recorded_at == dt.datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    second = call(
        "createActivities",
        body=m.ActivityRequest(
            org_id=org.org_id,
            activity_type="peer_support",
            recorded_at=dt.datetime(2026, 2, 10, 9, tzinfo=UTC),
            status=m.StatusEnum.PLANNED,
        ),
        idempotency_key="generated-client-test-1",
    )
    assert second.status_code == 201
    assert re.fullmatch(r"act-[0-9a-f]{32}", second.parsed.activity_id)
    second_id = second.parsed.activity_id

    got = call("getActivity", "act-10021")
    assert got.status_code == 200
    assert (got.parsed.org_id, got.parsed.participant_count, got.parsed.status) == (org.org_id, 4, "completed")

    listed = call("listActivities", org_id=org.org_id, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), limit=1)
    assert listed.status_code == 200
    assert listed.parsed.pagination.total == 2
    assert [a.activity_id for a in listed.parsed.data] == ["act-10021"]
    assert call("listActivities", status=m.ListActivitiesStatus.PLANNED).parsed.pagination.total == 1

    replaced = call(
        "updateActivity",
        "act-10021",
        body=m.ActivityRequest(
            org_id=org.org_id,
            activity_type="family_guidance",
            recorded_at=dt.datetime(2026, 1, 15, 10, 30, tzinfo=UTC),
            participant_count=4,
            location="Bergen",
            status=m.StatusEnum.COMPLETED,
        ),
    )
    assert replaced.status_code == 200
    assert replaced.parsed.location == "Bergen"
    patched = call("patchActivity", "act-10021", body=m.PatchedActivityRequest(participant_count=5))
    assert patched.status_code == 200
    assert (patched.parsed.participant_count, patched.parsed.location) == (5, "Bergen")

    # Bufdir Aggregation Repository.
    in_range = call("getActivitiesInRange", org_id=org.org_id, start=q1.start, end=q1.end)
    assert in_range.status_code == 200
    assert isinstance(in_range.parsed, m.PaginatedActivityList)  # a page, as the contract answers
    assert [a.activity_id for a in in_range.parsed.data] == ["act-10021", second_id]
    assert in_range.parsed.pagination.total == 2

    snapshot = call("countActivitiesInRange", body=m.SnapshotCreateRequest(org_id=org.org_id, range_=q1))
    assert snapshot.status_code == 201
    snapshot_id = snapshot.parsed.id
    assert re.fullmatch(r"agg-snap-\d{3,}", snapshot_id)
    assert snapshot.headers["Location"].rstrip("/").endswith(snapshot_id)
    assert (snapshot.parsed.activity_count, snapshot.parsed.participant_total) == (2, 5)
    assert snapshot.parsed.by_status.additional_properties == {"completed": 1, "planned": 1}
    assert snapshot.parsed.range_start == dt.datetime(2025, 12, 31, 23, tzinfo=UTC)  # Oslo's midnight
    assert snapshot.parsed.range_end == q1.end

    snapshots = call("listAggregationSnapshots", org_id=org.org_id)
    assert [s.id for s in snapshots.parsed.data] == [snapshot_id]
    assert call("listAggregationSnapshots", org_id=other.org_id).parsed.pagination.total == 0
    assert call("getAggregationSnapshot", snapshot_id).parsed.activity_count == 2
    recounted = call("reaggregateSnapshot", snapshot_id, body=m.SnapshotUpdateRequest(range_=january))
    assert recounted.status_code == 200
    assert recounted.parsed.activity_count == 1

    period = call("getLastSubmittedPeriod", org_id=org.org_id)
    assert period.status_code == 200
    assert (period.parsed.period_start, period.parsed.period_end) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert period.parsed.submitted_by == "user-coordinator-07"
    nothing = call("getLastSubmittedPeriod", org_id=other.org_id)
    assert nothing.status_code == 404
    assert isinstance(nothing.parsed, m.Problem)

    # Period Record Count Service: counts stay live, the boolean filter works.
    counted = call("countRecordsInRange", body=m.CountCreateRequest(org_id=org.org_id, range_=q1))
    assert counted.status_code == 200
    count_id = counted.parsed.id
    assert (counted.parsed.record_count, counted.parsed.is_complete) == (2, True)
    assert isinstance(counted.parsed.computed_at, dt.datetime)
    assert counted.parsed.range_.end == q1.end
    assert call("listCountSnapshots", org_id=org.org_id, is_complete=True).parsed.pagination.total == 1
    assert call("listCountSnapshots", org_id=org.org_id, is_complete=False).parsed.pagination.total == 0
    assert call("getCountSnapshot", count_id).parsed.record_count == 2

    # The stream, through the generated operation's request: first event is the live count.
    stream = call.module("getCountStream")
    request = stream._get_kwargs(org_id=org.org_id, start=q1.start, end=q1.end)
    with connect_sse(call.client.get_httpx_client(), "GET", request["url"], params=request["params"]) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        first = next(event for event in source.iter_sse() if event.event == "message")
    assert json.loads(first.data)["record_count"] == 2
    refused = stream.sync_detailed(client=call.client, org_id="org-unknown", start=q1.start, end=q1.end)
    assert refused.status_code == 400
    assert isinstance(refused.parsed, m.Problem)

    # Reports: the monthly series of the quarter, grouped, and its CSV export.
    report = call(
        "getReportSeries",
        org_id=org.org_id,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 3, 31),
        interval=m.GetReportSeriesInterval.MONTH,
        group_by="activity_type",
        compare=m.GetReportSeriesCompare.PREVIOUS_YEAR,
    )
    assert report.status_code == 200
    assert isinstance(report.parsed, m.ReportSeries)
    assert [b.period for b in report.parsed.buckets] == ["2026-01", "2026-02", "2026-03"]
    assert report.parsed.total.activity_count == 2
    assert report.parsed.buckets[0].start == dt.datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert report.parsed.total.groups.additional_properties == {"family_guidance": 1, "peer_support": 1}
    assert report.parsed.comparison.total.activity_count == 0
    # A generated client parses the JSON answer only: a file is fetched with the
    # operation's own request and read as bytes (docs/reports.md).
    request = call.module("getReportSeries")._get_kwargs(
        org_id=org.org_id, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), format_=m.GetReportSeriesFormat.CSV
    )
    exported = call.client.get_httpx_client().request(**request)
    assert exported.status_code == 200
    assert exported.text.startswith("period,start,end,activity_count,participant_total\r\n")
    too_many = call(
        "getReportSeries",
        org_id=org.org_id,
        start=dt.date(2020, 1, 1),
        end=dt.date(2026, 1, 1),
        interval=m.GetReportSeriesInterval.DAY,
    )
    assert too_many.status_code == 400
    assert isinstance(too_many.parsed, m.Problem)

    # The scheme report: a scheme counting every status counts what the series does.
    scheme = GrantScheme.objects.create(code="everything", name="Everything")
    scheme_rules_set(scheme=scheme, rules={"statuses": ["planned", "completed", "cancelled"], "activity_types": [],
                     "min_participants": 0, "min_duration_minutes": 0, "in_person_required": False,
                     "one_per_type_per_day": False})  # fmt: skip
    judged = call(
        "getReportScheme",
        org_id=org.org_id,
        scheme="everything",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 3, 31),
        include=m.GetReportSchemeInclude.ACTIVITIES,
    )
    assert judged.status_code == 200
    assert isinstance(judged.parsed, m.SchemeReport)
    assert judged.parsed.counted.activity_count == report.parsed.total.activity_count == 2
    assert judged.parsed.excluded.activity_count == 0
    assert judged.parsed.rule_version.number == 1
    assert [v.counted for v in judged.parsed.activities.data] == [True, True]
    unknown = call("getReportScheme", org_id=org.org_id, scheme="no-such-scheme", year=2026)
    assert unknown.status_code == 400
    assert isinstance(unknown.parsed, m.Problem)

    # A submission under the scheme: the period names it, and its evidence file is the
    # one digested.
    under = period_submit(
        org=org,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        submitted_by="kari",
        scheme_version=scheme.current_version(),
    )
    last = call("getLastSubmittedPeriod", org_id=org.org_id)
    assert last.status_code == 200
    assert (last.parsed.scheme.code, last.parsed.scheme.rule_version) == ("everything", 1)
    assert last.parsed.evidence.activity_count == last.parsed.activity_count == 2
    assert last.parsed.changes_since_submission_total == 0
    for fmt, digest in (
        (m.GetSubmittedPeriodEvidenceFormat.CSV, last.parsed.evidence.csv_sha256),
        (m.GetSubmittedPeriodEvidenceFormat.XLSX, last.parsed.evidence.xlsx_sha256),
    ):
        evidence = call("getSubmittedPeriodEvidence", under.public_id, format_=fmt)
        assert evidence.status_code == 200
        assert hashlib.sha256(evidence.content).hexdigest() == digest == evidence.headers["x-evidence-sha256"]
    assert call("getSubmittedPeriodEvidence", "sub-period-999").status_code == 404
    # Every submitted period's id, newest first: the first is the last submitted period.
    periods = call("listSubmittedPeriods", org_id=org.org_id)
    assert periods.status_code == 200
    assert isinstance(periods.parsed, m.PaginatedSubmittedPeriodSummaryList)
    assert [p.submitted_period_id for p in periods.parsed.data] == [under.public_id, plain.public_id]
    assert (periods.parsed.data[0].scheme.code, periods.parsed.data[1].scheme) == ("everything", None)
    assert call("listSubmittedPeriods", scheme="everything").parsed.pagination.total == 1

    deleted = call("deleteActivity", second_id)
    assert deleted.status_code == 200
    assert (deleted.parsed.deleted, deleted.parsed.id) == (True, second_id)
    assert call("getActivity", second_id).status_code == 404
    assert call("getCountSnapshot", count_id).parsed.record_count == 1  # live
    # A submitted period by id, the older one too: the deletion is its drift, explained.
    drifted = call("getSubmittedPeriod", under.public_id)
    assert drifted.status_code == 200
    assert isinstance(drifted.parsed, m.SubmittedPeriod)
    (change,) = drifted.parsed.changes_since_submission
    assert (change.activity_id, change.action, change.by) == (second_id, m.ActionEnum.DELETE, "API, no key")
    assert isinstance(change.at, dt.datetime)
    assert drifted.parsed.changes_since_submission_total == 1
    assert (drifted.parsed.evidence.activity_count, drifted.parsed.evidence.activity_count_now) == (2, 1)
    older = call("getSubmittedPeriod", plain.public_id)
    assert (older.parsed.period_end, older.parsed.scheme, older.parsed.evidence) == (dt.date(2025, 12, 31), None, None)
    assert older.parsed.changes_since_submission_total == 0
    missing = call("getSubmittedPeriod", "sub-period-999")
    assert missing.status_code == 404
    assert isinstance(missing.parsed, m.Problem)

    february = call(
        "countRecordsInRange",
        body=m.CountCreateRequest(
            org_id=org.org_id, range_=m.RangeRequest(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
        ),
    )
    assert february.parsed.record_count == 0
    taken = call("refreshCountSnapshot", february.parsed.id, body=m.CountUpdateRequest(range_=q1))
    assert taken.status_code == 409
    refreshed = call("refreshCountSnapshot", count_id, body=m.CountUpdateRequest(range_=january))
    assert refreshed.status_code == 200
    assert (refreshed.parsed.record_count, refreshed.parsed.range_end) == (
        1,
        dt.datetime(2026, 1, 31, 22, 59, 59, tzinfo=UTC),
    )

    for operation_id, public_id in (
        ("deleteCountSnapshot", count_id),
        ("deleteAggregationSnapshot", snapshot_id),
        ("deleteActivity", "act-10021"),
    ):
        gone = call(operation_id, public_id)
        assert gone.status_code == 200
        assert (gone.parsed.deleted, gone.parsed.id) == (True, public_id)
        assert call(operation_id, public_id).status_code == 404
    assert call("getCountSnapshot", count_id).status_code == 404
    assert call("getAggregationSnapshot", snapshot_id).status_code == 404

    assert call.called == set(call.modules), "operations not driven: " + ", ".join(set(call.modules) - call.called)


def test_typescript_types_generate_without_warnings(schema, schema_file, tmp_path):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("needs node and npm (.ci/run installs them) for openapi-typescript")
    tool = CLIENTS / "node_modules" / ".bin" / "openapi-typescript"
    assert tool.exists(), "openapi-typescript is not installed: run `make clients` (make test does)"
    out = tmp_path / "schema.d.ts"
    result = subprocess.run([tool, schema_file, "-o", out], capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"warn|error|⚠", output, re.IGNORECASE), output
    types = out.read_text()
    for item in schema["paths"].values():
        for operation in item.values():
            assert f"    {operation['operationId']}: {{" in types
    assert "is_complete?: boolean;" in types
    # The generated file is valid TypeScript.
    tsc = subprocess.run(
        [CLIENTS / "node_modules" / ".bin" / "tsc", "--noEmit", "--strict", out],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
