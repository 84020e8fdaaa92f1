"""`manage.py create_api_key --org ORG [--org ORG ...] [--name NAME]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from api_keys.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key that may write the given organisations' data; prints the key once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", action="append", required=True, dest="orgs", help="org_id; repeatable.")
        parser.add_argument("--name", default="", help="Who or what uses the key.")

    def handle(self, *args: Any, orgs: list[str], name: str, **options: Any) -> None:
        try:
            key, raw = api_key_create(name=name or f"Key for {', '.join(sorted(orgs))}", org_ids=orgs)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created API key {key.prefix} ({key.name}) for {', '.join(sorted(orgs))}.")
        self.stdout.write("The key (shown only now; send it as 'Authorization: Bearer <key>'):")
        self.stdout.write(raw)
