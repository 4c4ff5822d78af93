"""`manage.py export_dataset --format csv|xlsx|xpt|dta|odm --out DIR [--sites 11,16]
[--unblinded] --by USERNAME`: the analysis datasets into DIR (ADR 0015)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from exports.formats import FORMATS
from exports.services import ExportRefused, export_datasets


class Command(BaseCommand):
    help = "Export the analysis datasets (blinded unless --unblinded) with their dictionary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument("--out", required=True, help="Directory the files are written to.")
        parser.add_argument("--sites", default="", help="Site codes, comma-separated.")
        parser.add_argument(
            "--unblinded",
            action="store_true",
            help="With the treatment arm (after database lock, EXPORT_UNBLINDED holders).",
        )
        parser.add_argument(
            "--by", required=True, help="Username of the person exporting (audited)."
        )
        parser.add_argument("--language", default="fr", choices=["fr", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["by"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active user %(username)s.") % {"username": options["by"]})
        sites = [code.strip() for code in options["sites"].split(",") if code.strip()]
        if options["sites"] and not sites:
            raise CommandError(_("--sites needs site codes, e.g. 11,16."))
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(_("%(path)s is not a directory.") % {"path": out})
        try:
            paths = export_datasets(
                options["format"],
                by=user,
                out_dir=out,
                sites=sites or None,
                unblinded=options["unblinded"],
                language=options["language"],
            )
        except ExportRefused as refused:
            raise CommandError(str(refused)) from None
        for path in paths:
            self.stdout.write(str(path))
