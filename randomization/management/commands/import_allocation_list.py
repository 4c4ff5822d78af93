"""`manage.py import_allocation_list FILE --sha256 HASH [--by USERNAME]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.context import acting_user
from randomization.management.commands._operator import operator
from randomization.services.lists import ImportRefused, import_allocation_list


class Command(BaseCommand):
    help = "Load an allocation list (randomization manager only); refuses any invalid list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--sha256", required=True, help="The hash declared by the statistician."
        )
        parser.add_argument("--by", default=None, help="Username of the randomization manager.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        user = operator(options["by"])
        try:
            with acting_user(user):
                alist = import_allocation_list(
                    path.read_bytes(),
                    by=user,
                    declared_sha256=options["sha256"],
                    filename=path.name,
                )
        except PermissionDenied:
            raise CommandError(f"{user.username} is not a randomization manager.") from None
        except ImportRefused as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(f"Refused: {len(exc.messages)} problem(s).") from None
        self.stdout.write(
            self.style.SUCCESS(f"Loaded allocation list {alist} with {alist.slot_count} slots.")
        )
