"""Each page alone, from outside, as issue #13 measured it (the "pages alone" phase of
`make load`, after the trial day, on the same gunicorn and database copy).

For each page a light client (no locust: threads with keep-alive http.client connections,
a few percent of one core) logged in as the role that uses the page sends a fixed number
of GETs over a few concurrent connections; pages that take a participant code cycle over
the participants of the user's site. The login page is measured at the start of every
round: the baseline of that round. Every answer must be 200: a redirect (to the login
page) or an error is a failure of the phase. Figures per round (p50/p99 and their ratio
to the login page of the same round) and their medians over the rounds; each page is
marked met/not met against the goals of issue #13 (docs/decisions/0041-pages-alone.md).
"""

from __future__ import annotations

import http.client
import math
import re
import statistics
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass
from typing import Any

import psycopg2
import requests

from bench.loadtest.population import DATA_MANAGER, LOAD_PASSWORD, site_username
from tests.webform import forms_in

LOGIN = "/accounts/login/"
BASELINE = "login page"
PARTICIPANT = re.compile(r'href="/crf/p/([^/"]+)/"')

# Goals of issue #13, for each page measured alone.
P99_GOAL_MS = 150.0
RATIO_GOAL = 5.0  # page p99 / login page p99 of the same round
P50_GOALS_MS = {"participant page": 60.0, "daily grid": 60.0}


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # "anonymous", "data_manager", or a site role (SITE_ROLES)
    path: str  # "{code}": cycles over the participants of the user's site


# The login page first (the baseline of the round), then the main pages of
# scenario.MAIN_PAGES and the site participant list, each as the role that uses it.
PAGES = (
    Page(BASELINE, "anonymous", LOGIN),
    Page("participant list (all sites)", "data_manager", "/participants/?all=1"),
    Page("participant list", "investigator", "/participants/"),
    Page("daily grid", "investigator", "/crf/{code}/daily/grid/"),
    Page("screening log", "coordinator", "/screening/"),
    Page("participant page", "investigator", "/crf/p/{code}/"),
    Page("pharmacy home", "pharmacist", "/randomization/pharmacy/"),
    Page("audit log", "data_manager", "/audit/"),
)


@dataclass(frozen=True)
class Plan:
    """How much each page is measured: `requests` GETs over `connections` keep-alive
    connections (or `seconds`, whichever comes first), after `warmup` unmeasured GETs;
    `rounds` rounds, each opened by the login page."""

    requests: int = 200
    connections: int = 2
    seconds: float = 15.0
    rounds: int = 3
    warmup: int = 4


MAX_FAILURES_PER_PAGE = 10  # a page that fails keeps failing: stop it, report it


def busiest_site(database_url: str) -> str:
    """The active site with the most participants (its users see the longest lists)."""
    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.code FROM sites_site s "
            "LEFT JOIN participants_participant p ON p.site_id = s.id "
            "WHERE s.status = 'active' GROUP BY s.code ORDER BY count(p.id) DESC, s.code LIMIT 1"
        )
        row = cursor.fetchone()
    connection.close()
    if row is None:
        raise RuntimeError("no active site")
    return str(row[0])


def login(base: str, username: str) -> str:
    """The Cookie header of a session of `username` (the login form as the page renders it)."""
    with requests.Session() as session:
        page = session.get(base + LOGIN, allow_redirects=False, timeout=30)
        form = next((f for f in forms_in(page.text) if "username" in f.names()), None)
        if page.status_code != 200 or form is None:
            raise PhaseError(f"login page of {username}: HTTP {page.status_code}")
        data = form.data()
        data.update(username=username, password=LOAD_PASSWORD)
        answer = session.post(
            base + LOGIN,
            data=data,
            headers={"Referer": base + LOGIN},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302 or "sessionid" not in session.cookies:
            raise PhaseError(f"login of {username} refused (HTTP {answer.status_code})")
        return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


class PhaseError(RuntimeError):
    pass


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of non-empty `samples`."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def hammer(base: str, paths: list[str], cookie: str, plan: Plan) -> tuple[list[float], list[str]]:
    """GET `paths` in turn over `plan.connections` keep-alive connections; (latencies in ms
    of the 200s, one line per failure)."""
    url = urllib.parse.urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port
    headers = {"Accept-Language": "fr", "Cookie": cookie} if cookie else {"Accept-Language": "fr"}
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    issued = iter(range(plan.warmup + plan.requests))
    deadline = [0.0]

    def one(connection: http.client.HTTPConnection, path: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location", ""), started

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            while True:
                with lock:
                    n = next(issued, None)
                    if n is None or len(failures) >= MAX_FAILURES_PER_PAGE:
                        return
                    if n == plan.warmup:
                        deadline[0] = time.monotonic() + plan.seconds
                    if n > plan.warmup and time.monotonic() > deadline[0]:
                        return
                path = paths[n % len(paths)]
                try:
                    status, location, started = one(connection, path)
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=60)
                    with lock:
                        failures.append(f"GET {path}: {type(error).__name__} {error}")
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if status != 200:
                        failures.append(f"GET {path}: HTTP {status} {location}".rstrip())
                    elif n >= plan.warmup:
                        latencies.append(elapsed)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(plan.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def _site_codes(base: str, cookie: str) -> list[str]:
    """The participant codes the site user sees on their participant list (every page)."""
    codes: list[str] = []
    with requests.Session() as session:
        for number in range(1, 51):
            answer = session.get(
                f"{base}/participants/?page={number}",
                headers={"Cookie": cookie},
                allow_redirects=False,
                timeout=60,
            )
            if answer.status_code != 200:
                break
            found = [c for c in PARTICIPANT.findall(answer.text) if c not in codes]
            if not found:
                break
            codes += found
    return codes


def _figures(latencies: list[float], failures: list[str]) -> dict[str, Any]:
    if not latencies:
        return {"requests": 0, "errors": len(failures), "p50_ms": None, "p99_ms": None}
    return {
        "requests": len(latencies),
        "errors": len(failures),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
    }


def _ratio(page: float | None, login: float | None) -> float | None:
    return round(page / login, 2) if page and login else None


def judge(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    """The goals of issue #13 for one page's figures (medians over the rounds): p99 under
    150 ms and at most 5 × the login page's p99; participant page and flowsheet p50 under
    60 ms. The login page is the baseline (no goal)."""
    if name == BASELINE:
        return {"goal": "baseline", "met": None}
    goal = f"p99 < {P99_GOAL_MS:.0f} ms, <= {RATIO_GOAL:.0f} x login p99"
    p50, p99, ratio = figures["p50_ms"], figures["p99_ms"], figures["ratio_p99_to_login"]
    met = p99 is not None and p99 < P99_GOAL_MS and ratio is not None and ratio <= RATIO_GOAL
    if name in P50_GOALS_MS:
        goal += f", p50 < {P50_GOALS_MS[name]:.0f} ms"
        met = met and p50 is not None and p50 < P50_GOALS_MS[name]
    return {"goal": goal, "met": bool(met)}


def _median(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def measure_pages(
    base: str, database_url: str, *, plan: Plan | None = None, pages: tuple[Page, ...] = PAGES
) -> dict[str, Any]:
    """The pages-alone phase against the gunicorn at `base` serving `database_url`."""
    plan = plan or Plan()
    started = time.monotonic()
    site = busiest_site(database_url)
    failures: list[str] = []
    sessions: dict[str, str] = {}
    with_code = [p for p in pages if "{code}" in p.path]
    try:
        for role in sorted({p.role for p in pages}):
            if role == "anonymous":
                sessions[role] = ""
            else:
                username = DATA_MANAGER if role == "data_manager" else site_username(site, role)
                sessions[role] = login(base, username)
        codes = _site_codes(base, sessions[with_code[0].role]) if with_code else []
    except requests.RequestException as error:
        raise PhaseError(f"sessions of the pages-alone phase: {error}") from error
    if with_code and not codes:
        raise PhaseError(f"site {site}: its {with_code[0].role} sees no participant")

    rounds: list[dict[str, dict[str, Any]]] = []
    for number in range(plan.rounds):
        this: dict[str, dict[str, Any]] = {}
        for page in pages:
            paths = [page.path.format(code=c) for c in codes] if "{code}" in page.path else []
            latencies, failed = hammer(base, paths or [page.path], sessions[page.role], plan)
            failures += [f"round {number + 1}, {page.name}: {f}" for f in failed]
            this[page.name] = _figures(latencies, failed)
        login_figures = this.get(BASELINE, {})
        for figures in this.values():
            for q in ("p50", "p99"):
                figures[f"ratio_{q}_to_login"] = _ratio(
                    figures[f"{q}_ms"], login_figures.get(f"{q}_ms")
                )
        rounds.append(this)

    medians: dict[str, dict[str, Any]] = {}
    for page in pages:
        per_round = [r[page.name] for r in rounds]
        figures = {
            "role": page.role,
            "requests": sum(r["requests"] for r in per_round),
            "errors": sum(r["errors"] for r in per_round),
        }
        for key in ("p50_ms", "p99_ms", "ratio_p50_to_login", "ratio_p99_to_login"):
            figures[key] = _median([r[key] for r in per_round])
        medians[page.name] = {**figures, **judge(page.name, figures)}
    return {
        "plan": asdict(plan),
        "client": "http.client keep-alive connections, one thread each (no locust)",
        "site": site,
        "participants_cycled": len(codes),
        "pages": medians,
        "rounds": rounds,
        "failures": failures[:50],
        "failed": bool(failures),
        "goals_met": all(p["met"] for p in medians.values() if p["met"] is not None),
        "seconds": round(time.monotonic() - started, 1),
    }


def pages_table(phase: dict[str, Any]) -> str:
    """The pages-alone figures (medians of the rounds) as a table."""
    plan = phase["plan"]
    lines = [
        f"pages alone: {plan['rounds']} rounds x {plan['requests']} GETs over "
        f"{plan['connections']} connections per page (site {phase['site']}, "
        f"participants cycled: {phase['participants_cycled']}), {phase['seconds']} s",
        f"{'page':30} {'n':>5} {'err':>4} {'p50':>7} {'p99':>7} {'x p50':>6} {'x p99':>6}  goal",
    ]

    def number(value: float | None, width: int, digits: int) -> str:
        return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

    for name, p in phase["pages"].items():
        mark = {None: "baseline", True: "met", False: "NOT MET"}[p["met"]]
        lines.append(
            f"{name:30} {p['requests']:>5} {p['errors']:>4} {number(p['p50_ms'], 7, 1)} "
            f"{number(p['p99_ms'], 7, 1)} {number(p['ratio_p50_to_login'], 6, 1)} "
            f"{number(p['ratio_p99_to_login'], 6, 1)}  {mark} ({p['goal']})"
        )
    lines += [f"FAILED {f}" for f in phase["failures"][:10]]
    return "\n".join(lines)
