"""Truth-table entries of the export page (roles.md: blinded export = data manager and
statistician, all sites). A job and its file belong to the person who asked for it: the
status and the download of the data manager's job are a 404 for everyone else, the
statistician included."""

from __future__ import annotations

from tests.access.harness import Entry, World

EXPORTERS = frozenset({"data_manager", "statistician"})
OWNER = frozenset({"data_manager"})
RANDO = frozenset({"randomization_manager"})


def populate(world: World) -> None:
    from exports.jobs import request_export, run_export

    job = request_export("csv", by=world.users["data_manager"], sites=["11"])
    world.export_job = run_export(job.pk)


def _job(w: World) -> dict:
    return {"pk": w.export_job.pk}


ENTRIES = [
    Entry("exports:home", EXPORTERS, note="blinded analysis datasets"),
    # A format that does not exist: the page comes back with the error (nothing queued).
    Entry("exports:home", EXPORTERS, method="POST", data=lambda w: {"format": "sav"}),
    Entry("exports:status", OWNER, kwargs=_job, note="the requester's own job only"),
    Entry("exports:download", OWNER, kwargs=_job, note="the requester's own file only"),
    Entry(
        "exports:allocation_release",
        RANDO,
        note="the randomization manager; the file only after database lock (C2)",
    ),
]
