"""The export page: a data manager asks for an export, a Celery task writes it, the page
shows its progress, the requester downloads the archive (and only the requester)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from exports import datasets as ds
from exports.models import ExportJob
from tests.crf.helpers import baseline_data, randomized
from tests.webform import submit

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trial(site11: Any, site16: Any, role_users: dict[str, Any]) -> dict[str, Any]:
    from crf.services import save_baseline

    p11, p16 = randomized(site11), randomized(site16)
    save_baseline(p11, by=role_users["investigator"], data=baseline_data())
    return {"p11": p11, "p16": p16}


def test_a_data_manager_exports_through_the_page_and_downloads_the_archive(
    trial, role_users, django_capture_on_commit_callbacks
) -> None:
    dm = _client(role_users["data_manager"])
    url = reverse("exports:home")
    with django_capture_on_commit_callbacks(execute=True):
        answer = submit(dm, url, form_id="export-form", changes={"format": "csv"})
    assert answer.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.progress == 100 and job.blinded
    page = dm.get(url)
    assert f'id="export-{job.pk}"' in page.content.decode() and "hx-trigger" not in (
        page.content.decode()
    )  # a finished job is not polled any more
    download = dm.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == job.sha256 == download["X-Content-SHA256"]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        inner = zipfile.ZipFile(io.BytesIO(archive.read(archive.namelist()[0])))
        names = inner.namelist()
        assert "dictionary.csv" in names
        baseline = next(n for n in names if n.startswith("baseline"))
        rows = list(csv.DictReader(io.StringIO(inner.read(baseline).decode("utf-8-sig"))))
    assert [r["participant"] for r in rows] == [trial["p11"].code]
    assert AuditEvent.objects.filter(action="exports.downloaded", target_id=str(job.pk)).exists()


def test_a_site_choice_limits_the_export(trial, role_users, django_capture_on_commit_callbacks):
    dm = _client(role_users["data_manager"])
    form_sites = {"sites": str(trial["p16"].site.pk)}
    with django_capture_on_commit_callbacks(execute=True):
        submit(dm, reverse("exports:home"), form_id="export-form", changes=form_sites)
    assert ExportJob.objects.get().sites == ["16"]


def test_someone_else_s_export_is_not_found_and_an_expired_one_is_refused(
    trial, role_users, django_capture_on_commit_callbacks
) -> None:
    from exports.jobs import request_export, run_export

    job = run_export(request_export("csv", by=role_users["data_manager"]).pk)
    statistician = _client(role_users["statistician"])
    assert statistician.get(reverse("exports:download", args=[job.pk])).status_code == 404
    assert statistician.get(reverse("exports:status", args=[job.pk])).status_code == 404
    assert f"export-{job.pk}" not in statistician.get(reverse("exports:home")).content.decode()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    answer = _client(role_users["data_manager"]).get(reverse("exports:download", args=[job.pk]))
    assert answer.status_code == 302  # back to the page with the message


def test_an_unknown_format_is_refused_on_the_page_and_queues_nothing(role_users) -> None:
    dm = _client(role_users["data_manager"])
    answer = submit(dm, reverse("exports:home"), form_id="export-form", changes={"format": "sav"})
    assert answer.status_code == 422 and ExportJob.objects.count() == 0


def test_expired_files_are_deleted_and_the_job_row_stays(trial, role_users) -> None:
    from exports.jobs import delete_expired, request_export, run_export, storage

    job = run_export(request_export("csv", by=role_users["data_manager"]).pk)
    assert storage().exists(job.file_name)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    assert delete_expired() == 1
    assert not storage().exists(job.file_name)
    assert ExportJob.objects.get(pk=job.pk).file_name == ""


def test_progress_reaches_every_dataset_in_order(trial, role_users) -> None:
    seen: list[tuple[int, int]] = []
    datasets = ds.reporting(ds.build(role_users["data_manager"]), lambda d, t: seen.append((d, t)))
    for dataset in datasets:
        list(dataset.rows())
    total = len(datasets)
    assert seen == [(i, total) for i in range(1, total + 1)]


def test_the_page_costs_the_same_queries_with_many_jobs(
    trial, role_users, django_assert_max_num_queries
) -> None:
    from exports.jobs import request_export, run_export

    dm = _client(role_users["data_manager"])
    run_export(request_export("csv", by=role_users["data_manager"]).pk)
    with django_assert_max_num_queries(12):
        assert dm.get(reverse("exports:home")).status_code == 200
    for _ in range(8):
        request_export("csv", by=role_users["data_manager"])
    with django_assert_max_num_queries(12):
        assert dm.get(reverse("exports:home")).status_code == 200
