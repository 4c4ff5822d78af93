"""`manage.py check_allocation_list FILE [--sha256 HASH]`: the QC report, no database write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from randomization import allocation_list


class Command(BaseCommand):
    help = "Print the QC report of an allocation list file and every reason to refuse it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--sha256", default="", help="Declared hash (default: the FILE.sha256 companion file)."
        )
        parser.add_argument(
            "--env", default="", help="Expected environment (default: this server's)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        raw = path.read_bytes()
        declared = options["sha256"] or _companion_hash(path)
        parsed, problems = allocation_list.check_upload(
            raw,
            expected_env=options["env"] or settings.PLATINIUM_ENV,
            declared_sha256=declared,
        )
        if parsed is not None:
            self.stdout.write(allocation_list.qc_report(parsed).as_text())
        if problems:
            for message in problems:
                self.stderr.write(message.render())
            raise CommandError(f"{len(problems)} problem(s): the list would be refused.")
        self.stdout.write(self.style.SUCCESS("The list passes every import check."))


def _companion_hash(path: Path) -> str:
    companion = path.with_name(path.name + ".sha256")
    return companion.read_text(encoding="utf-8") if companion.is_file() else ""
