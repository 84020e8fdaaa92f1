"""`manage.py create_coordinator USERNAME --org ORG [--org ORG ...]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from activities.coordinators import coordinator_create


class Command(BaseCommand):
    help = "Create a coordinator (staff user in the Coordinators group) for one or more organisations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--org", action="append", required=True, dest="orgs", help="org_id; repeatable.")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, username: str, orgs: list[str], email: str, **options: Any) -> None:
        try:
            user, password = coordinator_create(username=username, org_ids=orgs, email=email)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        names = ", ".join(sorted(orgs))
        if password:
            self.stdout.write(f"Created coordinator {user.username} for {names}.")
            self.stdout.write(f"One-time password (change it at first login): {password}")
        else:
            self.stdout.write(f"Coordinator {user.username} now also covers {names}.")
