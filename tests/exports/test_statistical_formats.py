"""Excel, SAS XPT and Stata exports read back with openpyxl and pyreadstat."""

from __future__ import annotations

import re

import openpyxl
import pyreadstat
import pytest

from exports import datasets as ds
from exports import dictionary as d
from exports.formats import write
from tests.exports.trial import FORMULA_TERM, LONG_TEXT

pytestmark = pytest.mark.django_db


def test_excel_has_one_sheet_per_dataset_and_the_dictionary(small_trial, role_users, tmp_path):
    datasets = ds.build(role_users["data_manager"])
    (path,) = write("xlsx", datasets, tmp_path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [x.spec.name for x in datasets] + ["dictionary"]
    rows = list(book["baseline"].iter_rows(values_only=True))
    assert list(rows[0]) == [v.name for v in datasets[0].columns]
    assert len(rows) == 4
    ae = list(book["adverse_event"].iter_rows(values_only=True))
    terms = [row[ae[0].index("term")] for row in ae[1:]]
    # openpyxl would store "=..." as a formula: it is text with an apostrophe instead.
    assert "'" + FORMULA_TERM in terms
    header = list(next(book["dictionary"].iter_rows(values_only=True)))
    assert header == list(d.DICTIONARY_COLUMNS)


def test_xpt_names_labels_and_values(small_trial, role_users, tmp_path):
    datasets = ds.build(role_users["statistician"])
    paths = write("xpt", datasets, tmp_path, language="en")
    names = {p.name for p in paths}
    assert {"daily.xpt", "baseline.xpt", "dictionary.csv", "formats.sas"} <= names
    df, meta = pyreadstat.read_xport(str(tmp_path / "daily.xpt"))
    spec = d.crf_dataset("daily")
    assert meta.column_names == [v.sas_name for v in spec.columns(blinded=True)]
    assert all(re.fullmatch(r"[A-Z_][A-Z0-9_]{0,7}", n) for n in meta.column_names)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["SOFATOTA"] == "SOFA total"
    assert sorted(df["SUBJID"]) == ["11-001", "11-001", "11-002", "16-001"]
    assert set(df["IMV"]) == {0.0, 1.0}
    assert meta.table_name == "DAILY"
    assert meta.original_variable_types["DAY_DATE"] == "DATE"
    formats = (tmp_path / "formats.sas").read_text()
    assert "proc format;" in formats and "'INVASIVE_MV' = 'Invasive MV'" in formats


def test_stata_variable_labels_and_value_labels_in_french(small_trial, role_users, tmp_path):
    datasets = ds.build(role_users["statistician"])
    write("dta", datasets, tmp_path)
    df, meta = pyreadstat.read_dta(str(tmp_path / "baseline.dta"))
    assert "sex" in meta.column_names
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["sex"] == "sexe"
    sex_labels = meta.variable_value_labels["sex"]
    assert sex_labels == {1: "Homme", 2: "Femme"}
    assert set(df["sex"]) == {1.0}  # every baseline says M
    _outcomes, outcomes_meta = pyreadstat.read_dta(str(tmp_path / "outcomes.dta"))
    assert outcomes_meta.original_variable_types["randomized_at"] == "%tc"
    # Booleans labelled too.
    _daily, daily_meta = pyreadstat.read_dta(str(tmp_path / "daily.dta"))
    assert daily_meta.variable_value_labels["imv"] == {0: "Non", 1: "Oui"}
    # apply_value_formats gives the labels back, as a statistician would see them.
    labelled, _ = pyreadstat.read_dta(str(tmp_path / "baseline.dta"), apply_value_formats=True)
    assert set(labelled["sex"]) == {"Homme"}


def test_every_sas_name_is_short_and_unique_per_dataset():
    for spec in d.all_datasets(blinded=False):
        names = [v.sas_name for v in spec.variables]
        assert len(names) == len(set(names)), spec.name
        assert all(d.SAS_NAME.match(n) for n in names), spec.name
        assert d.SAS_NAME.match(spec.sas_name)
        assert len({v.name for v in spec.variables}) == len(spec.variables), spec.name


def test_sas_names_break_ties_with_a_number():
    assert d.sas_names(["platelets_value", "plate_value", "platelets_val"]) == [
        "PLATVALU",
        "PLATVA1",
        "PLATEVAL",
    ]


def test_every_crf_form_has_a_dataset_with_every_exportable_field():
    from crf.definitions import CRF_MODELS

    forms = {spec.form for spec in d.all_datasets()}
    assert {model.FORM_CODE for model in CRF_MODELS} <= forms
    baseline = {v.name for v in d.crf_dataset("baseline").variables}
    assert {"weight_kg", "sex", "charlson_items", "saps2"} <= baseline
    units = {v.name: v.unit for v in d.crf_dataset("daily").variables}
    assert units["pao2_mmhg"] == "mmHg" and units["pao2_value"] == "→ pao2_unit"


def test_long_text_with_accents_survives_every_format(small_trial, role_users, tmp_path):
    import zipfile

    import pandas as pd

    datasets = ds.build(role_users["data_manager"])
    for fmt in ("csv", "xlsx", "xpt", "dta"):
        write(fmt, datasets, tmp_path / fmt)
    with zipfile.ZipFile(tmp_path / "csv" / "platinium_csv.zip") as archive:
        assert pd.read_csv(archive.open("deviation.csv"))["description"].tolist() == [LONG_TEXT]
    book = openpyxl.load_workbook(tmp_path / "xlsx" / "platinium.xlsx", read_only=True)
    rows = list(book["deviation"].iter_rows(values_only=True))
    assert rows[1][rows[0].index("description")] == LONG_TEXT
    xpt, _ = pyreadstat.read_xport(str(tmp_path / "xpt" / "deviatio.xpt"))
    assert xpt["DESCRIPT"].tolist() == [LONG_TEXT]
    dta, _ = pyreadstat.read_dta(str(tmp_path / "dta" / "deviation.dta"))
    assert dta["description"].tolist() == [LONG_TEXT]


def test_datasets_are_scoped_by_visible_to(small_trial, role_users):
    """A site-scoped reader gets its own site's rows only (the later investigator copy
    builds on this); the all-sites data manager gets both (negative control)."""
    for user, expected in (("investigator", {"11"}), ("data_manager", {"11", "16"})):
        for dataset in ds.build(role_users[user]):
            if "site" not in [v.name for v in dataset.columns]:
                continue
            sites = {row[[v.name for v in dataset.columns].index("site")] for row in dataset.rows()}
            if dataset.spec.name in {"baseline", "screening", "outcomes"}:
                assert sites == expected, (user, dataset.spec.name)
            else:
                assert sites <= expected, (user, dataset.spec.name)


def test_chunk_size_changes_nothing_but_the_round_trips(
    small_trial, role_users, tmp_path, monkeypatch
):
    from exports import datasets as module

    write("csv", ds.build(role_users["data_manager"]), tmp_path / "a")
    monkeypatch.setattr(module, "CHUNK_SIZE", 1)
    write("csv", ds.build(role_users["data_manager"]), tmp_path / "b")
    a = (tmp_path / "a" / "platinium_csv.zip").read_bytes()
    assert a == (tmp_path / "b" / "platinium_csv.zip").read_bytes()
