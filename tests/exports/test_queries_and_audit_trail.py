"""The `queries` and `audit_trail` datasets (and the `deviation` one) read back with the
statistician's libraries: csv, openpyxl, pyreadstat. Blinded as the other datasets: no
query text, no restricted day-10 result, no randomization table; the same scans find the
restricted values in the unblinded export (negative control)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pyreadstat
import pytest

from crf.models import D10Biology
from exports import datasets as ds
from exports import dictionary as d
from exports.formats import write
from exports.services import export_datasets
from tests.exports.trial import D10_QUERY_QUESTION, LONG_TEXT, QUERY_ANSWER, QUERY_QUESTION

pytestmark = pytest.mark.django_db


def read_zip(path: Path) -> tuple[dict[str, list[dict[str, str]]], str]:
    with zipfile.ZipFile(path) as archive:
        texts = {name: archive.read(name).decode() for name in archive.namelist()}
    tables = {
        name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(text)))
        for name, text in texts.items()
    }
    return tables, "\n".join(texts.values())


def blinded_csv(user, tmp_path: Path) -> tuple[dict[str, list[dict[str, str]]], str]:
    (path,) = export_datasets("csv", by=user, out_dir=tmp_path)
    return read_zip(path)


def unblinded_csv(role_users, tmp_path: Path) -> tuple[dict[str, list[dict[str, str]]], str]:
    from participants import locks
    from randomization.models import UnblindingAuthorisation

    locks.lock_database(by=role_users["data_manager"], reason="final lock")
    UnblindingAuthorisation.objects.create(
        recorded_by=role_users["randomization_manager"], reference="DSMB-2026-01"
    )
    (path,) = export_datasets(
        "csv", by=role_users["statistician"], out_dir=tmp_path, unblinded=True
    )
    return read_zip(path)


def test_queries_have_one_row_each_with_status_dates_and_no_text(small_trial, role_users, tmp_path):
    query, d10_query = small_trial["queries"]
    tables, text = blinded_csv(role_users["data_manager"], tmp_path)
    rows = {int(r["query_id"]): r for r in tables["queries"]}
    row = rows[query.pk]
    assert (row["participant"], row["site"], row["form"], row["field"]) == (
        "11-001",
        "11",
        "daily",
        "map_mmhg",
    )
    assert row["record_id"] == str(query.object_id)
    assert (row["query_status"], row["origin"]) == ("closed", "data_manager")
    assert row["raised_at"] and row["answered_at"] and row["closed_at"]
    assert row["raised_at"] <= row["answered_at"] <= row["closed_at"]
    assert row["days_open"] == "0"  # the trial is built at one frozen instant
    # The thread is free text: never exported, only the last status.
    for message in (QUERY_QUESTION, QUERY_ANSWER, D10_QUERY_QUESTION):
        assert message not in text
    # A query on a restricted day-10 result is not in the blinded export, even for the
    # data manager who sees the results on screen (ADR 0010).
    assert d10_query.pk not in rows
    assert "mhla_dr_abc" not in {r["field"] for r in tables["queries"]}


def test_the_audit_trail_has_who_when_old_new_and_reason_per_field(
    small_trial, role_users, tmp_path
):
    from audit.context import acting_user
    from crf import services as crf
    from tests.crf.helpers import ae_data

    investigator = role_users["investigator"]
    p1 = small_trial["participants"][0]
    # As in a request: the middleware names the user in the history context.
    with acting_user(investigator):
        crf.save_adverse_event(p1, by=investigator, data=ae_data(term="Headache"))
    tables, _text = blinded_csv(role_users["data_manager"], tmp_path)
    trail = tables["audit_trail"]
    assert trail and {r["site"] for r in trail} == {"11", "16"}
    daily_map = [r for r in trail if r["table"] == "daily" and r["field"] == "map_mmhg"]
    assert daily_map and all(r["event"] == "insert" for r in daily_map)
    assert (daily_map[0]["old_value"], daily_map[0]["new_value"]) == ("", "65")
    (term,) = [r for r in trail if r["field"] == "term" and r["new_value"] == "Headache"]
    assert (term["table"], term["event"], term["participant"]) == (
        "adverse_event",
        "insert",
        "11-001",
    )
    assert term["changed_by"] == investigator.username
    assert term["changed_at"] and term["field_label_en"] and term["field_label_fr"]
    # A voided form: its status change, with the reason and who.
    voided = small_trial["voided"]
    (void,) = [
        r
        for r in trail
        if r["table"] == "adverse_event"
        and r["record_id"] == str(voided.pk)
        and r["event"] == "update"
        and r["field"] == "status"
    ]
    assert (void["old_value"], void["new_value"]) == ("complete", "entered_in_error")
    assert void["reason"] == "duplicate"
    # Rows ordered by site and participant (ODM merges them by participant).
    keys = [(r["site"], r["participant"]) for r in trail]
    assert keys == sorted(keys)
    # Repeated parts of forms are there too.
    assert any(r["table"] == "infection_organism" for r in trail)
    # Bookkeeping never: people and versions are in who/when.
    assert not {"version", "updated_at", "updated_by_id", "participant_id"} & {
        r["field"] for r in trail
    }


def test_deviations_are_the_protocol_deviation_rows(small_trial, role_users, tmp_path):
    tables, _text = blinded_csv(role_users["statistician"], tmp_path)
    (deviation,) = tables["deviation"]
    assert deviation["participant"] == "11-002"
    assert deviation["description"] in (LONG_TEXT, LONG_TEXT.replace("\n", "\r\n"))


def test_the_blinded_audit_trail_has_no_restricted_day10_result(small_trial, role_users, tmp_path):
    for user in ("data_manager", "statistician"):
        tables, _text = blinded_csv(role_users[user], tmp_path / user)
        trail = tables["audit_trail"]
        d10 = [r for r in trail if r["table"] == "d10"]
        assert "sample_taken" in {r["field"] for r in d10}  # the form's progress is there
        assert not set(D10Biology.BLINDED_FIELDS) & {r["field"] for r in d10}
        values = {r["new_value"] for r in trail} | {r["old_value"] for r in trail}
        assert "9137" not in values and "1234" not in values
        # Never a randomization table (allocation, kit): the CRF datasets' tables only.
        assert {r["table"] for r in trail} <= set(d.tables().values())


def test_negative_control_the_unblinded_audit_trail_and_queries_have_them(
    small_trial, role_users, tmp_path
):
    """The same scans find the restricted result and its query in the unblinded export."""
    _query, d10_query = small_trial["queries"]
    tables, _text = unblinded_csv(role_users, tmp_path)
    d10 = [r for r in tables["audit_trail"] if r["table"] == "d10"]
    assert "9137" in {r["new_value"] for r in d10}
    assert "mhla_dr_abc" in {r["field"] for r in d10}
    assert d10_query.pk in {int(r["query_id"]) for r in tables["queries"]}


def test_excel_xpt_and_stata_read_back_with_labels(small_trial, role_users, tmp_path):
    query, _d10_query = small_trial["queries"]
    datasets = ds.build(role_users["statistician"])
    names = [x.spec.name for x in datasets]
    assert {"queries", "audit_trail", "deviation"} <= set(names)

    (xlsx,) = write("xlsx", datasets, tmp_path / "xlsx")
    book = openpyxl.load_workbook(xlsx, read_only=True)
    queries = list(book["queries"].iter_rows(values_only=True))
    assert list(queries[0]) == [v.name for v in d.queries_dataset().columns(blinded=True)]
    assert query.pk in [row[queries[0].index("query_id")] for row in queries[1:]]
    trail = list(book["audit_trail"].iter_rows(values_only=True))
    assert len(trail) > 10

    write("xpt", datasets, tmp_path / "xpt", language="en")
    df, meta = pyreadstat.read_xport(str(tmp_path / "xpt" / "queries.xpt"))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["QSTATUS"] == "query status" and labels["DAYSOPEN"].startswith("days open")
    assert query.pk in set(df["QUERYID"])
    assert meta.original_variable_types["RAISEDTC"] == "DATETIME"
    trail_df, trail_meta = pyreadstat.read_xport(str(tmp_path / "xpt" / "audit.xpt"))
    assert {"OLDVAL", "NEWVAL", "CHGBY", "CHGDTC", "REASON"} <= set(trail_meta.column_names)
    assert "65" in set(trail_df["NEWVAL"])

    write("dta", datasets, tmp_path / "dta")
    df, meta = pyreadstat.read_dta(str(tmp_path / "dta" / "queries.dta"))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["query_status"] == "statut de la query"
    assert meta.variable_value_labels["query_status"][3] == "Fermé"
    labelled, _ = pyreadstat.read_dta(
        str(tmp_path / "dta" / "queries.dta"), apply_value_formats=True
    )
    row = labelled[labelled["query_id"] == query.pk].iloc[0]
    assert (row["query_status"], row["origin"]) == ("Fermé", "Data manager")
    trail_df, _meta = pyreadstat.read_dta(str(tmp_path / "dta" / "audit_trail.dta"))
    assert "map_mmhg" in set(trail_df["field"])
