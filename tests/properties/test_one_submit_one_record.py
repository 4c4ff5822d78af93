"""Property: one submit, one record (defect 4).

A double click on Save in a new concomitant medication made two records; so did two
parallel POSTs. Every creating page (a new form of every CRF form of the registry, a new
screening, the consent) renders a one-time key; the same POST twice, one after the other
or from two real threads at once, creates exactly one row, and the second answer shows
the row the first created. Keys are per user. Negative control: with the key check taken
away, the same harness counts two rows.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

import pytest
from django.db import connection
from django.test import Client
from django.urls import get_resolver, reverse

from audit.forms import SUBMISSION_KEY
from crf.definitions import FORMS
from eligibility.models import Consent, Screening
from tests.access.harness import World
from tests.crf.helpers import d0_of, paris
from tests.properties import scope_world
from tests.webform import HtmlForm, form_in

# What a user types on a new page whose empty submission the database cannot take.
ANSWERS: dict[str, Callable[[World], dict[str, str]]] = {
    "icu-stay": lambda w: {
        "admitted_at": paris(d0_of(w.crf11b) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    },
}

# URL names that end like a creating page but create no clinical record, and why.
NOT_CREATING = {
    "eligibility:checklist_new": "computes the checklist of a draft, saves nothing",
    "accounts:user_create": "user accounts, not clinical data; the username is unique",
}


@dataclass(frozen=True)
class Creating:
    """A creating page: where to open it, as whom, and the rows it creates."""

    label: str
    role: str
    url: str
    count: Callable[[], int]
    changes: dict[str, str]


def creating_pages(world: World) -> Iterator[Creating]:
    """A new page of every CRF form of the registry (participant crf11b, no rows yet), a
    new screening, the consent of a screening without one, and the enrolment."""
    p = world.crf11b
    fixed = {
        "number": "1",
        "day_date": (d0_of(p) + timedelta(days=2)).isoformat(),
        "visit": "FU_D30",
    }
    for definition in FORMS:
        slug = definition.slug
        url = reverse("crf:form_new", args=[p.code, slug])
        url += f"?{definition.fixed}={fixed[definition.fixed]}" if definition.fixed else ""
        role = "data_manager" if slug == "d10" else "investigator"
        model = definition.model
        yield Creating(
            f"crf:form_new {slug}",
            role,
            url,
            lambda m=model: m.objects.filter(participant=world.crf11b).count(),
            ANSWERS.get(slug, lambda w: {})(world),
        )
    yield Creating(
        "eligibility:screening_create",
        "investigator",
        reverse("eligibility:screening_create"),
        Screening.objects.count,
        {},
    )
    s = world.screening_no_consent
    yield Creating(
        "eligibility:consent",
        "investigator",
        reverse("eligibility:consent", args=[s.pk]),
        lambda: Consent.objects.filter(screening=s).count(),
        {
            "given_by": "PATIENT",
            "consented_at": (s.evaluated_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "information_sheet_version": "1.0",
        },
    )
    yield _enrolment(world)


def _enrolment(world: World) -> Creating:
    from participants.models import Participant
    from tests.eligibility.factories import FACTORY_PASSWORD

    s = world.screening11  # eligible and consented (tests/access/table_eligibility.py)
    return Creating(
        "eligibility:enrol",
        "investigator",
        reverse("eligibility:enrol", args=[s.pk]),
        Participant.objects.count,
        {"password": FACTORY_PASSWORD},
    )


def _build(role_users: dict[str, Any]) -> World:
    from tests.eligibility.factories import make_screening

    world = scope_world.build(role_users)
    world.screening_no_consent = make_screening(world.site11, by=role_users["investigator"])
    return world


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(html: bytes) -> HtmlForm:
    return form_in(html, containing=SUBMISSION_KEY)


def _post_target(page: Creating, form: HtmlForm) -> str:
    return urljoin(page.url, form.action) if form.action else page.url


def _rendered(world: World, page: Creating) -> tuple[Client, HtmlForm, dict[str, Any]]:
    client = _client(world.users[page.role])
    response = client.get(page.url)
    assert response.status_code == 200, page.label
    form = _form(response.content)
    data = form.data()
    data.update(page.changes)
    return client, form, data


def _shows_first_row(answer: Any, first: Any) -> bool:
    return answer.status_code == 302 and answer["Location"] == first["Location"]


def double_submit_problems(world: World) -> list[str]:
    """Post every creating page's rendered form twice; report every extra row."""
    problems = []
    for page in creating_pages(world):
        client, form, data = _rendered(world, page)
        before = page.count()
        first = client.post(_post_target(page, form), data)
        if first.status_code != 302 or page.count() != before + 1:
            problems.append(f"{page.label}: the first submit created no row (ANSWERS?)")
            continue
        second = client.post(_post_target(page, form), data)
        if page.count() != before + 1:
            problems.append(f"{page.label}: {page.count() - before} rows for one submission")
        elif not _shows_first_row(second, first):
            problems.append(f"{page.label}: the second answer does not show the first row")
    return problems


@pytest.mark.django_db
class TestSequential:
    @pytest.fixture
    def world(self, role_users: dict[str, Any]) -> World:
        return _build(role_users)

    def test_a_double_click_on_save_of_a_new_medication_makes_one_record(self, world):
        """Defect 4 as reported."""
        from crf.models import ConcomitantMedication

        page = next(p for p in creating_pages(world) if p.label == "crf:form_new medication")
        client, _html_form, data = _rendered(world, page)
        data["drug_name"] = "piperacillin"
        first = client.post(page.url, data)
        second = client.post(page.url, data)
        rows = ConcomitantMedication.objects.filter(participant=world.crf11b)
        assert [r.drug_name for r in rows] == ["piperacillin"]
        assert second.status_code == 302 and second["Location"] == first["Location"]
        assert first["Location"].endswith(f"/medication/{rows.get().pk}/")

    def test_every_creating_page_renders_a_fresh_key(self, world):
        for page in creating_pages(world):
            client, _html_form, data = _rendered(world, page)
            again = _form(client.get(page.url).content).data()
            key = uuid.UUID(data[SUBMISSION_KEY])
            assert key != uuid.UUID(again[SUBMISSION_KEY]), page.label

    def test_the_same_submission_twice_makes_one_record_on_every_creating_page(self, world):
        assert double_submit_problems(world) == []

    def test_without_the_key_check_the_harness_counts_two_records(self, world, monkeypatch):
        """Negative control: the key neither checked nor stored → duplicates are found."""
        monkeypatch.setattr("crf.services.core.refuse_replay", lambda **k: None)
        monkeypatch.setattr("crf.services.core.claim", lambda *a, **k: None)
        monkeypatch.setattr("eligibility.services.refuse_replay", lambda **k: None)
        monkeypatch.setattr("eligibility.services.claim", lambda *a, **k: None)
        problems = double_submit_problems(world)
        assert any("medication: 2 rows for one submission" in p for p in problems), problems
        assert any("screening_create: 2 rows" in p for p in problems), problems

    def test_another_users_key_creates_their_own_record_and_reveals_nothing(self, world):
        page = next(p for p in creating_pages(world) if p.label == "crf:form_new medication")
        client, _html_form, data = _rendered(world, page)
        data["drug_name"] = "piperacillin"
        first = client.post(page.url, data)
        other = _client(world.users["coordinator"]).post(page.url, data)
        assert page.count() == 2
        assert other.status_code == 302 and other["Location"] != first["Location"]

    def test_a_malformed_key_is_a_form_error_not_a_500(self, world):
        page = next(p for p in creating_pages(world) if p.label == "crf:form_new medication")
        client, _html_form, data = _rendered(world, page)
        data[SUBMISSION_KEY] = "not-a-key"
        answer = client.post(page.url, data)
        assert answer.status_code == 200 and page.count() == 0
        assert "Cette page n" in answer.content.decode()

    def test_every_url_named_new_or_create_is_a_creating_page(self, world):
        """A new create view must join creating_pages (or say why it creates nothing)."""
        names = set()
        for pattern in get_resolver().url_patterns:
            namespace = getattr(pattern, "namespace", None)
            for sub in getattr(pattern, "url_patterns", []):
                if namespace and getattr(sub, "name", None):
                    names.add(f"{namespace}:{sub.name}")
        creating = {n for n in names if n.endswith(("_new", "_create"))}
        covered = {p.label.split(" ")[0] for p in creating_pages(world)}
        assert creating - covered == set(NOT_CREATING)


def run_in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Each call in its own thread (own connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # reported by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def parallel_problems(world: World) -> list[str]:
    """Post every creating page's rendered form from two threads at once."""
    problems = []
    for page in creating_pages(world):
        _client0, form, data = _rendered(world, page)
        clients = [_client(world.users[page.role]) for _ in range(2)]
        before = page.count()
        target = _post_target(page, form)
        answers = run_in_parallel([lambda c=c, t=target, d=data: c.post(t, d) for c in clients])
        errors = [a for a in answers if isinstance(a, BaseException)]
        if errors:
            problems.append(f"{page.label}: {errors[0]!r}")
            continue
        if page.count() != before + 1:
            problems.append(f"{page.label}: {page.count() - before} rows for one submission")
        elif [a.status_code for a in answers] != [302, 302] or len(
            {a["Location"] for a in answers}
        ) != 1:
            problems.append(
                f"{page.label}: answers {[a.status_code for a in answers]} do not both show the row"
            )
    return problems


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestParallel:
    @pytest.fixture
    def world(self, role_users: dict[str, Any]) -> World:
        return _build(role_users)

    def test_two_parallel_posts_of_one_submission_make_one_record_on_every_page(self, world):
        assert parallel_problems(world) == []

    def test_without_the_key_the_parallel_harness_counts_two_records(self, world, monkeypatch):
        """Negative control: no key check and no stored key → the twins both save."""
        monkeypatch.setattr("crf.services.core.refuse_replay", lambda **k: None)
        monkeypatch.setattr("crf.services.core.claim", lambda *a, **k: None)
        problems = parallel_problems(world)
        assert any("medication: 2 rows for one submission" in p for p in problems), problems
