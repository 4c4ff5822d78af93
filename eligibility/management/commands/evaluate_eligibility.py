"""`manage.py evaluate_eligibility FILE`: protocol.md §6, glue around eligibility.engine.

Reads one case or a list of cases (FILE is a path or `-` for stdin) and prints the §6 output
as JSON. Touches no database row; bad input exits non-zero with the field named.
"""

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eligibility.case import CaseInputError
from eligibility.engine import evaluate_payload


class Command(BaseCommand):
    help = "Evaluate the eligibility of screening cases given as JSON (protocol.md §6)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="JSON file holding one case or a list of cases; - for stdin"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["file"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot read {source}: {error.strerror}") from error
        try:
            # Decimal keeps the digits as written: boundaries compare exactly.
            payload = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise CommandError(f"invalid JSON at line {error.lineno}: {error.msg}") from error
        try:
            result = evaluate_payload(payload)
        except CaseInputError as error:
            raise CommandError(f"{error.field}: {error.message}") from error
        self.stdout.write(json.dumps(result, ensure_ascii=False))
