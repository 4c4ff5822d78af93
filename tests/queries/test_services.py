"""The query workflow services: each action, its refusals (in French, the default
language: the messages are translated), its thread and audit events."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from audit.models import AuditEvent
from crf.models import DataQuery, QueryMessage, QueryOrigin, QueryStatus
from crf.open_queries import has_open_queries, open_queries_by_participant, open_query_count
from monitoring.queries import (
    QueryRefused,
    answer_query,
    cancel_query,
    close_query,
    raise_query,
    reopen_query,
)
from participants.models import Participant

pytestmark = pytest.mark.django_db


def _raise(row: Any, by: Any, field: str = "weight_kg") -> DataQuery:
    return raise_query(row, field=field, text="Please check the weight.", by=by)


def test_it_runs_a_query_from_raise_to_close_with_thread_and_audit(baseline11, role_users):
    monitor, inv = role_users["monitor"], role_users["investigator"]
    query = _raise(baseline11, monitor)
    assert query.origin == QueryOrigin.MONITOR and query.status == QueryStatus.OPEN
    assert query.value_when_raised == str(baseline11.weight_kg)
    query = answer_query(query, text="Checked: correct.", by=inv, expected_version=query.version)
    assert query.status == QueryStatus.ANSWERED
    query = close_query(query, by=monitor, expected_version=query.version)
    assert query.status == QueryStatus.CLOSED and query.closed_at is not None
    query = reopen_query(query, text="Source says otherwise.", by=monitor)
    assert query.status == QueryStatus.REOPENED and query.is_awaiting_answer
    kinds = list(query.messages.values_list("kind", flat=True))
    assert kinds == ["raised", "answered", "closed", "reopened"]
    actions = set(
        AuditEvent.objects.filter(target_type="crf.dataquery", target_id=str(query.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == {"query.raised", "query.answered", "query.closed", "query.reopened"}


def test_a_data_manager_raises_on_any_site_and_is_the_origin(baseline16, role_users):
    query = _raise(baseline16, role_users["data_manager"])
    assert query.origin == QueryOrigin.DATA_MANAGER


def test_a_monitor_cannot_raise_on_another_site(baseline16, role_users):
    with pytest.raises(PermissionDenied):
        _raise(baseline16, role_users["monitor"])
    assert DataQuery.objects.count() == 0


def test_a_site_user_of_another_site_cannot_answer(baseline11, role_users):
    query = _raise(baseline11, role_users["monitor"])
    with pytest.raises(PermissionDenied):
        answer_query(query, text="x", by=role_users["investigator_nantes"])
    # Negative control: the site's own investigator can.
    answer_query(query, text="x", by=role_users["investigator"])


def test_answering_a_closed_query_is_refused(baseline11, role_users):
    monitor = role_users["monitor"]
    query = _raise(baseline11, monitor)
    close_query(query, by=monitor)
    with pytest.raises(QueryRefused, match="n’attend pas de réponse"):
        answer_query(query, text="late", by=role_users["coordinator"])
    assert QueryMessage.objects.filter(query=query).count() == 2


def test_a_message_longer_than_5000_characters_is_refused(baseline11, role_users):
    query = _raise(baseline11, role_users["monitor"])
    with pytest.raises(QueryRefused, match="trop long"):
        answer_query(query, text="x" * 5001, by=role_users["investigator"])
    answer_query(query, text="x" * 5000, by=role_users["investigator"])  # the limit itself


def test_only_the_raisers_role_closes_an_unanswered_query(baseline11, role_users):
    query = _raise(baseline11, role_users["data_manager"])
    with pytest.raises(QueryRefused, match="seul le rôle qui l’a émise"):
        close_query(query, by=role_users["monitor"])
    assert DataQuery.objects.get(pk=query.pk).status == QueryStatus.OPEN
    close_query(query, by=role_users["data_manager"])
    assert DataQuery.objects.get(pk=query.pk).status == QueryStatus.CLOSED


def test_an_answered_query_may_be_closed_by_either_closing_role(baseline11, role_users):
    query = _raise(baseline11, role_users["data_manager"])
    answer_query(query, text="done", by=role_users["investigator"])
    close_query(query, by=role_users["monitor"])


def test_cancelling_needs_a_reason(baseline11, role_users):
    monitor = role_users["monitor"]
    query = _raise(baseline11, monitor)
    with pytest.raises(QueryRefused, match="motif d’annulation"):
        cancel_query(query, reason="  ", by=monitor)
    query = cancel_query(query, reason="Raised on the wrong field.", by=monitor)
    assert query.status == QueryStatus.CANCELLED and query.cancel_reason
    with pytest.raises(QueryRefused):
        reopen_query(query, text="again", by=monitor)


def test_a_stale_version_is_refused(baseline11, role_users):
    query = _raise(baseline11, role_users["monitor"])
    shown = query.version
    answer_query(query, text="first", by=role_users["investigator"], expected_version=shown)
    with pytest.raises(QueryRefused, match="modifiée depuis que vous l’avez ouverte"):
        close_query(query, by=role_users["monitor"], expected_version=shown)


def test_the_thread_is_append_only(baseline11, role_users):
    query = _raise(baseline11, role_users["monitor"])
    message = query.messages.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        QueryMessage.objects.filter(pk=message.pk).update(text="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        message.delete()


def test_a_locked_casebook_refuses_query_actions(baseline11, role_users):
    from participants import locks
    from participants.services import ParticipantLocked

    query = _raise(baseline11, role_users["monitor"])
    locks.lock_casebook(baseline11.participant, by=role_users["data_manager"], reason="review")
    with pytest.raises(ParticipantLocked):
        answer_query(query, text="x", by=role_users["investigator"])
    assert DataQuery.objects.get(pk=query.pk).status == QueryStatus.OPEN


def test_the_helpers_count_unresolved_queries(baseline11, baseline16, role_users):
    dm = role_users["data_manager"]
    p11, p16 = baseline11.participant, baseline16.participant
    assert not has_open_queries(p11) and open_query_count(p11) == 0
    first = _raise(baseline11, dm)
    _raise(baseline11, dm, field="height_cm")
    assert has_open_queries(p11) and open_query_count(p11) == 2
    answer_query(first, text="ok", by=role_users["investigator"])
    assert open_query_count(p11) == 2  # answered but not closed still counts
    close_query(first, by=dm)
    assert open_query_count(p11) == 1
    counts = open_queries_by_participant(Participant.objects.filter(pk__in=[p11.pk, p16.pk]))
    assert counts == {p11.pk: 1}


def test_day10_biology_queries_stay_hidden_from_blinded_roles(p11, role_users, client_for):
    from django.urls import reverse

    from crf.services import save_d10_biology

    dm = role_users["data_manager"]
    row = save_d10_biology(
        p11, by=dm, data={"sample_taken": False, "not_done_reason": "FORGOTTEN"}
    ).obj
    query = raise_query(row, field="sample_taken", text="Really not taken?", by=dm)
    url = reverse("monitoring:query_list") + "?status=all"
    assert query.pk not in {q.pk for q in client_for("investigator").get(url).context["page"]}
    detail = reverse("monitoring:query_detail", kwargs={"pk": query.pk})
    assert client_for("investigator").get(detail).status_code == 404
    assert open_query_count(p11) == 0 and has_open_queries(p11)
    # Negative control: the data manager, who enters day-10 biology, sees it.
    assert query.pk in {q.pk for q in client_for("data_manager").get(url).context["page"]}
