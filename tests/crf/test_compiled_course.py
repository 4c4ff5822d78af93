"""One participant's course (crf.timeline.load_course) from SQL compiled once per process
per clinical scope and run prepared (compile_query, ADR 0045): the same rows as the ORM's
UNION for every role, and the scope is part of the cache key (a user of another site never
gets SQL compiled for Limoges)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from crf import timeline
from crf.definitions import DEFINITIONS
from tests.sdv.helpers import with_critical_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    timeline._compiled_rows.cache_clear()
    yield
    timeline._compiled_rows.cache_clear()


def _as_text(rows: Any) -> list[tuple[int, str, str]]:
    return sorted((pid, code, json.dumps(data, sort_keys=True)) for pid, code, data in rows)


def _orm(participant: Any, user: Any) -> list[tuple[int, str, str]]:
    return _as_text(timeline._rows_query(participant, user, DEFINITIONS))


def _compiled(participant: Any, user: Any) -> list[tuple[int, str, str]]:
    return _as_text(timeline._participant_rows(participant, user, DEFINITIONS))


@pytest.fixture
def participant(site11: Any, site16: Any, role_users: dict[str, Any]) -> Any:
    return with_critical_rows(site11, role_users["coordinator"])


def test_every_role_reads_the_rows_the_orm_reads(
    participant: Any, role_users: dict[str, Any]
) -> None:
    seen = {}
    for key, user in role_users.items():
        assert _compiled(participant, user) == _orm(participant, user), key
        seen[key] = len(_compiled(participant, user))
    assert seen["investigator"] > 0 and seen["data_manager"] == seen["investigator"]
    assert seen["investigator_nantes"] == 0 and seen["pharmacist"] == 0


def test_another_sites_user_never_reuses_limoges_sql(
    participant: Any, role_users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    limoges, nantes = role_users["investigator"], role_users["investigator_nantes"]
    assert _compiled(participant, limoges)
    assert _compiled(participant, nantes) == []

    # Negative control: a cache that ignored the scope would hand Nantes Limoges' SQL.
    real_scope = timeline._scope

    def scope_blind(user: Any) -> Any:
        scope = real_scope(user)
        return None if scope is None else timeline._Scope(True, (), scope.user)

    timeline._compiled_rows.cache_clear()
    monkeypatch.setattr(timeline, "_scope", scope_blind)
    assert _compiled(participant, limoges)
    assert _compiled(participant, nantes) != []


def test_the_sql_is_compiled_once_per_scope(
    participant: Any, role_users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    investigator, coordinator = role_users["investigator"], role_users["coordinator"]
    before = _compiled(participant, investigator)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(timeline, "_rows_query", refuse)
    # Same scope (site 11), another user: the SQL compiled for the investigator serves.
    assert _compiled(participant, coordinator) == before
    # Negative control: a new scope compiles.
    with pytest.raises(AssertionError, match="compiled again"):
        _compiled(participant, role_users["data_manager"])


def test_the_rows_are_the_orms_values_typed_as_the_orm_types_them(
    participant: Any, role_users: dict[str, Any]
) -> None:
    """Not only the same JSON: each row a (participant id, form code, dict) as iterating
    the ORM's UNION gives it (the JSON read back by the ORM's converters)."""
    user = role_users["investigator"]
    compiled = sorted(timeline._participant_rows(participant, user, DEFINITIONS), key=repr)
    orm = sorted(timeline._rows_query(participant, user, DEFINITIONS), key=repr)
    assert compiled == orm
    assert all(type(data) is dict for _pid, _code, data in compiled)


def test_control_a_compiled_union_keeping_forms_in_error_is_caught(
    participant: Any, role_users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: SQL compiled without `current()` (forms entered in error kept)
    returns a row the ORM leaves out, and the comparison above sees it."""
    from crf.models import AdverseEvent, CrfQuerySet, CrfStatus

    AdverseEvent.objects.filter(participant=participant).update(status=CrfStatus.ENTERED_IN_ERROR)
    user = role_users["investigator"]
    monkeypatch.setattr(CrfQuerySet, "current", lambda self: self)
    _compiled(participant, user)  # compiled (and cached) while `current()` keeps everything
    monkeypatch.undo()
    assert _compiled(participant, user) != _orm(participant, user)
    timeline._compiled_rows.cache_clear()
    assert _compiled(participant, user) == _orm(participant, user)
