"""The form page carries its skip logic and required markers; the "required items missing"
message names the items and links to them; a reason for change is asked only once the
form is complete (issue #11). Through the rendered page (tests/webform.py)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crf.models import AdverseEvent, CrfStatus
from tests.crf.helpers import ae_data, randomized
from tests.webform import form_in, submit

pytestmark = pytest.mark.django_db


def _skip_logic(html: str) -> dict:
    found = re.search(r'<script id="skip-logic" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page carries no skip logic"
    return json.loads(found.group(1))


def test_the_follow_up_page_carries_its_declaration_and_the_visit(site11, client_for):
    participant = randomized(site11)
    url = reverse("crf:form_new", args=[participant.code, "follow-up"]) + "?visit=FU_D90"
    html = client_for("coordinator").get(url).content.decode()
    logic = _skip_logic(html)
    assert logic["constants"] == {"visit": "FU_D90"}
    assert logic["show_when"]["eq5d_mobility"] == {
        "all": [
            {"field": "visit", "equals": "FU_D90"},
            {"field": "vital_status", "equals": "ALIVE"},
        ]
    }
    assert 'src="/static/js/skip.js"' in html or "js/skip.js" in html
    assert 'id="div_id_eq5d_mobility"' in html  # the wrapper skip.js hides


def test_required_items_are_marked_for_eyes_and_screen_readers(site11, client_for):
    participant = randomized(site11)
    url = reverse("crf:form_new", args=[participant.code, "adverse-event"])
    html = client_for("coordinator").get(url).content.decode()
    term = re.search(r"<input[^>]*name=\"term\"[^>]*>", html).group(0)
    assert 'aria-required="true"' in term
    label = re.search(r'<label\s+for="id_term"[^>]*>(.*?)</label>', html, re.S).group(1)
    assert "*" in label and "obligatoire" in label
    comment = re.search(r"<[a-z]+[^>]*name=\"sae_death\"[^>]*>", html).group(0)
    assert "aria-required" not in comment  # a seriousness criterion is not required


def test_missing_items_are_named_and_linked_to_their_input(site11, client_for):
    participant = randomized(site11)
    client = client_for("coordinator")
    url = reverse("crf:form_new", args=[participant.code, "adverse-event"])
    data = ae_data(outcome="", relationship="")
    changes = {k: (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k, v in data.items()}
    changes["serious"], changes["ongoing"] = "false", "true"
    response = submit(client, url, containing="term", changes=changes)
    assert response.status_code == 302
    ae = AdverseEvent.objects.get()
    assert ae.status == CrfStatus.IN_PROGRESS
    text = [str(m) for m in get_messages(response.wsgi_request)]
    edit = reverse("crf:form_edit", args=[participant.code, "adverse-event", ae.pk])
    message = next(m for m in text if "manquant" in m)
    assert "2 " in message
    assert f'<a href="{edit}#id_relationship">' in message
    assert f'<a href="{edit}#id_outcome">' in message
    page = client.get(edit).content.decode()
    assert 'id="id_relationship"' in page and 'id="id_outcome"' in page


def test_reason_for_change_only_once_the_form_is_complete(site11, client_for):
    participant = randomized(site11)
    client = client_for("coordinator")
    url = reverse("crf:form_new", args=[participant.code, "adverse-event"])
    data = ae_data(outcome="")
    changes = {k: (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k, v in data.items()}
    changes["serious"], changes["ongoing"] = "false", "true"
    submit(client, url, containing="term", changes=changes)
    ae = AdverseEvent.objects.get()
    edit = reverse("crf:form_edit", args=[participant.code, "adverse-event", ae.pk])
    # In progress: no reason asked, the edit saves.
    assert "reason_for_change" not in form_in(client.get(edit).content, containing="term").names()
    response = submit(client, edit, containing="term", changes={"outcome": "RECOVERING"})
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.status == CrfStatus.COMPLETE
    # Complete: the reason is on the page and required.
    assert "reason_for_change" in form_in(client.get(edit).content, containing="term").names()
    refused = submit(client, edit, containing="term", changes={"term": "Bleeding"})
    assert refused.status_code == 200
    ae.refresh_from_db()
    assert ae.term == "Haemorrhage"
    saved = submit(
        client, edit, containing="term", changes={"term": "Bleeding", "reason_for_change": "typo"}
    )
    assert saved.status_code == 302
    ae.refresh_from_db()
    assert ae.term == "Bleeding"
