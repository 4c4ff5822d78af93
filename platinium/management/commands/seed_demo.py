"""`manage.py seed_demo`: demo accounts and data. Idempotent; refused when DEBUG is false."""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_accounts
from audit.context import acting_user


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) and demo trial data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--participants",
            type=int,
            default=0,
            help="Also build a synthetic trial with this many participants.",
        )
        parser.add_argument("--seed", type=int, default=20250709)
        parser.add_argument(
            "--force", action="store_true", help="Allow with DEBUG=false (test/UAT databases only)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo is refused when DEBUG is false (demo data only).")
        rng = random.Random(options["seed"])
        with transaction.atomic():
            users = seed_accounts()
        with acting_user(users["demo-investigator"], reason="demo data"):
            self._seed_trial(users, rng, options)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo accounts ready (password {DEMO_PASSWORD!r}): " + ", ".join(DEMO_ACCOUNTS)
            )
        )

    def _seed_trial(
        self, users: dict[str, Any], rng: random.Random, options: dict[str, Any]
    ) -> None:
        # Each app seeds its own data, lower layers first.
        from crf.demo import seed as seed_crf
        from eligibility.demo import seed as seed_eligibility
        from randomization.demo import seed as seed_randomization

        seed_eligibility(users=users, rng=rng, stdout=self.stdout)
        seed_randomization(users=users, rng=rng, stdout=self.stdout)
        seed_crf(users=users, rng=rng, stdout=self.stdout, participants=options["participants"])
