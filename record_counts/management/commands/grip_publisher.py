"""`manage.py grip_publisher`: the one process that publishes held streams' counts to Pushpin.

Run exactly one per deployment, with the same REDIS_URL, GRIP_KEY and GRIP_PUBLISH_URL as
the app processes (the Procfile's ``publisher``; docs/stream.md, "Who publishes").
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from record_counts import grip, relay
from record_counts.publisher import Publisher


class Command(BaseCommand):
    help = "Publish the changed counts of watched ranges to Pushpin (GRIP hold mode); run one."

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "EVENTS_REDIS", None):
            raise CommandError("needs REDIS_URL (without Redis the stream process publishes itself)")
        if not grip.publish_urls():
            raise CommandError("needs GRIP_PUBLISH_URL (Pushpin's publish endpoint)")
        asyncio.run(self._run())

    async def _run(self) -> None:
        from record_counts.stream import read_changed_counts

        publisher = Publisher(read_changed_counts, coalesce_seconds=settings.STREAM_COALESCE_SECONDS)
        publisher.start()
        await relay.ensure_subscribed()
        print("grip publisher ready", file=sys.stderr, flush=True)
        await asyncio.Event().wait()  # until killed
