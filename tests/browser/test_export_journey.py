"""A data manager exports the trial from the browser in each format (ODM included) and
downloads it; the files read back with the library a statistician would use."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyreadstat
import pytest
from django.urls import reverse
from lxml import etree

from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trial(browser_users: dict[str, Any]) -> dict[str, Any]:
    from crf.services import save_baseline
    from sites.models import Site
    from tests.crf.helpers import baseline_data, randomized

    participant = randomized(Site.objects.get(code="11"))
    save_baseline(participant, by=browser_users["investigator"], data=baseline_data())
    return {"participant": participant}


def _download(page: Any, tmp_path: Path, fmt: str) -> Path:
    page.select_option("#id_format", fmt)
    page.click("#export-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    row = page.locator("#export-jobs tbody tr").first
    row.locator(".export-download").wait_for(timeout=60_000)
    assert fmt.upper() in row.inner_text()
    with page.expect_download() as info:
        row.locator(".export-download").click()
    target = tmp_path / f"{fmt}.zip"
    info.value.save_as(target)
    return target


def test_a_data_manager_exports_every_format_from_the_browser(
    page: Any, live_server: Any, trial: dict[str, Any], tmp_path: Path
) -> None:
    code = trial["participant"].code
    login(page, live_server, "data_manager")
    page.click("nav a[href='/exports/']")
    assert page.url.endswith(reverse("exports:home"))
    found: dict[str, Any] = {}
    for fmt in ("csv", "xlsx", "xpt", "dta", "odm"):
        with zipfile.ZipFile(_download(page, tmp_path, fmt)) as outer:
            folder = tmp_path / fmt
            outer.extractall(folder)
        found[fmt] = sorted(p.name for p in folder.rglob("*"))
        if fmt == "xlsx":
            workbook = openpyxl.load_workbook(next(folder.glob("*.xlsx")), read_only=True)
            sheet = workbook["baseline"]
            values = list(sheet.iter_rows(values_only=True))
            assert any(code in row for row in values[1:])
        if fmt == "dta":
            frame, meta = pyreadstat.read_dta(str(next(folder.glob("baseline*.dta"))))
            assert list(frame["participant"]) == [code]
            assert meta.column_names_to_labels["participant"]
        if fmt == "xpt":
            frame, _meta = pyreadstat.read_xport(str(next(folder.glob("baselin*.xpt"))))
            assert code in set(frame.iloc[:, 0])
        if fmt == "odm":
            odm = etree.parse(str(folder / "platinium-odm.xml"))
            subject = f"{{http://www.cdisc.org/ns/odm/v1.3}}SubjectData[@SubjectKey='{code}']"
            assert odm.find(f".//{subject}") is not None
    assert any(name.endswith(".zip") for name in found["csv"])
    assert page.locator("#export-jobs .export-download").count() == 5
