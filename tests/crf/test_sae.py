"""An SAE e-mails vigilance after commit, with the SAE form as a PDF, and waits on the
dashboard list until data management acknowledges it."""

from __future__ import annotations

import subprocess
import tempfile

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crf.models import AdverseEvent
from crf.services import save_adverse_event
from tests.crf.helpers import ae_data, randomized

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(
            ["/usr/bin/pdftotext", handle.name, "-"], check=True, capture_output=True, text=True
        ).stdout


def _sae(**kw):
    return ae_data(
        serious=True,
        sae_hospitalisation=True,
        term="Severe haemorrhage",
        awareness_date=timezone.localdate(),
        **kw,
    )


def test_sae_emails_vigilance_with_the_pdf_after_commit(
    site11, role_users, settings, django_capture_on_commit_callbacks
):
    settings.PLATINIUM_VIGILANCE_EMAIL = "pv@sponsor.invalid"
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ae = save_adverse_event(participant, by=role_users["investigator"], data=_sae()).obj
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pv@sponsor.invalid"]
    assert participant.code in message.subject
    name, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    text = _pdf_text(content)
    assert participant.code in text and "Severe haemorrhage" in text
    assert "MASKED" in text
    ae.refresh_from_db()
    assert ae.sae_notified_at is not None and ae.sae_recorded_at is not None


def test_non_serious_ae_sends_nothing(site11, role_users, django_capture_on_commit_callbacks):
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        save_adverse_event(participant, by=role_users["investigator"], data=ae_data())
    assert mail.outbox == []


def test_a_later_edit_does_not_send_the_sae_twice(
    site11, role_users, django_capture_on_commit_callbacks
):
    participant = randomized(site11)
    by = role_users["investigator"]
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=by, data=_sae()).obj
    # The edit starts from the stored row, as the edit page does: the notification after
    # commit is itself a versioned write (sae_notified_at).
    ae.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        save_adverse_event(
            participant,
            by=by,
            data=_sae(severity_grade=3),
            instance=ae,
            expected_version=ae.version,
            reason="grade corrected",
        )
    assert len(mail.outbox) == 1


def test_serious_without_criterion_is_refused(site11, role_users):
    from crf.services import CrfRefused

    with pytest.raises(CrfRefused, match="seriousness criterion"):
        save_adverse_event(
            randomized(site11),
            by=role_users["investigator"],
            data=ae_data(serious=True, awareness_date=timezone.localdate()),
        )


def test_grade_5_needs_a_fatal_outcome(site11, role_users):
    from crf.services import CrfRefused

    with pytest.raises(CrfRefused, match="fatal"):
        save_adverse_event(
            randomized(site11), by=role_users["investigator"], data=ae_data(severity_grade=5)
        )


def test_sae_stays_on_the_list_until_data_management_acknowledges_it(
    site11, role_users, client_for, django_capture_on_commit_callbacks
):
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=role_users["investigator"], data=_sae()).obj
    listing = client_for("investigator").get(reverse("crf:sae_list"))
    assert "Severe haemorrhage" in listing.content.decode()
    denied = client_for("investigator").post(reverse("crf:sae_acknowledge", args=[ae.pk]))
    assert denied.status_code == 403
    response = client_for("data_manager").post(reverse("crf:sae_acknowledge", args=[ae.pk]))
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.acknowledged_by == role_users["data_manager"]
    assert not AdverseEvent.objects.awaiting_acknowledgement().exists()
    listing = client_for("investigator").get(reverse("crf:sae_list"))
    assert "Severe haemorrhage" not in listing.content.decode()


def _with_consent(participant, on):
    """Link a screening with its consent (given at 10:00 Paris on `on`) to the participant."""
    from eligibility.models import Consent, Screening
    from tests.crf.helpers import paris
    from tests.eligibility.factories import make_screening, site_investigator

    screening = make_screening(participant.site)
    Screening.objects.filter(pk=screening.pk).update(participant=participant)
    Consent.objects.create(
        screening=screening,
        given_by="PATIENT",
        consented_at=paris(on),
        information_sheet_version="1.0",
        recorded_by=site_investigator(participant.site),
    )


def test_ae_onset_before_the_consent_date_is_refused_and_on_it_accepted(site11, role_users):
    from datetime import timedelta

    from crf.services import CrfRefused
    from tests.crf.helpers import d0_of

    participant = randomized(site11)
    consent_day = d0_of(participant) - timedelta(days=1)
    _with_consent(participant, consent_day)
    by = role_users["investigator"]
    with pytest.raises(CrfRefused, match="consent"):
        save_adverse_event(
            participant, by=by, data=ae_data(onset_date=consent_day - timedelta(days=1))
        )
    assert not AdverseEvent.objects.filter(participant=participant).exists()
    ae = save_adverse_event(participant, by=by, data=ae_data(onset_date=consent_day)).obj
    assert ae.pk and ae.onset_date == consent_day


def test_sae_follow_up_emails_vigilance_the_updated_pdf_and_is_audited(
    site11, role_users, settings, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from audit.models import AuditEvent

    settings.PLATINIUM_VIGILANCE_EMAIL = "pv@sponsor.invalid"
    participant = randomized(site11)
    by = role_users["investigator"]
    with translation.override("en"):
        with django_capture_on_commit_callbacks(execute=True):
            ae = save_adverse_event(participant, by=by, data=_sae()).obj
        assert len(mail.outbox) == 1
        ae.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            save_adverse_event(
                participant,
                by=by,
                data=_sae(ongoing=False, end_date=timezone.localdate(), outcome="SEQUELAE"),
                instance=ae,
                expected_version=ae.version,
                reason="follow-up: resolved",
            )
    assert len(mail.outbox) == 2
    follow_up = mail.outbox[1]
    assert follow_up.to == ["pv@sponsor.invalid"]
    assert "follow-up" in follow_up.subject.lower()
    assert participant.code in follow_up.subject
    assert "follow-up" not in mail.outbox[0].subject.lower()
    name, content, mimetype = follow_up.attachments[0]
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    text = _pdf_text(content)
    assert "followup" in text.lower().replace("-", "")
    assert "Recovered with sequelae" in text
    actions = list(
        AuditEvent.objects.for_target(ae).order_by("pk").values_list("action", flat=True)
    )
    assert "crf.sae.follow_up" in actions and "crf.sae.follow_up_notified" in actions
