"""CSV export read back as a statistician would: csv module and pandas."""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd
import pytest

from exports import datasets as ds
from exports.formats import write
from exports.formats.cells import neutralise
from tests.exports.trial import FORMULA_TERM, SIGNED_NUMBER_TEXT

pytestmark = pytest.mark.django_db


def read_zip(path) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(path) as archive:
        return {
            name.removesuffix(".csv"): list(
                csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8"))
            )
            for name in archive.namelist()
        }


def test_it_writes_one_csv_per_dataset_and_the_dictionary(small_trial, role_users, tmp_path):
    paths = write("csv", ds.build(role_users["data_manager"]), tmp_path)
    tables = read_zip(paths[0])
    assert set(tables) >= {"baseline", "daily", "d10", "adverse_event", "screening", "outcomes"}
    assert "dictionary" in tables
    baseline = tables["baseline"]
    assert sorted(r["participant"] for r in baseline) == ["11-001", "11-002", "16-001"]
    assert {r["site"] for r in baseline} == {"11", "16"}
    daily = tables["daily"]
    assert len(daily) == 4 and {r["visit"] for r in daily} >= {"D1", "D2"}
    assert all(r["form_status"] in {"complete", "in_progress"} for r in daily)
    # Booleans as 1/0, decimals exact.
    assert {r["imv"] for r in daily} == {"1", "0"}
    assert {r["fio2"] for r in daily} == {"0.4000"}


def test_repeated_parts_of_a_form_have_their_own_dataset(small_trial, role_users, tmp_path):
    tables = read_zip(write("csv", ds.build(role_users["data_manager"]), tmp_path)[0])
    (organism,) = tables["infection_organism"]
    (episode,) = tables["infection"]
    assert organism["infection_id"] == episode["record_id"]
    assert (organism["participant"], organism["organism"], organism["esbl"]) == (
        "11-001",
        "Escherichia coli",
        "R",
    )
    assert tables["readmission"] == []


def test_voided_forms_are_not_exported(small_trial, role_users, tmp_path):
    tables = read_zip(write("csv", ds.build(role_users["data_manager"]), tmp_path)[0])
    terms = [r["term"] for r in tables["adverse_event"]]
    assert "Duplicate entry" not in terms and "Rash" in terms


def test_the_screening_log_lists_failed_criteria(small_trial, role_users, tmp_path):
    tables = read_zip(write("csv", ds.build(role_users["statistician"]), tmp_path)[0])
    log = tables["screening"]
    assert len(log) == 3
    failed = [r for r in log if r["screening_status"] == "not_eligible"]
    assert failed and failed[0]["failed_codes"]


def test_pandas_reads_it_with_the_dictionary_columns(small_trial, role_users, tmp_path):
    path = write("csv", ds.build(role_users["statistician"]), tmp_path)[0]
    with zipfile.ZipFile(path) as archive:
        daily = pd.read_csv(archive.open("daily.csv"))
        dictionary = pd.read_csv(archive.open("dictionary.csv"))
    expected = dictionary[dictionary["dataset"] == "daily"]["variable"].tolist()
    assert daily.columns.tolist() == expected
    assert daily["sofa_total"].dtype.kind in "if"
    sex = dictionary[(dictionary["dataset"] == "baseline") & (dictionary["variable"] == "sex")]
    assert "M [1] = Homme / Male" in sex["allowed_values"].iloc[0]


def test_formula_text_gets_an_apostrophe_and_numbers_do_not(small_trial, role_users, tmp_path):
    tables = read_zip(write("csv", ds.build(role_users["data_manager"]), tmp_path)[0])
    terms = {r["term"] for r in tables["adverse_event"]}
    assert "'" + FORMULA_TERM in terms
    assert SIGNED_NUMBER_TEXT in terms  # a number is left as it is


def test_neutralisation_negative_control(small_trial, role_users, tmp_path, monkeypatch):
    """Without neutralisation the formula reaches the file: the check above would fail."""
    from exports.formats import cells

    monkeypatch.setattr(cells, "neutralise", lambda text: text)
    tables = read_zip(write("csv", ds.build(role_users["data_manager"]), tmp_path)[0])
    assert FORMULA_TERM in {r["term"] for r in tables["adverse_event"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-3", "-3"),
        ("+1.5e3", "+1.5e3"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_sites_filter_keeps_only_those_sites(small_trial, role_users, tmp_path):
    datasets = ds.build(role_users["data_manager"], sites=["16"])
    tables = read_zip(write("csv", datasets, tmp_path)[0])
    for name, rows in tables.items():
        if name != "dictionary":
            assert {r["site"] for r in rows} <= {"16"}, name
    assert [r["participant"] for r in tables["baseline"]] == ["16-001"]
    assert len(tables["screening"]) == 1


def test_rows_stream_with_a_query_count_that_does_not_grow(
    small_trial, role_users, django_assert_max_num_queries
):
    """A CRF dataset is one server-side cursor whatever the number of rows."""
    daily = ds.crf_dataset("daily", role_users["data_manager"])
    with django_assert_max_num_queries(3):
        assert len(list(daily.rows())) == 4
