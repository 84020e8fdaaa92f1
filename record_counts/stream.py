"""GET /api/v1/period-record-counts/stream: live counts of one range as Server-Sent Events.

The range's live CountSnapshot (created and counted on first use) is the source of
truth; its channel gets the absolute count after every committed change. This view
wraps django-eventstream's stream so that:

- bad parameters are a 400 problem before any stream starts;
- the first event is the current count, read *after* the listener is registered, so
  no change can fall between the count and the subscription;
- when django-eventstream drops events (more than 10 pending for a slow client) the
  current count is re-sent, so every client ends on the exact final count;
- the view's database connection is closed before streaming: an idle stream holds
  none (each re-read opens and closes its own).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from asgiref.sync import sync_to_async
from django.db import OperationalError, close_old_connections, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET
from django_eventstream.eventrequest import EventRequest
from django_eventstream.utils import add_default_headers, sse_encode_event
from django_eventstream.views import Listener, stream
from rest_framework.exceptions import ValidationError

from bufdir_project.api.exceptions import problem_response
from bufdir_project.api.fields import range_from_query
from bufdir_project.timeranges import now_to_second
from record_counts.events import EVENT_TYPE, channel_for, count_payload
from record_counts.models import CountSnapshot
from record_counts.serializers import StreamQuerySerializer
from record_counts.services import count_snapshot_for_stream

DELETED_EVENT = "snapshot-deleted"


class CountListener(Listener):
    """Remembers that events were dropped for it (django-eventstream resets ``overflow``)."""

    lost = False

    @property
    def overflow(self) -> bool:
        return self._overflow

    @overflow.setter
    def overflow(self, value: bool) -> None:
        self._overflow = value
        if value:
            self.lost = True


def _current_count_event(snapshot_pk: int) -> str | None:
    """The snapshot's current count as an SSE event; None when the snapshot is gone."""
    try:
        row = (
            CountSnapshot.objects.filter(pk=snapshot_pk).values_list("org__org_id", "range_end", "record_count").first()
        )
    finally:
        connections.close_all()  # never keep a connection for an idle stream
    if row is None:
        return None
    org_id, range_end, record_count = row
    payload = count_payload(org_id=org_id, record_count=record_count, is_complete=range_end < now_to_second())
    return sse_encode_event(EVENT_TYPE, payload, json_encode=True)


_current = sync_to_async(_current_count_event, thread_sensitive=False)


async def _with_current_count(
    inner: AsyncGenerator[str, None], listener: CountListener, snapshot_pk: int
) -> AsyncIterator[str]:
    try:
        yield await inner.__anext__()  # padding + stream-open: the listener is registered now
        event = await _current(snapshot_pk)
        if event is None:
            return
        yield event
        async for chunk in inner:
            if f"event: {DELETED_EVENT}" in chunk:
                return  # EventSource reconnects, which re-creates the live snapshot
            if chunk:
                yield chunk
            # django-eventstream yields an empty chunk after it has thrown events away:
            # on overflow, and for events queued while it first read (views.py "FIXME").
            if listener.lost or not chunk:
                listener.lost = False
                event = await _current(snapshot_pk)
                if event is None:
                    return
                yield event
    finally:
        await inner.aclose()  # unregisters the listener


@require_GET
def count_stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    query = StreamQuerySerializer(data=request.GET.dict())
    try:
        query.is_valid(raise_exception=True)
        time_range = range_from_query(request.GET)
    except ValidationError as exc:
        fields = ", ".join(exc.detail) if isinstance(exc.detail, dict) else ""
        return problem_response(400, f"Invalid input: {fields}.", errors=exc.detail)
    try:
        snapshot = count_snapshot_for_stream(org=query.validated_data["org_id"], time_range=time_range)
    except OperationalError:
        connections.close_all()
        unavailable = problem_response(503, "The database is unavailable; retry shortly.")
        unavailable["Retry-After"] = "5"
        return unavailable

    # Built by hand rather than from the request: no session or user lookup (no query),
    # and a Last-Event-ID from an earlier connection is irrelevant (the current count
    # comes first anyway).
    event_request = EventRequest()
    event_request.channels = {channel_for(snapshot.pk)}
    event_request.channel_last_ids = {}
    event_request.is_next = event_request.is_recover = False
    event_request.user = None
    listener = CountListener()
    listener.user_id = "anonymous"
    listener.channels = event_request.channels

    response = StreamingHttpResponse(
        _with_current_count(stream(event_request, listener), listener, snapshot.pk),
        content_type="text/event-stream",
    )
    add_default_headers(response, request=request)
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    close_old_connections()
    connections.close_all()
    return response
