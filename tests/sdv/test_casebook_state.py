"""The participant page's casebook state (monitoring/casebook_state.py) is the ORM's answer
for every participant, from SQL compiled once per process with only the id bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from monitoring import casebook_state as cs
from monitoring import sdv, signing
from monitoring.services import sign_casebook
from participants.models import Participant
from platinium.lib.compiled import PLACEHOLDER
from tests.crf.helpers import randomized
from tests.sdv.helpers import with_critical_rows
from tests.sdv.test_signature_digest import _correct_injection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_sql() -> Iterator[None]:
    cs._compiled.cache_clear()
    yield
    cs._compiled.cache_clear()


def _annotations() -> list[str]:
    return list(cs.annotated_query().query.annotations)


def _orm(participant: Participant) -> dict[str, Any]:
    row = sdv.with_sdv_counts(
        signing.with_casebook_state(Participant.objects.filter(pk=participant.pk))
    ).get()
    return {name: getattr(row, name) for name in _annotations()}


def _compiled(participant: Participant) -> dict[str, Any]:
    row = cs.casebook_state(participant)
    return {name: getattr(row, name) for name in _annotations()}


@pytest.fixture
def casebooks(site11: Any, site16: Any, role_users: dict[str, Any]) -> list[Participant]:
    """Unsigned and bare; signed; signed then corrected (to re-sign); another site's."""
    coordinator, investigator = role_users["coordinator"], role_users["investigator"]
    bare = randomized(site11)
    signed = with_critical_rows(site11, coordinator)
    sign_casebook(signed, by=investigator, seen_digest=signing.casebook_digest(signed))
    corrected = with_critical_rows(site11, coordinator)
    sign_casebook(corrected, by=investigator, seen_digest=signing.casebook_digest(corrected))
    _correct_injection(corrected, coordinator)
    other = with_critical_rows(site16, coordinator)
    return [bare, signed, corrected, other]


def test_the_compiled_state_is_the_orms_for_every_casebook(casebooks: list[Participant]) -> None:
    states = {}
    for participant in casebooks:
        assert _compiled(participant) == _orm(participant)
        row = cs.casebook_state(participant)
        assert row.pk == participant.pk
        states[participant.pk] = signing.signature_status_of(row).state
    bare, signed, corrected, _other = casebooks
    assert states[bare.pk] == signing.UNSIGNED
    assert states[signed.pk] == signing.SIGNED
    assert states[corrected.pk] == signing.TO_RESIGN
    # Negative control: the states differ between casebooks, so binding the wrong id (or
    # none) could not pass the equality above.
    assert len({str(_compiled(p)) for p in casebooks}) == len(casebooks)


def test_the_sql_is_compiled_once_and_reads_the_data_every_time(
    casebooks: list[Participant], role_users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _bare, signed, _corrected, _other = casebooks
    assert signing.signature_status_of(cs.casebook_state(signed)).state == signing.SIGNED

    def refuse() -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(cs, "annotated_query", refuse)
    _correct_injection(signed, role_users["coordinator"])
    assert signing.signature_status_of(cs.casebook_state(signed)).state == signing.TO_RESIGN
    # Negative control: a fresh process (cache cleared) compiles again.
    cs._compiled.cache_clear()
    with pytest.raises(AssertionError, match="compiled again"):
        cs.casebook_state(signed)


def test_a_second_placeholder_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The id is bound by position: SQL with the placeholder twice would be ambiguous."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db.models import IntegerField, Value

    original = cs.annotated_query
    monkeypatch.setattr(
        cs,
        "annotated_query",
        lambda: original().annotate(twice=Value(PLACEHOLDER, output_field=IntegerField())),
    )
    with pytest.raises(ImproperlyConfigured):
        cs._compiled()
