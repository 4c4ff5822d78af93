"""`manage.py restore_database FILE [--database NAME]`: restore a dump into a new database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from platinium.lib.backup import BackupError, restore
from platinium.management.commands.backup_database import server_major


class Command(BaseCommand):
    help = "Restore a backup_database dump into a new database (never over an existing one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--database", default="", help="name of the new database (default: the configured)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["database"] or connection.settings_dict["NAME"]
        try:
            restore(
                connection.settings_dict,
                dump=Path(options["file"]),
                database=name,
                server_major=server_major(),
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"restored {options['file']} into the database {name}")
