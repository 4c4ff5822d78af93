"""`manage.py backup_database`: a pg_dump (custom format) and, apart, the arm key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from platinium.lib.backup import BackupError, backup


def server_major() -> int:
    connection.ensure_connection()
    return int(connection.pg_version or 0) // 10000  # type: ignore[attr-defined]  # PostgreSQL only


def _arm_key() -> bytes | None:
    if settings.PLATINIUM_ARM_KEY:
        return settings.PLATINIUM_ARM_KEY.encode()
    path = Path(settings.PLATINIUM_ARM_KEY_FILE or "")
    return path.read_bytes() if path.is_file() else None


class Command(BaseCommand):
    help = "Dump the database (pg_dump custom format); the arm key goes to its own file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(settings.DATA_DIR / "backups"))
        parser.add_argument(
            "--key-output",
            default="",
            help="folder of the arm-key copy (default: the dump's folder; store it elsewhere)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = backup(
                connection.settings_dict,
                directory=Path(options["output"]),
                arm_key=_arm_key(),
                server_major=server_major(),
                key_directory=Path(options["key_output"]) if options["key_output"] else None,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"database: {made.dump}")
        if made.arm_key is not None:
            self.stdout.write(f"arm key (store it apart from the dump): {made.arm_key}")
        else:
            self.stdout.write("no arm key configured: none saved")
