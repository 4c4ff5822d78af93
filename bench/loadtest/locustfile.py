"""The users of a trial day, as locust users over HTTP (run by scenario.py, headless).

Site users (an investigator and a research nurse per site) open their participants, save
daily grid rows, start screenings and answer queries; each site's pharmacist opens the
pharmacy; a monitor of every site and a data manager browse the lists and raise queries;
one anonymous visitor fetches the login page (the baseline of the same round). Forms are
filled from the rendered page (tests/webform.py: what a browser would send). Every save
the server acknowledged (a redirect to the page that confirms it) is written to
LOAD_EVENTS, one JSON line each, for check.py.

Settings from the environment: LOAD_ACCOUNTS (JSON file of the accounts), LOAD_EVENTS,
LOAD_PASSWORD, LOAD_WAIT ("min,max" think time in seconds).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task
from locust.clients import ResponseContextManager

from tests.webform import forms_in

ACCOUNTS: list[dict[str, str]] = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
EVENTS = open(os.environ["LOAD_EVENTS"], "a", buffering=1)  # noqa: SIM115 (open for the run)
PASSWORD = os.environ["LOAD_PASSWORD"]
WAIT_MIN, WAIT_MAX = (float(x) for x in os.environ.get("LOAD_WAIT", "5,15").split(","))
PARTICIPANT = re.compile(r'href="/crf/p/([^/"]+)/"')
QUERY = re.compile(r'href="/monitoring/queries/(\d+)/"')
DAILY_ROW = re.compile(r'href="/crf/([^/"]+)/daily/(\d+)/"')


def _queue(*roles: str) -> list[dict[str, str]]:
    return [a for a in ACCOUNTS if a["role"] in roles]


def record(kind: str, **data: Any) -> None:
    """One acknowledged save (gevent: one line written at a time)."""
    EVENTS.write(json.dumps({"kind": kind, "at": time.time(), **data}) + "\n")


class TrialUser(HttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    roles: tuple[str, ...] = ()
    pool: list[dict[str, str]] = []

    def on_start(self) -> None:
        self.account = type(self).pool.pop(0)
        self.client.headers["Accept-Language"] = "fr"
        self.codes: list[str] = []
        page = self.page("/accounts/login/", "login page")
        if page is None:
            return
        data = self.form(page, containing="username")
        if data is None:
            return
        data.update(username=self.account["username"], password=PASSWORD)
        with self.post("/accounts/login/", data, "login") as response:
            if response.status_code != 302:
                response.failure(f"login refused ({response.status_code})")

    # -- HTTP helpers -------------------------------------------------------------------

    def page(self, path: str, name: str) -> str | None:
        """GET a page that must answer 200; its HTML, or None (a failure is recorded)."""
        with self.client.get(
            path, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            return str(response.text)

    @contextmanager
    def post(self, path: str, data: dict[str, Any], name: str) -> Iterator[ResponseContextManager]:
        headers = {"Referer": self.client.base_url + path}
        with self.client.post(
            path, data=data, name=name, headers=headers, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code >= 500:
                response.failure(f"HTTP {response.status_code}")
            yield response

    @staticmethod
    def form(html: str, *, containing: str | None = None, form_id: str | None = None) -> Any:
        for form in forms_in(html):
            if (form_id and form.id == form_id) or (containing and containing in form.names()):
                return form.data()
        return None

    def token(self) -> str:
        return f"load {self.account['username']} {uuid.uuid4().hex[:12]}"

    def participant_list(
        self, path: str = "/participants/", name: str = "participant list"
    ) -> None:
        html = self.page(path, name)
        if html:
            self.codes = PARTICIPANT.findall(html) or self.codes

    def a_participant(self) -> str | None:
        if not self.codes:
            self.participant_list()
        return random.choice(self.codes) if self.codes else None

    def outcome(self, response: ResponseContextManager, expected: str, page: str) -> str:
        """'saved': the redirect to `expected` and, on that page (fetched as `page`, as the
        browser does), the green message that confirms it. A redirect with another message
        ("nothing changed, nothing was saved": another user saved the same value first) is
        'unchanged'; the page again with a message is 'conflict' or 'refused'. Neither is
        an error of the server; anything else is a failure."""
        location = response.headers.get("Location", "")
        if response.status_code == 302 and re.search(expected, location):
            html = self.page(location, page)
            if html is None:
                return "failed"
            if "alert alert-success" in html:
                return "saved"
            record("unchanged", user=self.account["username"])
            return "unchanged"
        if response.status_code in (200, 422):
            stale = "recharge" in response.text or "reload" in response.text
            response.success()
            record("conflict" if stale else "refused", user=self.account["username"])
            return "conflict" if stale else "refused"
        response.failure(f"HTTP {response.status_code} {location}")
        return "failed"


class SiteUser(TrialUser):
    """Investigator or research nurse: their site's participants, grid, screening, queries."""

    pool = _queue("investigator", "coordinator")
    fixed_count = len(pool)

    @task(2)
    def participant_page(self) -> None:
        code = self.a_participant()
        if code:
            self.page(f"/crf/p/{code}/", "participant page")

    @task(5)
    def save_grid_row(self) -> None:
        code = self.a_participant()
        if not code:
            return
        grid = f"/crf/{code}/daily/grid/"
        html = self.page(grid, "daily grid")
        if not html:
            return
        rows = [f for f in forms_in(html) if f.id.startswith("row-") and f.method == "post"]
        saved = [f for f in rows if "reason_for_change" in f.names()]
        if not saved:
            return
        form = random.choice(saved)
        data = form.data()
        old = data.get("temperature_max_c", "")
        value = random.choice([v for v in ("36.8", "37.4", "37.9", "38.3") if v != old])
        reason = self.token()
        data.update(temperature_max_c=value, reason_for_change=reason)
        with self.post(form.action, data, "daily grid: save row") as response:
            # The flowsheet comes back on the week of the saved day, focused on the next one.
            back = re.escape(grid) + r"(\?[^#]*)?(#.*)?$"
            if self.outcome(response, back, "daily grid") == "saved":
                record(
                    "daily",
                    code=code,
                    day=form.id.removeprefix("row-"),
                    version=int(data.get("expected_version") or 0) + 1,
                    value=value,
                    reason=reason,
                    user=self.account["username"],
                )

    @task(1)
    def start_screening(self) -> None:
        self.page("/screening/", "screening log")
        html = self.page("/screening/new/", "screening: new")
        data = self.form(html, containing="age") if html else None
        if data is None:
            return
        age = str(random.randint(18, 90))
        data.update(age=age)
        with self.post("/screening/new/", data, "screening: save") as response:
            if self.outcome(response, r"/screening/\d+/$", "screening page") == "saved":
                pk = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
                record("screening", pk=pk, age=int(age), user=self.account["username"])

    @task(1)
    def answer_query(self) -> None:
        html = self.page("/monitoring/queries/", "query list")
        queries = QUERY.findall(html or "")
        if not queries:
            return
        pk = random.choice(queries)
        page = self.page(f"/monitoring/queries/{pk}/", "query page")
        data = self.form(page, form_id="answer-form") if page else None
        if data is None:
            return
        text = self.token()
        data.update(text=text)
        data.pop("correct", None)
        with self.post(f"/monitoring/queries/{pk}/answer/", data, "query: answer") as response:
            if self.outcome(response, rf"/monitoring/queries/{pk}/$", "query page") == "saved":
                record("answer", query=int(pk), text=text, user=self.account["username"])


class Pharmacist(TrialUser):
    pool = _queue("pharmacist")
    fixed_count = len(pool)
    wait_time = between(WAIT_MIN * 2, WAIT_MAX * 2)

    @task
    def pharmacy_home(self) -> None:
        self.page("/randomization/pharmacy/", "pharmacy home")


class Reviewer(TrialUser):
    """Monitor and data manager: lists, participant pages, audit log, new queries. One of
    each for the whole trial, reading rather than typing: a third of the think time."""

    abstract = True
    wait_time = between(WAIT_MIN / 3, WAIT_MAX / 3)

    @task(3)
    def browse(self) -> None:
        code = self.a_participant()
        if code:
            self.page(f"/crf/p/{code}/", "participant page")
            self.page(f"/crf/{code}/daily/grid/", "daily grid")

    @task(2)
    def query_list(self) -> None:
        self.page("/monitoring/queries/", "query list")

    @task(1)
    def raise_query(self) -> None:
        code = self.a_participant()
        html = self.page(f"/crf/{code}/daily/grid/", "daily grid") if code else None
        rows = DAILY_ROW.findall(html or "")
        if not rows:
            return
        row = random.choice(rows)[1]
        path = f"/monitoring/queries/raise/crf.dailyfollowup/{row}/temperature_max_c/"
        page = self.page(path, "query: raise form")
        data = self.form(page, containing="text") if page else None
        if data is None:
            return
        text = self.token()
        data.update(text=text)
        with self.post(path, data, "query: raise") as response:
            if self.outcome(response, r"/monitoring/queries/\d+/$", "query page") == "saved":
                pk = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
                record("raise", query=pk, row=int(row), text=text, user=self.account["username"])


class Monitor(Reviewer):
    pool = _queue("monitor")
    fixed_count = len(pool)

    @task(1)
    def screening_log(self) -> None:
        self.page("/screening/", "screening log")


class DataManager(Reviewer):
    pool = _queue("data_manager")
    fixed_count = len(pool)

    def participant_list(self, path: str = "", name: str = "") -> None:
        super().participant_list("/participants/?all=1", "participant list (all sites)")

    @task(2)
    def all_participants(self) -> None:
        self.participant_list()

    @task(2)
    def audit_log(self) -> None:
        self.page("/audit/", "audit log")


class Visitor(HttpUser):
    """Not logged in: the login page, the baseline measured under the same load."""

    fixed_count = 1
    wait_time = between(1, 2)

    @task
    def login_page(self) -> None:
        self.client.get("/accounts/login/", name="login page")
