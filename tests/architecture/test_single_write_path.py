"""Every write to clinical data goes through the services (one write path).

The scan below reads every product module with `ast` and fails on a queryset write
(`update`, `bulk_update`, `bulk_create`, `raw`), a `delete()`, or hand-written SQL on a
clinical table outside the allowlist. Clinical models are taken from the registry itself.
"""

from __future__ import annotations

import pghistory.models
import pytest
from django.apps import apps
from django.db import models

from tests.architecture.write_scan import ROOT, know_models, scan_product, scan_source

CLINICAL_APPS = frozenset({"participants", "eligibility", "crf"})
# Accounts and sites have field history too, but they are user administration, not data.
USER_ADMIN_APPS = frozenset({"accounts", "sites", "auth", "otp_totp", "axes"})


def _has_participant_link(model: type[models.Model]) -> bool:
    return any(
        f.is_relation
        and f.related_model is not None
        and f.related_model._meta.label_lower == "participants.participant"
        for f in model._meta.get_fields()
        if f.concrete
    )


def clinical_models() -> list[type[models.Model]]:
    """Models of the casebook apps, models with field history, models of a participant."""
    tracked = {
        m.pgh_tracked_model
        for m in apps.get_models()
        if issubclass(m, pghistory.models.Event) and getattr(m, "pgh_tracked_model", None)
    }
    return [
        m
        for m in apps.get_models()
        if not issubclass(m, pghistory.models.Event)
        and (
            m._meta.app_label in CLINICAL_APPS
            or (m in tracked and m._meta.app_label not in USER_ADMIN_APPS)
            or _has_participant_link(m)
        )
    ]


def clinical_names() -> tuple[set[str], set[str]]:
    found = clinical_models()
    return {m.__name__ for m in found}, {m._meta.db_table.lower() for m in found}


# (module, model class or "?" / "SQL", method) → why this write may bypass the services.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("audit/versioning.py", "?", "update"): (
        "save_versioned itself: the one UPDATE … WHERE version = n of the write path"
    ),
    ("eligibility/services.py", "SiteSequence", "bulk_create"): (
        "the per-site number counter (ignore_conflicts create): bookkeeping, not data"
    ),
    ("randomization/services/lists.py", "Kit", "bulk_create"): (
        "kit-list import: pharmacy data with no participant yet (history triggers still fire)"
    ),
    ("randomization/services/lists.py", "KitEvent", "bulk_create"): (
        "the kit-list import's own append-only kit events (pharmacy log, no participant)"
    ),
    ("bench/run.py", "SQL", "cursor"): "reads the server version only (benchmark report)",
    ("bench/loadtest/check.py", "SQL", "cursor"): "the lost-write check: SELECTs only",
    ("bench/loadtest/check.py", "SQL", "execute"): "the lost-write check: SELECTs only",
    ("bench/loadtest/scenario.py", "SQL", "cursor"): "reads the active sites' codes only",
    ("bench/loadtest/pages.py", "SQL", "cursor"): "reads the busiest site's code only",
    ("bench/loadtest/pages.py", "SQL", "execute"): "reads the busiest site's code only",
    ("bench/loadtest/database.py", "SQL", "execute"): (
        "CREATE/DROP/COMMENT/ALTER … SET of the load test's throw-away databases: no row of data"
    ),
    ("bench/exports.py", "SQL", "cursor"): "COPY … TO STDOUT, the export baseline (reads only)",
    ("exports/services.py", "SQL", "cursor"): (
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ: one snapshot per export, no data"
    ),
    ("exports/jobs.py", "?", "delete"): (
        "deletes an expired export archive from the file storage, not a database row"
    ),
    ("platinium/lib/compiled.py", "SQL", "cursor"): (
        "runs a SELECT the ORM compiled once, prepared (the reads of a save and of the pages)"
    ),
    ("platinium/lib/compiled.py", "SQL", "execute"): (
        "runs a SELECT the ORM compiled once, prepared (the reads of a save and of the pages)"
    ),
    ("audit/dbroles.py", "SQL", "cursor"): "GRANT/REVOKE of the application role: no data",
    ("audit/dbroles.py", "SQL", "execute"): "GRANT/REVOKE of the application role: no data",
    ("demo/trial.py", "SQL", "cursor"): "SET synchronous_commit for the demo builder session",
    ("participants/lock_guard.py", "SQL", "execute"): (
        "installs the lock trigger on clinical tables (DDL after migrate): no data"
    ),
}


@pytest.fixture(scope="module")
def names() -> tuple[set[str], set[str]]:
    know_models(m.__name__ for m in apps.get_models())
    return clinical_names()


def test_the_clinical_model_list_comes_from_the_registry(names) -> None:
    """Allocation-list slots are list data (no participant, no history): not clinical, so
    their bulk import needs no allowlist entry; kits carry a participant once allocated."""
    model_names, tables = names
    assert "Slot" not in model_names and "Kit" in model_names
    for expected in ("Participant", "Screening", "AdverseEvent", "InfectionMicroorganism"):
        assert expected in model_names
    assert "Allocation" in model_names  # a participant's row in another app
    assert "participants_participant" in tables
    assert "AuditEvent" not in model_names


def test_no_write_bypasses_the_services_outside_the_allowlist(names) -> None:
    model_names, tables = names
    found = scan_product(models=model_names, tables=tables)
    unexpected = [w for w in found if w.key not in ALLOWED]
    assert not unexpected, "\n".join(
        f"{w.path}:{w.line} {w.model}.{w.method}: {w.code}" for w in unexpected
    )


def test_every_allowlist_entry_is_still_needed(names) -> None:
    """A stale entry would silently allow a future write: remove it when the code is gone."""
    model_names, tables = names
    used = {w.key for w in scan_product(models=model_names, tables=tables)}
    assert set(ALLOWED) - used == set()


def test_the_scanner_reads_every_product_module() -> None:
    from tests.architecture.write_scan import product_files

    paths = {p.relative_to(ROOT).as_posix() for p in product_files()}
    assert {"crf/services/events.py", "participants/services.py", "bench/run.py"} <= paths
    assert not any(p.startswith(("tests/", ".venv/")) or "/migrations/" in p for p in paths)


# Negative controls: the scanner flags the writes this issue removed, not the services.

BYPASSES = {
    "status update": 'Participant.objects.filter(pk=1).update(status="x")\n',
    "queryset in a variable": "qs = AdverseEvent.objects.filter(pk=1)\nqs.update(serious=True)\n",
    "related rows": "episode.microorganisms.all().update(organism='')\n",
    "bulk update": "DailyFollowUp.objects.bulk_update(rows, ['gcs'])\n",
    "bulk create": "Death.objects.bulk_create([Death()])\n",
    "hard delete": "death.delete()\n",
    "raw on a manager": "Participant.objects.raw('select 1')\n",
    "sql on a clinical table": (
        "with connection.cursor() as c:\n"
        "    c.execute('UPDATE participants_participant SET status = %s', ['died'])\n"
    ),
}


@pytest.mark.parametrize("source", BYPASSES.values(), ids=BYPASSES.keys())
def test_the_scanner_flags_a_write_that_bypasses_the_services(names, source: str) -> None:
    model_names, tables = names
    assert scan_source(source, "crf/services/events.py", models=model_names, tables=tables)


ALLOWED_SOURCES = {
    "the service": 'change_participant_status(p, status="died", by=u, reason="death")\n',
    "a dict update": "values = {}\nvalues.update(status='x')\n",
    "a set update": "seen = set()\nseen.update([1])\n",
    "a non-clinical model": "Site.objects.filter(pk=1).update(name='x')\n",
    "reading sql": "c.execute('SELECT 1')\n",
}


@pytest.mark.parametrize("source", ALLOWED_SOURCES.values(), ids=ALLOWED_SOURCES.keys())
def test_the_scanner_lets_the_services_and_ordinary_code_pass(names, source: str) -> None:
    model_names, tables = names
    assert scan_source(source, "crf/services/events.py", models=model_names, tables=tables) == []


def test_the_scanner_would_have_caught_the_old_death_write(names) -> None:
    """The write this issue removed from record_death, as it was, is flagged."""
    model_names, tables = names
    old = "Participant.objects.filter(pk=participant.pk).update(status=Participant.Status.DIED)\n"
    (write,) = scan_source(old, "crf/services/events.py", models=model_names, tables=tables)
    assert (write.model, write.method) == ("Participant", "update")
    assert write.key not in ALLOWED
