"""Readers of the home page's counts and of the lists they open."""

from __future__ import annotations

from typing import Any

import lxml.html


def counts(html: str) -> dict[str, tuple[int, str]]:
    """count key → (number shown, link) of every count on the home page."""
    tree = lxml.html.fromstring(html)
    out: dict[str, tuple[int, str]] = {}
    for link in tree.xpath("//a[contains(@class, 'todo-count')]"):
        number = link.xpath(".//*[contains(@class, 'todo-n')]")[0].text_content().strip()
        out[link.get("data-count")] = (int(number), link.get("href"))
    return out


def _not_empty(table_id: str) -> str:
    return f"//table[@id='{table_id}']/tbody/tr[not(td[@colspan])]"


# count key → XPath of the rows (or of the numbers to add up) of the list it opens.
ROWS = {
    "screenings_to_finish": _not_empty("screening-list"),
    "participants_to_randomize": _not_empty("participant-list"),
    "injections_due": "//tr[@class='todo-row']",
    "forms_overdue": "//tr[@class='todo-row']",
    "saes_to_report": "//tr[@class='sae-row']",
    "saes_to_acknowledge": "//tr[@class='sae-row']",
    "queries_to_answer": "//tr[@data-query]",
    "queries_to_review": "//tr[@data-query]",
    "queries_lt7": "//tr[@data-query]",
    "queries_7to30": "//tr[@data-query]",
    "queries_gt30": "//tr[@data-query]",
    "participants_to_verify": "//tr[@class='participant-progress']",
    "kits_to_dispense": _not_empty("to-dispense"),
    "shipments_to_receive": _not_empty("shipments"),
    "users_without_role": "//table/tbody/tr[not(td[@colspan])]",
}
# Lists that show a number per row (available kits by expiry date).
SUMS = {"kits_expiring": "//table[@id='stock-by-expiry']/tbody/tr/td[2]"}


def rows_behind(client: Any, key: str, url: str) -> int | None:
    """How many items the list behind a count shows (None: no reader for that list)."""
    if key not in ROWS and key not in SUMS:
        return None
    response = client.get(url)
    assert response.status_code == 200, (key, url)
    tree = lxml.html.fromstring(response.content.decode())
    if key in SUMS:
        return sum(int(cell.text_content()) for cell in tree.xpath(SUMS[key]))
    return len(tree.xpath(ROWS[key]))
