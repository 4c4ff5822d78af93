"""The investigator's casebook signature: re-authentication, meaning shown, bound to the
data by a digest of the row versions; a later correction puts it on the "to re-sign" list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from audit.models import AuditEvent
from crf.models import StudyDrugAdministration
from monitoring import signing
from monitoring.models import CasebookSignature
from tests.sdv.helpers import with_critical_rows
from tests.webform import form_in, submit

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def _sign_url(participant: Any) -> str:
    return reverse("monitoring:casebook_sign", args=[participant.code])


def _english(client: Any) -> Any:
    client.cookies["django_language"] = "en"
    return client


def _status(client: Any, participant: Any) -> str:
    html = client.get(reverse("crf:participant", args=[participant.code])).content.decode()
    return re.search(r'id="signature-status" data-state="([a-z_]+)"', html).group(1)


def _correct(client: Any, participant: Any, **changes: str) -> Any:
    """A correction no edit check questions (the side), unless `changes` say otherwise."""
    row = StudyDrugAdministration.objects.get(participant=participant, number=1)
    url = reverse("crf:form_edit", args=[participant.code, "injection", row.pk])
    return submit(
        client,
        url,
        containing="kit_code",
        changes={"side": "RIGHT", "reason_for_change": "re-read on the chart", **changes},
    )


def _sign(client: Any, participant: Any, password: str = PASSWORD) -> Any:
    return submit(
        client, _sign_url(participant), form_id="sign-form", changes={"password": password}
    )


def _resign_codes(client: Any) -> list[str]:
    html = client.get(reverse("monitoring:resign_list")).content.decode()
    return re.findall(r'class="to-resign" data-code="([^"]+)"', html)


def test_the_page_shows_the_meaning_and_the_printed_name(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    html = _english(client_for("investigator")).get(_sign_url(participant)).content.decode()
    assert "I confirm that the data of this casebook are accurate and complete." in html
    investigator = role_users["investigator"]
    assert (investigator.get_full_name() or investigator.username) in html


def test_the_meaning_is_shown_in_french(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    client = client_for("investigator")
    client.cookies["django_language"] = "fr"
    html = client.get(_sign_url(participant)).content.decode()
    assert "Je confirme que les données de ce cahier sont exactes et complètes" in html


def test_a_wrong_password_signs_nothing_and_is_audited(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    client = _english(client_for("investigator"))
    response = submit(
        client, _sign_url(participant), form_id="sign-form", changes={"password": "nope"}
    )
    assert response.status_code == 200
    assert "Your password is not correct" in response.content.decode()
    assert not CasebookSignature.objects.exists()
    assert AuditEvent.objects.filter(action="reauthentication_failed").exists()
    assert _status(client, participant) == signing.UNSIGNED


def test_the_right_password_signs_and_a_later_correction_asks_to_re_sign(
    site11, role_users, client_for
):
    participant = with_critical_rows(site11, role_users["coordinator"])
    investigator = _english(client_for("investigator"))
    response = submit(
        investigator, _sign_url(participant), form_id="sign-form", changes={"password": PASSWORD}
    )
    assert response.status_code == 302
    signature = CasebookSignature.objects.get(participant=participant)
    assert signature.signed_by == role_users["investigator"]
    assert signature.meaning.startswith("I confirm")
    assert AuditEvent.objects.filter(action="casebook_signed").exists()
    page = investigator.get(reverse("crf:participant", args=[participant.code])).content.decode()
    assert "signed on" in page and signature.printed_name in page
    assert _status(investigator, participant) == signing.SIGNED
    assert participant.code not in _resign_codes(investigator)

    assert _correct(client_for("coordinator"), participant).status_code == 302

    assert _status(investigator, participant) == signing.TO_RESIGN
    assert _status(client_for("monitor"), participant) == signing.TO_RESIGN
    assert participant.code in _resign_codes(investigator)
    assert participant.code in _resign_codes(client_for("monitor"))
    # Signing again clears it; the first signature stays (append-only).
    submit(
        investigator, _sign_url(participant), form_id="sign-form", changes={"password": PASSWORD}
    )
    assert _status(investigator, participant) == signing.SIGNED
    assert CasebookSignature.objects.filter(participant=participant).count() == 2


def test_negative_control_a_digest_blind_to_versions_would_miss_the_correction(
    site11, role_users, client_for, monkeypatch
):
    participant = with_critical_rows(site11, role_users["coordinator"])
    investigator = client_for("investigator")
    monkeypatch.setattr(signing, "digest_of", lambda annotated: "0" * 64)
    submit(
        investigator, _sign_url(participant), form_id="sign-form", changes={"password": PASSWORD}
    )
    _correct(client_for("coordinator"), participant)
    assert _status(investigator, participant) == signing.SIGNED  # the failure the test catches


def test_a_casebook_changed_after_the_page_was_shown_is_not_signed(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    investigator = _english(client_for("investigator"))
    form = form_in(investigator.get(_sign_url(participant)).content, form_id="sign-form")
    _correct(client_for("coordinator"), participant)
    data = form.data()
    data["password"] = PASSWORD
    response = investigator.post(_sign_url(participant), data, follow=True)
    assert response.status_code == 200
    assert "The casebook changed since you opened the page" in response.content.decode()
    assert not CasebookSignature.objects.exists()
    # The page shown again carries the casebook as it now is: signing it works.
    assert _sign(investigator, participant).status_code == 302
    assert CasebookSignature.objects.count() == 1


def test_open_queries_block_the_signature(site11, role_users, client_for, monkeypatch):
    participant = with_critical_rows(site11, role_users["coordinator"])
    investigator = _english(client_for("investigator"))
    form = form_in(investigator.get(_sign_url(participant)).content, form_id="sign-form")
    monkeypatch.setattr(signing, "open_queries_block", lambda participant: True)

    page = investigator.get(_sign_url(participant)).content.decode()
    assert 'id="open-queries"' in page and 'id="sign-form"' not in page
    data = form.data()
    data["password"] = PASSWORD
    response = investigator.post(_sign_url(participant), data, follow=True)
    assert response.status_code == 200
    assert "open queries" in response.content.decode()
    assert not CasebookSignature.objects.exists()


def test_signatures_are_append_only(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    submit(
        client_for("investigator"),
        _sign_url(participant),
        form_id="sign-form",
        changes={"password": PASSWORD},
    )
    signature = CasebookSignature.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        CasebookSignature.objects.filter(pk=signature.pk).update(digest="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        signature.delete()


def test_the_re_sign_list_has_a_fixed_query_count(
    site11, role_users, client_for, django_assert_max_num_queries
):
    client = client_for("investigator")
    url = reverse("monitoring:resign_list")
    for _ in range(2):
        with_critical_rows(site11, role_users["coordinator"])
    client.get(url)
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    for _ in range(13):
        with_critical_rows(site11, role_users["coordinator"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_post_cannot_set_who_when_or_what_was_signed(site11, role_users, client_for):
    """roles.md invariant 3: signed_by, signed_at, printed name, meaning and digest are the
    server's."""
    participant = with_critical_rows(site11, role_users["coordinator"])
    investigator = _english(client_for("investigator"))
    form = form_in(investigator.get(_sign_url(participant)).content, form_id="sign-form")
    data = form.data()
    data |= {
        "password": PASSWORD,
        "signed_by": str(role_users["coordinator"].pk),
        "signed_at": "2001-01-01T00:00",
        "printed_name": "Someone Else",
        "meaning": "nothing",
        "digest": "f" * 64,
        "participant": "999",
    }
    assert investigator.post(_sign_url(participant), data).status_code == 302
    signature = CasebookSignature.objects.get()
    assert signature.signed_by == role_users["investigator"]
    assert signature.signed_at.year > 2001
    assert signature.printed_name != "Someone Else"
    assert signature.meaning.startswith("I confirm")
    assert signature.digest != "f" * 64 and signature.participant == participant


def test_a_correction_that_opens_a_system_query_blocks_the_signature(
    site11, role_users, client_for
):
    """0.40 mL instead of the planned 0.50 mL: the soft check opens a system query, and a
    casebook with an open query cannot be signed until the query is closed."""
    from crf.models import DataQuery

    participant = with_critical_rows(site11, role_users["coordinator"])
    investigator = _english(client_for("investigator"))
    assert 'id="sign-form"' in investigator.get(_sign_url(participant)).content.decode()
    _correct(client_for("coordinator"), participant, volume_ml="0.40")
    assert DataQuery.objects.system().filter(participant=participant).exists()
    page = investigator.get(_sign_url(participant)).content.decode()
    assert 'id="open-queries"' in page and 'id="sign-form"' not in page
