"""Opening a live count stream, direct or held by Pushpin: the checks made before any
stream starts (parameters, reader, access; a 400/401/403/503 problem otherwise) and the
text of its events. Used by the direct stream (record_counts/stream.py), hold mode
(record_counts/held.py) and the GRIP publisher.
"""

from __future__ import annotations

import json

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from activities.admin_scope import coordinated_orgs
from activities.counting import OrgState, org_state
from activities.serializers import OrganizationField
from api_keys.access import authenticate_key
from lib.api.access import REALM, KeyHolder, token_required
from lib.api.exceptions import problem_response
from lib.api.fields import range_from_query
from lib.timeranges import DateTimeRange, isoformat_z
from record_counts.hub import LiveCount
from record_counts.serializers import StreamQuerySerializer

# Sent first: flushes the response headers at once, and the padding makes old proxies
# and browsers that buffer the first 2 KiB of a response start delivering events.
OPENING = ":" + " " * 2048 + "\n\n"
KEEP_ALIVE = ": keep-alive\n\n"


def encode(count: LiveCount) -> str:
    """One SSE event with the contract's data: ``{org_id, record_count, is_complete, timestamp}``."""
    data = {
        "org_id": count.org_id,
        "record_count": count.record_count,
        "is_complete": count.is_complete,
        "timestamp": isoformat_z(count.timestamp),
    }
    return f"event: message\ndata: {json.dumps(data)}\n\n"


def _unauthorized(detail: str) -> HttpResponse:
    response = problem_response(401, detail)
    response["WWW-Authenticate"] = REALM
    return response


def stream_reader(request: HttpRequest) -> KeyHolder | HttpResponse | None:
    """Who reads, when reads need a key: the key's holder, or a logged-in admin user (the
    dashboard's EventSource sends the session cookie and cannot send headers); None when
    reads are public. A response means: answer that instead (401)."""
    if not token_required("GET"):
        return None
    try:
        holder = authenticate_key(request.META.get("HTTP_AUTHORIZATION", ""))
    except AuthenticationFailed as exc:
        return _unauthorized(str(exc.detail))
    if holder is not None:
        return holder
    if request.user.is_authenticated and request.user.is_staff:
        return None  # checked against the user's organisations below
    return _unauthorized("Authentication credentials were not provided.")


def _may_read(request: HttpRequest, reader: KeyHolder | None, org: OrgState) -> bool:
    if not token_required("GET"):
        return True
    if reader is not None:
        return org.pk in reader.org_pks
    return coordinated_orgs(request).filter(pk=org.pk).exists()


def open_stream(request: HttpRequest) -> tuple[OrgState, DateTimeRange, KeyHolder | None] | HttpResponse:
    """What a new stream watches, or the problem response to answer instead. The
    organisation is read with its committed state (one statement), which its first
    count can then be looked up under (``live_counts(known=...)``)."""
    try:
        reader = stream_reader(request)
        if isinstance(reader, HttpResponse):
            return reader
        query = StreamQuerySerializer(data=request.GET.dict())
        try:
            query.is_valid(raise_exception=True)
            time_range = range_from_query(request.GET)
        except ValidationError as exc:
            fields = ", ".join(exc.detail) if isinstance(exc.detail, dict) else ""
            return problem_response(400, f"Invalid input: {fields}.", errors=exc.detail)
        org = org_state(org_id=query.validated_data["org_id"])
        if org is None:
            missing = OrganizationField().error_messages["does_not_exist"]
            errors = {"org_id": [missing.format(slug_name="org_id", value=query.validated_data["org_id"])]}
            return problem_response(400, "Invalid input: org_id.", errors=errors)
        if not _may_read(request, reader, org):
            return problem_response(403, "This API key may not access this organisation's data.")
    except (OperationalError, InterfaceError):
        unavailable = problem_response(503, "The database is unavailable; retry shortly.")
        unavailable["Retry-After"] = "5"
        return unavailable
    return org, time_range, reader
