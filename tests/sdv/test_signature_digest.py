"""The casebook digest computed by PostgreSQL (`casebook_digest_sql`, used by the review
dashboard's "to re-sign" counts) is byte for byte `digest_of`, so signatures already stored
keep validating; `to_resign_by_site` agrees with the per-participant status."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.test.utils import CaptureQueriesContext

from crf.models import AdverseEvent, StudyDrugAdministration
from crf.services import save_adverse_event, save_injection
from monitoring import signing
from monitoring.services import sign_casebook
from participants.models import Participant
from tests.crf.helpers import ae_data, randomized
from tests.sdv.helpers import with_critical_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_sql() -> Iterator[None]:
    """The compiled SQL is cached per process: each test (and its monkeypatches) starts
    from a fresh compilation and leaves none behind."""
    signing._to_resign_query.cache_clear()
    yield
    signing._to_resign_query.cache_clear()


def reference_digest(participant: Participant) -> str:
    """The digest's definition written out independently of monitoring/signing.py: one
    "app.model=pk:version,…" line per casebook model (rows in pk order), SHA-256 hex."""
    lines = []
    for model, path in signing.CASEBOOK:
        rows = model._default_manager.filter(**{path: participant.pk}).order_by("pk")
        listed = ",".join(f"{pk}:{version}" for pk, version in rows.values_list("pk", "version"))
        lines.append(f"{model._meta.label_lower}={listed}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def sql_digest(participant: Participant) -> str:
    return (
        Participant.objects.filter(pk=participant.pk)
        .annotate(digest=signing.casebook_digest_sql())
        .values_list("digest", flat=True)
        .get()
    )


def _correct_injection(participant: Participant, by: Any) -> None:
    row = StudyDrugAdministration.objects.get(participant=participant, number=1)
    save_injection(
        participant,
        number=1,
        by=by,
        data={"side": "LEFT" if row.side == "RIGHT" else "RIGHT"},
        instance=row,
        expected_version=row.version,
        reason="re-read on the chart",
    )


def _sign(participant: Participant, by: Any) -> None:
    sign_casebook(participant, by=by, seen_digest=signing.casebook_digest(participant))


@pytest.fixture
def casebooks(site11: Any, site16: Any, role_users: dict[str, Any]) -> list[Participant]:
    """Varied content: no CRF row yet; an injection and an SAE; a corrected injection
    (version 2); two AEs, one corrected twice; a casebook at the other site."""
    coordinator = role_users["coordinator"]
    bare = randomized(site11)
    rows = with_critical_rows(site11, coordinator)
    corrected = with_critical_rows(site11, coordinator)
    _correct_injection(corrected, coordinator)
    several = with_critical_rows(site11, coordinator)
    save_adverse_event(several, by=coordinator, data=ae_data())
    for _ in range(2):
        ae = AdverseEvent.objects.filter(participant=several).order_by("pk").last()
        assert ae is not None
        save_adverse_event(
            several,
            by=coordinator,
            data={"term": f"Haemorrhage {ae.version}"},
            instance=ae,
            expected_version=ae.version,
            reason="re-read on the chart",
        )
    other = with_critical_rows(site16, role_users["investigator_nantes"])
    return [bare, rows, corrected, several, other]


def test_the_sql_digest_is_digest_of_byte_for_byte(casebooks: list[Participant]) -> None:
    versions = StudyDrugAdministration.objects.filter(participant=casebooks[2]).values("version")
    assert {row["version"] for row in versions} == {2}  # the case with a version bumped
    digests = set()
    for participant in casebooks:
        expected = reference_digest(participant)
        assert signing.casebook_digest(participant) == expected
        assert sql_digest(participant) == expected
        digests.add(expected)
    assert len(digests) == len(casebooks)


def test_negative_control_a_digest_without_one_model_is_caught(
    casebooks: list[Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    casebook = tuple(entry for entry in signing.CASEBOOK if entry[0] is not AdverseEvent)
    monkeypatch.setattr(signing, "CASEBOOK", casebook)
    participant = casebooks[1]
    monkeypatch.undo()  # the reference keeps every model
    expected = reference_digest(participant)
    monkeypatch.setattr(signing, "CASEBOOK", casebook)
    assert sql_digest(participant) != expected  # the failure the test above catches


def test_negative_control_a_digest_blind_to_versions_is_caught(
    casebooks: list[Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signing, "_row_key", lambda: Concat(Cast("pk", CharField()), Value(":")))
    assert sql_digest(casebooks[2]) != reference_digest(casebooks[2])


def _status_counts(participants: Any) -> dict[int, int]:
    """The per-participant answer: signature_status_of on each annotated casebook."""
    counts: Counter[int] = Counter()
    for participant in signing.with_casebook_state(participants):
        if signing.signature_status_of(participant).state == signing.TO_RESIGN:
            counts[participant.site_id] += 1
    return dict(counts)


@pytest.fixture
def signed(casebooks: list[Participant], role_users: dict[str, Any]) -> list[Participant]:
    """Signed and unchanged (rows), signed then corrected (corrected, other), signed,
    corrected and signed again (several), never signed (bare)."""
    _bare, rows, corrected, several, other = casebooks
    coordinator, investigator = role_users["coordinator"], role_users["investigator"]
    for participant in (rows, corrected, several):
        _sign(participant, investigator)
    _sign(other, role_users["investigator_nantes"])
    _correct_injection(corrected, coordinator)
    _correct_injection(several, coordinator)
    _sign(several, investigator)
    ae = AdverseEvent.objects.filter(participant=other).get()
    save_adverse_event(
        other,
        by=role_users["investigator_nantes"],
        data={"term": "Bleeding"},
        instance=ae,
        expected_version=ae.version,
        reason="re-read on the chart",
    )
    return casebooks


def test_to_resign_by_site_is_the_per_participant_status(
    signed: list[Participant], site11: Any, site16: Any
) -> None:
    everyone = Participant.objects.all()
    assert signing.to_resign_by_site(Q()) == _status_counts(everyone)
    assert signing.to_resign_by_site(Q()) == {site11.pk: 1, site16.pk: 1}
    only_11 = Participant.objects.filter(site=site11)
    assert signing.to_resign_by_site(Q(site=site11)) == _status_counts(only_11) == {site11.pk: 1}
    both = Q(site__in=[site11.pk, site16.pk])
    assert signing.to_resign_by_site(both) == _status_counts(everyone)
    with CaptureQueriesContext(connection) as none:
        assert signing.to_resign_by_site(Q(pk__in=[])) == {}  # no site: no query, as the ORM
    assert none.captured_queries == []


def test_negative_control_a_sql_digest_without_one_model_misses_a_correction(
    signed: list[Participant], site11: Any, site16: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    everyone = Participant.objects.all()
    expected = _status_counts(everyone)
    casebook = tuple(entry for entry in signing.CASEBOOK if entry[0] is not AdverseEvent)
    monkeypatch.setattr(signing, "CASEBOOK", casebook)
    # Every casebook's digest now differs from its signature: the comparison catches it.
    assert signing.to_resign_by_site(Q()) != expected


def test_a_correction_changes_the_count_at_once(
    signed: list[Participant], site11: Any, role_users: dict[str, Any]
) -> None:
    """The SQL is compiled once, the data are read on every call."""
    assert signing.to_resign_by_site(Q())[site11.pk] == 1
    _correct_injection(signed[1], role_users["coordinator"])
    assert signing.to_resign_by_site(Q())[site11.pk] == 2


def test_the_sql_is_compiled_once_per_process(
    signed: list[Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = signing.to_resign_by_site(Q())

    def compiled_again() -> Any:
        raise AssertionError("the casebook digest was compiled again")

    monkeypatch.setattr(signing, "casebook_digest_sql", compiled_again)
    assert signing.to_resign_by_site(Q()) == first


def test_negative_control_without_the_cache_the_sql_is_compiled_again(
    signed: list[Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    signing.to_resign_by_site(Q())
    monkeypatch.setattr(signing, "casebook_digest_sql", lambda: 1 / 0)
    signing._to_resign_query.cache_clear()
    with pytest.raises(ZeroDivisionError):
        signing.to_resign_by_site(Q())


def test_the_count_runs_as_a_prepared_statement_and_the_scope_is_the_key(
    signed: list[Participant], site11: Any
) -> None:
    with CaptureQueriesContext(connection) as runs:
        for _ in range(2):
            signing.to_resign_by_site(Q(site=site11))
    # Prepared by this call or an earlier test on the same connection, then executed.
    sent = [query["sql"].split(" ", 1)[0] for query in runs.captured_queries]
    assert sent in (["PREPARE", "EXECUTE"], ["EXECUTE", "EXECUTE"])
    assert signing.to_resign_by_site(Q(site=site11)) != signing.to_resign_by_site(Q())
    assert signing.to_resign_by_site(Q()) == dict(signing.to_resign_query(Q()))  # the ORM's

    # Negative control: a cache blind to the scope would answer every scope with the SQL
    # compiled first (here site 11's), which is not the count of every site.
    site_11_sql = signing._to_resign_query(Q(site=site11))
    assert site_11_sql is not None
    assert dict(site_11_sql.rows()) != signing.to_resign_by_site(Q())
