"""The data manager locks and unlocks through the pages (reason + password, and the
authenticator code when the user has a device); the history lists every lock and unlock;
the commands refuse anyone but an active data manager with a non-zero exit code."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.management import execute_from_command_line
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.labels import form_name
from audit.models import AuditEvent
from crf import services as crf
from participants import locks
from participants.models import Lock
from tests.crf.helpers import ae_data, baseline_data, randomized
from tests.webform import submit

PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory


@pytest.fixture
def participant(site11: Any) -> Any:
    return randomized(site11)


def _page(participant: Any) -> str:
    return reverse("crf:participant", args=[participant.code])


def test_the_data_manager_locks_and_unlocks_a_casebook_from_the_participant_page(
    participant: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    client = client_for("data_manager")
    response = submit(
        client,
        _page(participant),
        containing="password",
        changes={"reason": "casebook reviewed", "password": PASSWORD},
    )
    assert response.status_code == 302
    lock = locks.casebook_lock(participant)
    assert lock is not None and lock.reason == "casebook reviewed"
    assert lock.locked_by == role_users["data_manager"]
    page = client.get(_page(participant)).content.decode()
    assert "Dégeler le dossier" in page and "Le dossier de ce participant est gelé" in page

    response = submit(
        client,
        _page(participant),
        containing="password",
        changes={"reason": "query on day 3", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert locks.casebook_lock(participant) is None
    lock.refresh_from_db()
    assert lock.unlock_reason == "query on day 3"
    assert AuditEvent.objects.filter(action="participants.casebook_unlocked").count() == 1


def test_a_wrong_password_locks_nothing_and_says_so(participant: Any, client_for: Any) -> None:
    response = submit(
        client_for("data_manager"),
        reverse("monitoring:casebook_lock", args=[participant.code]),
        form_id="lock-form",
        changes={"reason": "casebook reviewed", "password": "wrong"},
    )
    assert response.status_code == 200
    assert "mot de passe n'est pas correct" in html.unescape(response.content.decode())
    assert not Lock.objects.exists()


def test_with_an_authenticator_the_code_is_required(
    participant: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    device = TOTPDevice.objects.create(user=role_users["data_manager"], name="phone")
    url = reverse("monitoring:database_lock")
    client = client_for("data_manager")
    response = submit(
        client,
        url,
        form_id="lock-form",
        changes={"reason": "final", "password": PASSWORD, "token": ""},
    )
    assert response.status_code == 200 and locks.current_database_lock() is None
    code = f"{totp(device.bin_key) % 1_000_000:06d}"
    response = submit(
        client,
        url,
        form_id="lock-form",
        changes={"reason": "final", "password": PASSWORD, "token": code},
    )
    assert response.status_code == 302 and locks.current_database_lock() is not None


def test_a_form_is_locked_from_its_page_and_the_history_lists_everything(
    participant: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    baseline = crf.save_baseline(
        participant, by=role_users["investigator"], data=baseline_data()
    ).obj
    detail = reverse("crf:form_detail", args=[participant.code, "baseline", baseline.pk])
    client = client_for("data_manager")
    response = submit(
        client,
        detail,
        containing="password",
        changes={"reason": "form verified", "password": PASSWORD},
    )
    assert response.status_code == 302 and locks.form_lock(baseline) is not None
    assert "Ce formulaire est gelé" in client.get(detail).content.decode()
    submit(
        client,
        detail,
        containing="password",
        changes={"reason": "correction asked", "password": PASSWORD},
    )
    assert locks.form_lock(baseline) is None
    locks.lock_database(by=role_users["data_manager"], reason="final database lock")

    with translation.override("fr"):
        form = form_name("crf.baseline")  # the form by its name, never its model label
    for role in ("data_manager", "statistician", "monitor"):
        html = client_for(role).get(reverse("monitoring:lock_history")).content.decode()
        assert "crf.baseline" not in html
        for text in ("form verified", "correction asked", "final database lock", form):
            assert text in html, (role, text)


def test_a_stale_lock_page_does_not_lock_twice_or_unlock_by_surprise(
    participant: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    client = client_for("data_manager")
    url = reverse("monitoring:database_lock")
    page = client.get(url)
    from tests.webform import form_in

    data = form_in(page.content, form_id="lock-form").data()
    data.update({"reason": "final", "password": PASSWORD})
    locks.lock_database(by=role_users["data_manager"], reason="locked elsewhere")
    response = client.post(url, data, follow=True)
    assert "Le gel a changé" in response.content.decode()
    assert Lock.objects.count() == 1 and locks.current_database_lock() is not None


def test_a_write_refused_by_postgresql_gives_a_french_message_not_an_error_page(
    participant: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    from django.utils.timezone import localdate

    sae = crf.save_adverse_event(
        participant,
        by=role_users["investigator"],
        data=ae_data(serious=True, sae_hospitalisation=True, awareness_date=localdate()),
    ).obj
    locks.lock_database(by=role_users["data_manager"], reason="final")
    url = reverse("crf:sae_acknowledge", args=[sae.pk])
    sae_list = reverse("crf:sae_list")
    response = client_for("data_manager").post(url, follow=True, HTTP_REFERER=sae_list)
    assert response.status_code == 200
    assert "Ces données sont gelées : rien n" in response.content.decode()
    sae.refresh_from_db()
    assert sae.acknowledged_by is None


# -------------------------------------------------------------------------- commands


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: Any) -> None:
    """run_from_argv closes every connection when it ends; the test's transaction lives on."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def _run(*argv: str) -> int:
    """As the shell runs it: the exit code (CommandError → non-zero)."""
    try:
        execute_from_command_line(["manage.py", *argv])
    except SystemExit as done:
        return int(done.code or 0)
    return 0


@pytest.mark.parametrize("role", ["investigator", "monitor", "statistician", "admin"])
def test_the_lock_commands_refuse_anyone_but_a_data_manager(
    role: str, role_users: dict[str, Any], capsys: Any
) -> None:
    username = role_users[role].username
    assert _run("lock_database", "--by", username, "--reason", "final") != 0
    assert "not an active data manager" in capsys.readouterr().err
    assert not Lock.objects.exists()
    dm = role_users["data_manager"].username
    assert _run("lock_database", "--by", dm, "--reason", "final") == 0
    assert _run("unlock_database", "--by", username, "--reason", "late query") != 0
    assert locks.current_database_lock() is not None


def test_the_lock_commands_lock_unlock_and_refuse_what_makes_no_sense(
    role_users: dict[str, Any], capsys: Any
) -> None:
    dm = role_users["data_manager"]
    assert _run("unlock_database", "--by", dm.username, "--reason", "nothing to unlock") != 0
    assert _run("lock_database", "--by", dm.username, "--reason", "   ") != 0
    assert _run("lock_database", "--by", dm.username, "--reason", "final") == 0
    assert _run("lock_database", "--by", dm.username, "--reason", "again") != 0
    assert _run("unlock_database", "--by", dm.username, "--reason", "late query") == 0
    assert [(lock.reason, lock.unlock_reason) for lock in Lock.objects.all()] == [
        ("final", "late query")
    ]
    dm.is_active = False
    dm.save()
    assert _run("lock_database", "--by", dm.username, "--reason", "final") != 0
    assert locks.current_database_lock() is None


def test_a_site_reader_sees_the_locks_of_their_sites_and_the_database_locks_only(
    site11: Any, site16: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    dm = role_users["data_manager"]
    locks.lock_casebook(randomized(site11), by=dm, reason="reviewed at Limoges")
    locks.lock_casebook(randomized(site16), by=dm, reason="reviewed at Nantes")
    locks.lock_database(by=dm, reason="final database lock")
    html = client_for("monitor").get(reverse("monitoring:lock_history")).content.decode()
    assert "reviewed at Limoges" in html and "final database lock" in html
    assert "reviewed at Nantes" not in html
    html = client_for("statistician").get(reverse("monitoring:lock_history")).content.decode()
    assert "reviewed at Nantes" in html
