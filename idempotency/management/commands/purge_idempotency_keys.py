"""`manage.py purge_idempotency_keys`: delete Idempotency-Keys older than 24 hours (run by cron).

    10 * * * *  cd /srv/bufdir && .venv/bin/python manage.py purge_idempotency_keys

Expired keys already count as absent; this only keeps the table small.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from idempotency.services import keys_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Keys older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {keys_purge()} expired idempotency keys.")
