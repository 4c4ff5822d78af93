"""Randomize through the pages: confirm, randomize, confirmation page and PDF, e-mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from randomization.models import Allocation, Kit
from tests.randomization.factories import make_participant
from tests.randomization.pdf import pdf_text

pytestmark = [pytest.mark.django_db]


def test_the_confirm_page_lists_why_a_participant_cannot_be_randomized(stock, site11, client_for):
    participant = make_participant(site11)  # no screening: eligibility refuses
    response = client_for("investigator").get(
        reverse("randomization:randomize", args=[participant.code])
    )
    assert response.status_code == 200
    assert len(response.context["problems"]) == 1  # the eligibility app's reason
    assert b'id="randomization-problems"' in response.content
    assert b'id="randomize-form"' not in response.content


@pytest.mark.usefixtures("eligible")
def test_randomizing_through_the_pages_shows_the_confirmation_and_emails_the_pharmacy(
    stock, site11, client_for, django_capture_on_commit_callbacks
):
    site11.pharmacy_email = "pui@chu-limoges.invalid"
    site11.save()
    participant = make_participant(site11)
    client = client_for("coordinator")
    url = reverse("randomization:randomize", args=[participant.code])
    page = client.get(url)
    key = page.context["form"].initial["idempotency_key"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"idempotency_key": key, "confirm": "on"}, follow=True)
        # A double submission with the same key is harmless.
        client.post(url, {"idempotency_key": key, "confirm": "on"})
    assert Allocation.objects.count() == 1
    allocation = Allocation.objects.get()
    kit = Kit.objects.get(participant=participant)
    html = response.content.decode()
    assert allocation.slot.rand_no in html and kit.code in html
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["pui@chu-limoges.invalid"]
    assert kit.code in email.body and participant.code in email.subject
    ((_name, pdf, _mimetype),) = email.attachments
    text = pdf_text(pdf)
    assert participant.code in text and allocation.slot.rand_no in text and kit.code in text


@pytest.mark.usefixtures("eligible")
def test_the_confirmation_pdf_shows_paris_time_and_no_arm(stock, site11, client_for, role_users):
    from randomization.services.allocation import randomize

    participant = make_participant(site11)
    allocation = randomize(participant, by=role_users["investigator"], idempotency_key="pdf")
    response = client_for("pharmacist").get(
        reverse("randomization:confirmation_pdf", args=[participant.code])
    )
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    from django.utils import timezone

    assert timezone.localtime(allocation.randomized_at).strftime("%Y-%m-%d %H:%M") in text
    import re

    assert not re.search(r"\b[AB]\b", text)  # no arm letter anywhere


@pytest.mark.usefixtures("eligible")
def test_a_post_cannot_choose_slot_kit_or_arm(stock, site11, client_for):
    participant = make_participant(site11)
    client = client_for("investigator")
    url = reverse("randomization:randomize", args=[participant.code])
    client.post(
        url,
        {
            "idempotency_key": "mass",
            "confirm": "on",
            "arm": "B",
            "slot": "99",
            "kit": "ZZZZZZZ",
            "site": "16",
        },
    )
    allocation = Allocation.objects.get()
    assert allocation.slot.seq == 1 and allocation.site == site11


def test_an_already_randomized_participant_redirects_to_its_confirmation(site11, client_for):
    from tests.randomization.factories import make_randomized_participant

    participant = make_randomized_participant(site11)
    response = client_for("investigator").get(
        reverse("randomization:randomize", args=[participant.code])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("randomization:confirmation", args=[participant.code])
