"""Background work of the exports: thin tasks, ids in, one service call."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def run_export_task(self: Any, job_id: int) -> str:
    from exports.jobs import run_export

    def report(percent: int) -> None:
        if not self.request.is_eager:  # the page reads it from the result backend
            self.update_state(state="PROGRESS", meta={"progress": percent})

    return run_export(job_id, report=report).status


@shared_task
def delete_expired_exports_task() -> int:
    from exports.jobs import delete_expired

    return delete_expired()
