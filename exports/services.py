"""The export action: check who may export what, write the files, audit the export."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.access import has_capability
from accounts.roles import Capability
from audit.services import record
from exports import datasets as ds
from exports.formats import FORMATS, write
from participants import locks
from sites.models import Site

if TYPE_CHECKING:
    from accounts.types import User


class ExportRefused(PermissionDenied):
    """Shown to the person as is (translated)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def check_export(
    user: User, *, format: str, unblinded: bool, sites: Sequence[str] | None
) -> list[str] | None:
    """Refuse with a clear message, before anything is written; the site codes checked."""
    if format not in FORMATS:
        raise ExportRefused(
            _("Unknown format %(format)s: choose one of %(choices)s.")
            % {"format": format, "choices": ", ".join(FORMATS)}
        )
    if unblinded:
        from randomization.arm_access import can_see_arm

        if not has_capability(user, Capability.EXPORT_UNBLINDED):
            raise ExportRefused(_("You may not export data with the treatment arm."))
        # roles.md C2: the arm leaves the database only once the database is locked.
        if not locks.database_locked():
            raise ExportRefused(
                _("An export with the treatment arm needs the database lock first.")
            )
        if not can_see_arm(user):
            raise ExportRefused(
                _("An export with the treatment arm needs a recorded unblinding authorisation.")
            )
    elif not has_capability(user, Capability.EXPORT_BLINDED):
        raise ExportRefused(_("You may not export data."))
    if not sites:
        return None
    codes = sorted(set(sites))
    known = set(Site.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ExportRefused(_("Unknown site code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
    return codes


def export_datasets(
    format: str,
    *,
    by: User,
    out_dir: Path,
    sites: Sequence[str] | None = None,
    unblinded: bool = False,
    language: str = "fr",
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write every dataset of the user's scope in `format` into `out_dir` and audit it.

    Blinded unless `unblinded` (ADR 0015). The audit event names the files and their
    SHA-256, never a treatment arm. A failure removes the files already written. Every
    dataset is read from one snapshot (REPEATABLE READ) when no transaction is open yet:
    a form saved during the export is in all datasets or in none.
    """
    outer = connection.in_atomic_block
    with transaction.atomic():
        if not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _export(
            format,
            by=by,
            out_dir=out_dir,
            sites=sites,
            unblinded=unblinded,
            language=language,
            progress=progress,
        )


def _export(
    format: str,
    *,
    by: User,
    out_dir: Path,
    sites: Sequence[str] | None,
    unblinded: bool,
    language: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    codes = check_export(by, format=format, unblinded=unblinded, sites=sites)
    datasets = ds.build(by, blinded=not unblinded, sites=codes)
    if progress is not None:
        datasets = ds.reporting(datasets, progress)
    written: list[Path] = []
    try:
        written = write(format, datasets, Path(out_dir), language=language)
        record(
            "exports.dataset_exported",
            by=by,
            site_code="",
            data={
                "format": format,
                "blinded": not unblinded,
                "sites": codes or "all",
                "datasets": [dataset.spec.name for dataset in datasets],
                "language": language,
                "files": {path.name: sha256_of(path) for path in written},
            },
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
