"""`manage.py grant_app_role [--role NAME]`: (re)apply the application role's rights."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.dbroles import RoleError, append_only_tables, grant_app_role


class Command(BaseCommand):
    help = (
        "Grant the application database role its rights (run as the owner of the tables): "
        "DML on every table, only SELECT/INSERT on the audit trail, no ownership."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--role",
            default=getattr(settings, "PLATINIUM_APP_DB_ROLE", ""),
            help="role name (default: PLATINIUM_APP_DB_ROLE)",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        if not role:
            raise CommandError("give --role or set PLATINIUM_APP_DB_ROLE")
        try:
            grant_app_role(role, using=options["database"])
        except RoleError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{role}: rights granted; audit tables append-only: {len(append_only_tables())}"
        )
