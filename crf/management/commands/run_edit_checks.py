"""Re-run the soft edit checks over the saved data; print what was opened and closed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crf.services.editchecks import run_edit_checks


class Command(BaseCommand):
    help = "Re-run the edit checks over the saved CRF data (system queries); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", help="site code, e.g. 11")
        parser.add_argument(
            "--check", default="", help='a form ("dailyfollowup") or a field ("baseline.weight_kg")'
        )

    def handle(self, *args: Any, site: str | None = None, check: str = "", **options: Any) -> None:
        report = run_edit_checks(site=site, check=check)
        for query in report.opened:
            self.stdout.write(
                f"opened Q{query.pk} {query.model_label}#{query.object_id} {query.field}: "
                f"{query.text}"
            )
        for query in report.closed:
            self.stdout.write(
                f"closed Q{query.pk} {query.model_label}#{query.object_id} {query.field}"
            )
        for code in report.skipped:
            self.stdout.write(f"skipped {code}: locked")
        self.stdout.write(
            f"{len(report.opened)} opened, {len(report.closed)} closed, "
            f"{len(report.skipped)} skipped"
        )
