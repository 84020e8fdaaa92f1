"""Generated requests against our own OpenAPI schema (schemathesis).

Every operation but the stream (documented, but it never ends) is called with generated
valid and invalid input; each response must be no 5xx, carry a documented status code and
content type, match its documented schema, and invalid input must be rejected with a 4xx.
``SCHEMATHESIS_MAX_EXAMPLES`` sets the examples per operation (25 here; .ci/run's
PostgreSQL pass uses 200).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from bufdir_project.wsgi import application

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))

# Not positive_data_acceptance: a schema-valid org_id that names no organisation is a 400
# by the spec, and no schema can say which organisations exist.
# Invalid data may also be refused as too long (414: a query string over 4,096 bytes, the
# limit lib.api.middleware sets; 431: headers over it; 413: a body over the upload
# limit): those are refusals too.
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "431"]
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"enabled": False},
            "negative_data_rejection": {"expected-statuses": REFUSED},
        }
    }
)
STREAM = "/api/v1/period-record-counts/stream"  # documented, but it never ends
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG).exclude(path=STREAM)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]

# Deterministic (no flaky CI). The organisations fixture is created once per operation and
# shared by its examples on purpose: they need some known org_id and add their own rows.
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def orgs(org, other_org):
    # Like Django's test client: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield org, other_org
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@SETTINGS
def test_api(case, orgs):
    case.call_and_validate(checks=CHECKS)


class APIWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def teardown(self) -> None:
        # Every scenario starts from the same rows (the organisations only). Otherwise a
        # replayed scenario meets the rows of those before it (an id already taken, a
        # range already held), answers with another status, and hypothesis, which
        # chooses the next step from the last answer, reports its own data generation
        # as inconsistent (FlakyStrategyDefinition) instead of running.
        from activities.models import Activity, ActivityChange
        from aggregations.models import AggregationSnapshot, SubmittedPeriod
        from idempotency.models import IdempotencyKey
        from record_counts.models import CountSnapshot

        for model in (CountSnapshot, AggregationSnapshot, SubmittedPeriod, Activity, ActivityChange, IdempotencyKey):
            model.objects.all().delete()


APIWorkflow.TestCase.settings = settings(
    max_examples=max(5, MAX_EXAMPLES // 5),
    stateful_step_count=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def test_stateful_links(orgs):
    APIWorkflow.run()
