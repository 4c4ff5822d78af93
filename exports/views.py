"""The export page of data managers and statisticians (blinded datasets)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery.result import AsyncResult
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import capability_required
from accounts.forms import ReauthenticationForm
from accounts.reauth import ReauthenticationFailed, reauthenticate
from accounts.roles import Capability as C
from crf.access import get_participant_for_user
from exports import jobs, release
from exports.casebook import download_casebook_pdf
from exports.forms import ExportForm
from exports.models import ExportJob
from exports.services import ExportRefused

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest

RECENT = 20


@require_http_methods(["GET", "POST"])
@capability_required(C.EXPORT_BLINDED)
def export_home(request: AuthenticatedRequest) -> HttpResponse:
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = [site.code for site in form.cleaned_data["sites"]]
        try:
            job = jobs.request_export(
                form.cleaned_data["format"],
                by=request.user,
                sites=codes or None,
                language=(get_language() or "fr")[:2],
            )
        except ExportRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, gettext("Export queued: it runs in the background."))
            return redirect(f"{request.path}#export-{job.pk}")
    mine = ExportJob.objects.of(request.user)
    if request.GET.get("show") == "ready":  # home page link (issue #11)
        mine = mine.filter(status=ExportJob.Status.DONE)
    recent = mine[:RECENT]
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "jobs": [_with_progress(job) for job in recent]}
    return render(request, "exports/home.html", context, status=status)


@capability_required(C.EXPORT_BLINDED)
def export_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The job's row, polled by the page (htmx) until it is ready or failed."""
    job = get_object_or_404(ExportJob.objects.of(request.user), pk=pk)
    return render(request, "exports/_job.html", {"job": _with_progress(job)})


@capability_required(C.EXPORT_BLINDED)
def export_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    job = get_object_or_404(ExportJob.objects.of(request.user), pk=pk)
    try:
        handle = jobs.open_download(job, by=request.user)
    except ExportRefused as refused:
        messages.error(request, str(refused))
        return redirect("exports:home")
    response = FileResponse(handle, as_attachment=True, filename=job.file_name.rsplit("/", 1)[-1])
    response["X-Content-SHA256"] = job.sha256
    return response


def _with_progress(job: ExportJob) -> dict[str, Any]:
    progress = job.progress
    if job.status == ExportJob.Status.RUNNING:  # the task's own report, while it runs
        info = AsyncResult(jobs.task_id(job)).info
        if isinstance(info, dict):
            progress = int(info.get("progress", progress))
    return {"job": job, "progress": progress, "polling": job.status in ("queued", "running")}


@require_GET
@capability_required(C.VIEW_CLINICAL_DATA)
def casebook_pdf(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The participant's casebook as a PDF (another site's participant: 404); audited."""
    participant = get_participant_for_user(request.user, code)
    pdf = download_casebook_pdf(participant, by=request.user)
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@capability_required(C.EXPORT_UNBLINDED)
def allocation_release(request: AuthenticatedRequest) -> HttpResponse:
    """The randomization manager downloads participant → arm after the database lock and
    the unblinding authorisation, re-authenticated (exports/release.py)."""
    if not release.may_release(request.user):
        raise PermissionDenied
    form = ReauthenticationForm(request.POST or None, user=request.user)
    refusal = release.release_refusal()
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            # Before the service's transaction: a failed attempt is audited and counted.
            typed = form.credentials()
            reauthenticate(
                request.user,
                password=typed["password"],
                token=typed["token"],
                purpose="allocation_release",
                request=request,
            )
            released = release.release_allocation(by=request.user)
        except ReauthenticationFailed as failed:
            form.add_error("password", failed.message)
        except ExportRefused as refused:
            form.add_error(None, str(refused))
        else:
            response = HttpResponse(released.content, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{released.filename}"'
            response["X-Content-SHA256"] = released.sha256
            response["Cache-Control"] = "no-store"
            return response
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "exports/allocation_release.html",
        {"form": form, "refusal": refusal},
        status=status,
    )
