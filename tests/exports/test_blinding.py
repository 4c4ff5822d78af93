"""Blinded exports are free of the arm: twin trials with A↔B swapped in the allocation and
kit lists give byte-identical files in every format (tests/randomization/twin_world.py has
the idea); a leaking export is caught; restricted day-10 biology stays out."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction

from exports import datasets as ds
from exports import dictionary as d
from exports.datasets import CHUNK_SIZE, Dataset
from exports.services import export_datasets
from platinium.lib.study_time import STUDY_TIME_ZONE
from randomization import arm_access
from randomization.models import Allocation
from tests.exports import trial
from tests.randomization.factories import load_slots
from tests.randomization.twin_world import SEED, restart_sequences

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

INSTANT = datetime(2026, 3, 10, 10, 0, tzinfo=STUDY_TIME_ZONE)
FORMATS = ("csv", "xlsx", "xpt", "dta", "odm")


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*.*")}


def one_world(swap: bool, fixtures: dict[str, Any], out: Path, formats=FORMATS) -> dict:
    users = fixtures["role_users"]
    with transaction.atomic():
        restart_sequences()
        with time_machine.travel(INSTANT, tick=False):
            load_slots([fixtures["site11"], fixtures["site16"]], seed=SEED, swap=swap)
            trial.build(
                users, fixtures["site11"], fixtures["site16"], monkeypatch=fixtures["monkeypatch"]
            )
            arms = sorted(
                arm_access._open(token)
                for token in Allocation.objects.values_list("slot__arm_token", flat=True)
            )
            for fmt in formats:
                export_datasets(fmt, by=users["statistician"], out_dir=out / fmt)
        transaction.set_rollback(True)
    return {"files": files_of(out), "arms": arms}


@pytest.fixture
def fixtures(role_users, site11, site16, monkeypatch) -> dict[str, Any]:
    return {
        "role_users": role_users,
        "site11": site11,
        "site16": site16,
        "monkeypatch": monkeypatch,
    }


def test_blinded_exports_are_byte_identical_when_the_arms_are_swapped(fixtures, tmp_path):
    a = one_world(False, fixtures, tmp_path / "a")
    b = one_world(True, fixtures, tmp_path / "b")
    # The worlds differ in the arms, and the exports are not empty.
    assert a["arms"] != b["arms"]
    assert len(a["files"]) > 30
    with zipfile.ZipFile(tmp_path / "a" / "csv" / "platinium_csv.zip") as archive:
        assert archive.read("daily.csv").count(b"\n") == 5
        assert archive.read("outcomes.csv").count(b"\n") == 4
    assert sorted(a["files"]) == sorted(b["files"])
    assert [name for name in a["files"] if a["files"][name] != b["files"][name]] == []


def test_negative_control_an_export_with_the_arm_is_caught(fixtures, tmp_path, monkeypatch):
    """Planting the arm in the blinded export makes the two worlds differ."""
    build = ds.build

    def leaking(user: Any, **kwargs: Any) -> list[Dataset]:
        def rows():
            allocations = Allocation.objects.select_related("participant", "site", "slot")
            for row in allocations.order_by("participant__code").iterator(chunk_size=CHUNK_SIZE):
                arm = arm_access._open(row.slot.arm_token)
                yield [row.participant.code, row.site.code, row.slot.rand_no, None, arm]

        return [*build(user, **kwargs), Dataset(d.allocation_dataset(), False, rows)]

    monkeypatch.setattr(ds, "build", leaking)
    a = one_world(False, fixtures, tmp_path / "a", formats=("csv", "odm"))
    b = one_world(True, fixtures, tmp_path / "b", formats=("csv", "odm"))
    assert a["files"]["csv/platinium_csv.zip"] != b["files"]["csv/platinium_csv.zip"]
    assert a["files"]["odm/platinium-odm.xml"] != b["files"]["odm/platinium-odm.xml"]


def csv_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def headers(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(
            archive.read(name).decode().splitlines()[0] for name in ("d10.csv", "outcomes.csv")
        )


def test_restricted_day10_biology_is_not_in_a_blinded_export(small_trial, role_users, tmp_path):
    """The data manager sees mHLA-DR on screen (ADR 0010), yet the blinded export has
    neither the results, nor their columns, nor the restoration computed from them."""
    for user in ("data_manager", "statistician"):
        (path,) = export_datasets("csv", by=role_users[user], out_dir=tmp_path / user)
        text, columns = csv_text(path), headers(path)
        assert "9137" not in text and "1.2340" not in text
        for restricted in ("mhla_dr_abc", "lymphocytes_g_l", "d10_immune_restoration"):
            assert restricted not in columns
        assert "sample_taken" in columns  # the form's progress is there
        assert "d10,D10,D10_BIOLOGY,mhla_dr_abc" not in text  # nor in the dictionary


def test_negative_control_restricted_biology_is_found_when_present(
    small_trial, role_users, tmp_path
):
    """The same scan finds the values in the unblinded export (database locked)."""
    from participants import locks
    from randomization.models import UnblindingAuthorisation

    locks.lock_database(by=role_users["data_manager"], reason="final lock")
    UnblindingAuthorisation.objects.create(
        recorded_by=role_users["randomization_manager"], reference="DSMB-2026-01"
    )
    (path,) = export_datasets(
        "csv", by=role_users["statistician"], out_dir=tmp_path, unblinded=True
    )
    text, columns = csv_text(path), headers(path)
    assert "9137" in text and "1.2340" in text
    assert "mhla_dr_abc" in columns and "d10_immune_restoration" in columns
