"""`manage.py seed_demo`: demo accounts and data. Idempotent; refused when DEBUG is false."""

from __future__ import annotations

import os
import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from audit.context import acting_user
from demo.seed import seed_demo_data


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) and demo trial data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--participants",
            type=int,
            default=0,
            help="Also build a synthetic trial with this many randomized participants.",
        )
        parser.add_argument("--seed", type=int, default=20250709)
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="Processes building the synthetic trial (sites are shared out).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Allow with DEBUG=false (test/UAT databases only)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo is refused when DEBUG is false (demo data only).")
        with acting_user(None, reason="demo data"):
            seed_demo_data(
                rng=random.Random(options["seed"]),
                stdout=self.stdout,
                participants=options["participants"],
                workers=options["workers"],
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo accounts ready (password {DEMO_PASSWORD!r}): " + ", ".join(DEMO_ACCOUNTS)
            )
        )
