"""The daily query digest (issue #9, ADR 0024): one e-mail a day to each person with
queries to act on, counts and links, in the recipient's language, never twice a day."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crf.models import DataQuery
from monitoring import digest as digest_module
from monitoring.models import QueryDigest
from monitoring.tasks import send_query_digests_task
from tests.dashboard.helpers import open_query

pytestmark = pytest.mark.django_db


def _set(query: DataQuery, **values: Any) -> None:
    DataQuery.objects.filter(pk=query.pk).update(**values)


@pytest.fixture
def queries(site11: Any, site16: Any, role_users: dict[str, Any]) -> dict[str, Any]:
    """Site 11: two queries waiting for an answer (one reopened), one answered, one closed
    and a day-10 biology query (never counted). Site 16: one waiting for an answer."""
    from tests.randomization.factories import make_randomized_participant

    p11 = make_randomized_participant(site11)
    p16 = make_randomized_participant(site16)
    open_query(p11, days_old=3)
    _set(open_query(p11, days_old=9), status="reopened")
    _set(open_query(p11, days_old=2), status="answered")
    _set(open_query(p11, days_old=20), status="closed")
    _set(open_query(p11, days_old=1), model_label="crf.d10biology")
    open_query(p16, days_old=5)
    return {"p11": p11, "p16": p16}


ACTING = ["coordinator", "investigator", "investigator_nantes", "monitor"]
NOTHING_TO_DO = ["pharmacist", "data_manager", "statistician", "randomization_manager", "admin"]


def _mail_to(username: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [f"{username}@example.invalid"]]


def _only_mail_to(username: str) -> Any:
    messages = _mail_to(username)
    assert len(messages) == 1, [m.to for m in mail.outbox]
    return messages[0]


def test_each_person_who_must_act_gets_one_email_with_counts(queries: dict[str, Any]) -> None:
    send_query_digests_task.delay()
    investigator = _only_mail_to("investigator")
    assert investigator.subject == "PLATINIUM — 2 queries à traiter"
    assert "2 queries attendent votre réponse" in investigator.body
    assert "à revoir" not in investigator.body
    assert "2 queries attendent votre réponse" in _only_mail_to("coordinator").body
    monitor = _only_mail_to("monitor")
    assert "1 query répondue à revoir" in monitor.body
    assert "attendent votre réponse" not in monitor.body
    nantes = _only_mail_to("investigator_nantes")
    assert "1 query attend votre réponse" in nantes.body
    assert "11 –" not in nantes.body  # nothing of another site
    # Nobody else: the pharmacist (no CRF query), data manager, statistician, admin.
    for username in NOTHING_TO_DO:
        assert _mail_to(username) == []


def test_the_links_open_the_worklist_of_the_site(queries: dict[str, Any], client_for: Any) -> None:
    send_query_digests_task.delay()
    body = _only_mail_to("investigator").body
    link = next(word for word in body.split() if word.startswith("http"))
    assert link == "http://127.0.0.1:8000/monitoring/queries/?status=to_answer&site_code=11"
    parts = urlsplit(link)
    response = client_for("investigator").get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    # The worklist the link opens lists the two queries the e-mail counted.
    assert response.content.decode().count("<tr data-query=") == 2
    monitor_link = next(w for w in _only_mail_to("monitor").body.split() if w.startswith("http"))
    assert monitor_link.endswith("?status=to_review&site_code=11")


def test_nobody_with_nothing_to_do_gets_an_email(site11: Any, role_users: dict[str, Any]) -> None:
    from tests.randomization.factories import make_randomized_participant

    participant = make_randomized_participant(site11)
    _set(open_query(participant, days_old=3), status="closed")
    send_query_digests_task.delay()
    assert mail.outbox == []
    assert not QueryDigest.objects.exists()


def test_a_second_run_the_same_day_sends_nothing(queries: dict[str, Any]) -> None:
    send_query_digests_task.delay()
    sent = len(mail.outbox)
    assert set(ACTING) <= {m.to[0].split("@")[0] for m in mail.outbox}
    result = send_query_digests_task.delay().get()
    assert len(mail.outbox) == sent
    assert result["sent"] == []
    assert set(ACTING) <= set(result["already_sent"])
    assert QueryDigest.objects.filter(day=timezone.localdate()).count() == sent


def test_the_next_day_it_is_sent_again(queries: dict[str, Any]) -> None:
    send_query_digests_task.delay()
    sent = len(mail.outbox)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        send_query_digests_task.delay()
    assert len(mail.outbox) == 2 * sent
    assert len(_mail_to("monitor")) == 2


def test_negative_control_without_the_record_the_second_run_sends_again(
    queries: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forget the day's records: the second run e-mails everybody again, so the test above
    would catch a digest that is not recorded."""
    send_query_digests_task.delay()
    sent = len(mail.outbox)
    monkeypatch.setattr(
        digest_module.QueryDigest.objects, "filter", lambda **kw: QueryDigest.objects.none()
    )
    monkeypatch.setattr(digest_module.QueryDigest.objects, "create", lambda **kw: None)
    send_query_digests_task.delay()
    assert len(mail.outbox) == 2 * sent


def test_a_failed_send_is_not_recorded_and_the_next_run_sends_it(
    queries: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send

    def refuse(self: EmailMessage, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    with pytest.raises(ConnectionRefusedError):
        digest_module.send_query_digests()
    assert not QueryDigest.objects.exists()
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert set(ACTING) <= set(digest_module.send_query_digests().sent)
    assert len(_mail_to("investigator")) == 1


def test_the_email_is_in_the_language_the_recipient_chose(
    queries: dict[str, Any], client_for: Any, role_users: dict[str, Any]
) -> None:
    client = client_for("investigator")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    role_users["investigator"].refresh_from_db()
    assert role_users["investigator"].language == "en"
    send_query_digests_task.delay()
    english = _only_mail_to("investigator")
    assert english.subject == "PLATINIUM — 2 data queries to act on"
    assert "2 queries waiting for your answer" in english.body
    assert "attendent" not in english.body
    assert QueryDigest.objects.get(user=role_users["investigator"]).language == "en"
    french = _only_mail_to("coordinator")
    assert french.subject == "PLATINIUM — 2 queries à traiter"


def test_switching_back_to_french_is_kept(client_for: Any, role_users: dict[str, Any]) -> None:
    client = client_for("monitor")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    role_users["monitor"].refresh_from_db()
    assert role_users["monitor"].language == "fr"


def test_no_participant_value_arm_or_day_10_count_in_any_email(
    queries: dict[str, Any],
) -> None:
    send_query_digests_task.delay()
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}".lower()
        for word in ("placebo", "interf", "ifn", "bras", "arm ", "hla", "j10", "d10"):
            assert word not in text
        assert queries["p11"].code not in message.body
        assert queries["p16"].code not in message.body
    # The day-10 biology query at site 11 is not counted (2, not 3).
    assert "2 queries attendent" in _only_mail_to("investigator").body


def test_negative_control_counting_day_10_biology_changes_the_count(
    queries: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_module, "HIDDEN_UNTIL_LOCK", "crf.none")
    send_query_digests_task.delay()
    assert "3 queries attendent" in _only_mail_to("investigator").body


def test_inactive_users_and_revoked_roles_get_nothing(
    queries: dict[str, Any], role_users: dict[str, Any]
) -> None:
    from accounts.models import Membership, User

    User.objects.filter(pk=role_users["coordinator"].pk).update(is_active=False)
    Membership.objects.filter(user=role_users["monitor"]).update(revoked_at=timezone.now())
    send_query_digests_task.delay()
    assert _mail_to("coordinator") == []
    assert _mail_to("monitor") == []
    assert len(_mail_to("investigator")) == 1


def test_the_beat_schedule_runs_the_digest_every_morning() -> None:
    from celery.schedules import crontab

    from platinium.celery import app

    entry = app.conf.beat_schedule["send-query-digests"]
    assert entry["task"] == "monitoring.tasks.send_query_digests_task"
    assert entry["task"] == send_query_digests_task.name
    assert entry["schedule"] == crontab(hour=7, minute=0)
