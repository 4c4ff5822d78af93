"""Exports run in the background: ask (`request_export`), run (`run_export`, the Celery
task), download (`open_download`). Files are kept privately in the `exports` storage
(filesystem by default, any Django storage backend in production) with their SHA-256,
offered to the requester only, and deleted after PLATINIUM_EXPORT_KEEP_HOURS."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from exports.models import ExportJob
from exports.services import ExportRefused, check_export, export_datasets, sha256_of

if TYPE_CHECKING:
    from accounts.types import User


def storage() -> Storage:
    return storages["exports"]


@transaction.atomic
def request_export(
    format: str, *, by: User, sites: list[str] | None = None, language: str = "fr"
) -> ExportJob:
    """Check at once (a refusal is shown on the page), then queue the blinded export."""
    codes = check_export(by, format=format, unblinded=False, sites=sites)
    job = ExportJob.objects.create(
        requested_by=by, format=format, sites=codes or [], blinded=True, language=language
    )
    record("exports.requested", target=job, by=by, data={"format": format, "sites": codes or []})
    from exports.tasks import run_export_task

    transaction.on_commit(lambda: run_export_task.apply_async((job.pk,), task_id=task_id(job)))
    return job


def _set(job: ExportJob, **values: Any) -> None:
    """A status change, committed at once (the page polls it)."""
    ExportJob.objects.filter(pk=job.pk).update(**values)


def task_id(job: ExportJob) -> str:
    """The Celery task of a job has a known id: the page reads its progress from it."""
    return f"export-{job.pk}"


def run_export(job_id: int, *, report: Callable[[int], None] | None = None) -> ExportJob:
    """Write the datasets, zip them, store the archive; idempotent per job.

    The export reads one database snapshot in one transaction, so its progress (percent)
    goes to `report` (the task's state in the result backend), not to the job row."""
    job: ExportJob = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        return job
    _set(job, status=ExportJob.Status.RUNNING)

    def progress(done: int, total: int) -> None:
        if report is not None:
            report(min(99, int(100 * done / max(total, 1))))

    try:
        with tempfile.TemporaryDirectory() as folder:
            written = export_datasets(
                job.format,
                by=job.requested_by,
                out_dir=Path(folder) / "files",
                sites=job.sites or None,
                language=job.language,
                progress=progress,
            )
            archive = Path(folder) / f"platinium-{job.format}-{job.pk}.zip"
            _zip(written, archive)
            with archive.open("rb") as handle:
                name = storage().save(f"{job.pk}/{archive.name}", File(handle))
            digest, size = sha256_of(archive), archive.stat().st_size
    except ExportRefused as refused:
        _set(job, status=ExportJob.Status.FAILED, error=str(refused)[:500])
        return ExportJob.objects.get(pk=job.pk)
    now = timezone.now()
    _set(
        job,
        status=ExportJob.Status.DONE,
        file_name=name,
        sha256=digest,
        size=size,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.PLATINIUM_EXPORT_KEEP_HOURS),
    )
    return ExportJob.objects.get(pk=job.pk)


def _zip(paths: list[Path], archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path in paths:
            out.write(path, arcname=path.name)


def open_download(job: ExportJob, *, by: User) -> IO[bytes]:
    """The requester's ready, unexpired archive; audited at each download."""
    if job.requested_by_id != getattr(by, "pk", None):
        raise Http404
    if job.status != ExportJob.Status.DONE or job.expired or not job.file_name:
        raise ExportRefused(_("This export is not available any more: run it again."))
    record("exports.downloaded", target=job, by=by, data={"sha256": job.sha256})
    return storage().open(job.file_name, "rb")


def delete_expired() -> int:
    """Remove the files of expired exports (the job rows stay, for the audit trail)."""
    count = 0
    expired = ExportJob.objects.filter(expires_at__lte=timezone.now()).exclude(file_name="")
    for job in expired:
        storage().delete(job.file_name)
        _set(job, file_name="")
        count += 1
    return count
