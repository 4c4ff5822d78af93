"""`manage.py generate_allocation_list --seed HEX --env UAT --out FILE`: FILE and FILE.sha256.

`--products "A=interferon gamma-1b,B=placebo"` says which product each arm code is
(default: randomization.parameters.DEFAULT_PRODUCTS); the import records it.

For the independent statistician (randomization manager) and for demo/UAT lists.
Touches no database row; the same seed gives a byte-identical file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from randomization import allocation_list
from randomization import parameters as p


class Command(BaseCommand):
    help = "Generate a seeded allocation list CSV and its .sha256 companion file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", required=True, help="128-bit seed, 32 hexadecimal characters (record it)."
        )
        parser.add_argument("--env", required=True, choices=p.ENVIRONMENTS)
        parser.add_argument("--out", required=True, help="Output CSV path.")
        parser.add_argument("--list-version", default="1")
        parser.add_argument(
            "--products",
            default=allocation_list.format_products(p.DEFAULT_PRODUCTS),
            help='Product of each arm code, e.g. "A=interferon gamma-1b,B=placebo".',
        )
        parser.add_argument("--force", action="store_true", help="Overwrite an existing file.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if out.exists() and not options["force"]:
            raise CommandError(f"{out} exists; use --force to overwrite it.")
        products = allocation_list.parse_products(options["products"])
        if products is None:
            raise CommandError('--products must read like "A=interferon gamma-1b,B=placebo".')
        try:
            text = allocation_list.generate(
                options["seed"], options["env"], options["list_version"], products=products
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        data = text.encode("utf-8")
        out.write_bytes(data)
        sha_path = out.with_name(out.name + ".sha256")
        sha_path.write_text(allocation_list.sha256_file_content(data, out.name), encoding="utf-8")
        self.stdout.write(
            f"{out} ({len(data)} bytes)\nSHA-256 {allocation_list.sha256_hex(data)}"
            f" written to {sha_path}"
        )
