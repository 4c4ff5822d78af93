"""`manage.py generate_kit_list --per-arm N --lot LOT --expiry YYYY-MM-DD --out FILE` (demo/UAT)."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from randomization import allocation_list, kit_codes


class Command(BaseCommand):
    help = "Generate a demo/UAT kit list (shuffled, random codes) and its .sha256 file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--per-arm", type=int, required=True)
        parser.add_argument("--lot", required=True)
        parser.add_argument("--expiry", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="Reproducible codes for demo data only (default: secrets).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            expiry = date.fromisoformat(options["expiry"])
            rng = random.Random(options["seed"]) if options["seed"] is not None else None
            text = kit_codes.generate_kit_list(options["per_arm"], options["lot"], expiry, rng=rng)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = Path(options["out"])
        data = text.encode("utf-8")
        out.write_bytes(data)
        out.with_name(out.name + ".sha256").write_text(
            allocation_list.sha256_file_content(data, out.name), encoding="utf-8"
        )
        self.stdout.write(
            f"{out}: {options['per_arm'] * 2} kits, SHA-256 {allocation_list.sha256_hex(data)}"
        )
