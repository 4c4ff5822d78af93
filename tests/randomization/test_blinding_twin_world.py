"""Blinding proven by twin worlds: A↔B swapped in the lists, every blinded output identical.

Kit choice among the first three is made deterministic here (first one) so that both
worlds take the same kit codes, and participants are made by the fast path with the
eligibility check answered "eligible" (the `eligible` fixture); everything else runs as
in production, through the pages where a person would act.
"""

from __future__ import annotations

import pytest
import time_machine

from randomization import arm_cipher
from randomization.services import allocation
from tests.randomization import twin_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def deterministic_kit_choice(monkeypatch):
    monkeypatch.setattr(allocation, "_choose", lambda candidates: candidates[0])


@pytest.fixture
def worlds(role_users, deterministic_kit_choice, eligible, django_capture_on_commit_callbacks):
    start = twin_world.one_study_day_start()

    def build_both():
        # Both worlds start at the same instant of one study day: a build that crosses
        # midnight in Paris would show other dates, not a leak.
        with time_machine.travel(start, tick=True):
            a = twin_world.twin(False, role_users, django_capture_on_commit_callbacks)
        with time_machine.travel(start, tick=True):
            b = twin_world.twin(True, role_users, django_capture_on_commit_callbacks)
        return a, b

    return build_both


def test_every_blinded_output_is_identical_when_the_arms_are_swapped(worlds):
    a, b = worlds()
    # The worlds are not empty: pages of every kind, e-mails, PDFs, audit rows.
    assert a["urls"] > 50 and len(a["pages"]) == len(b["pages"])
    assert len(a["emails"]) >= 5 and any("%PDF" not in e and ".pdf" in e for e in a["emails"])
    assert any("randomization.emergency_unblinding" in row for row in a["audit"])
    assert any("no_kit" in row for row in a["outbox"])
    confirmation_pages = [
        k for k, v in a["pages"].items() if "/randomization/participants/" in k and v[0] == 200
    ]
    assert confirmation_pages
    assert any("crf.sae.notified" in row for row in a["audit"])  # the SAE e-mail path ran
    assert twin_world.differences(a, b) == []


def test_the_crawl_covers_every_url_and_every_crf_form(worlds):
    """Coverage check: a URL added later without a value supplier fails here, not silently."""
    from crf.definitions import FORMS

    a, _b = worlds()
    assert a["skipped"] == []  # crawl() raises Unbuildable before that, listing them
    assert not twin_world.UNCRAWLED  # the 2FA page too (fixed TOTP secret)
    assert twin_world.url_names() <= a["covered"]
    assert {
        "crf:form_detail",
        "crf:form_edit",
        "crf:form_new",
        "crf:form_entered_in_error",
        "crf:daily_grid_row",
        "accounts:user_detail",
        "accounts:membership_revoke",
    } <= a["covered"]
    # A saved row of every form: detail and edit pages.
    assert a["crf_forms"] == sorted(d.slug for d in FORMS)
    assert "admin" in twin_world.BLINDED_ROLES
    crf_pages = [page for page in a["pages"] if page.startswith("investigator /crf/")]
    assert any("/adverse-event/" in page and a["pages"][page][0] == 200 for page in crf_pages)


def test_the_arm_is_not_tracked_in_field_history():
    from randomization.models import Kit, Slot

    history_models = list(Kit.pgh_event_models.values()) if hasattr(Kit, "pgh_event_models") else []
    import pghistory.models  # noqa: F401
    from django.apps import apps

    for model in apps.get_models():
        if getattr(model, "pgh_tracked_model", None) in (Kit, Slot):
            history_models.append(model)
    assert history_models, "Kit history model not found"
    for model in history_models:
        assert "arm_token" not in {f.name for f in model._meta.fields}


def test_negative_control_a_leaked_arm_is_detected(worlds, monkeypatch, settings):
    """Put the arm on the confirmation page: the comparison must see it."""
    from randomization import documents

    original = documents.confirmation_context

    def leaky(allocation):
        context = original(allocation)
        arm = arm_cipher.decrypt_arm(allocation.slot.arm_token, settings.PLATINIUM_ARM_KEY)
        context["kit_codes"] = [*context["kit_codes"], f"arm {arm}"]
        return context

    monkeypatch.setattr(documents, "confirmation_context", leaky)
    a, b = worlds()
    found = twin_world.differences(a, b)
    assert found and any("/randomization/participants/" in page for page in found)


def test_negative_control_an_arm_in_a_response_header_is_detected(worlds, monkeypatch, settings):
    """Put the arm in a header of the confirmation page only: bodies stay identical, the
    comparison of every header must still see it."""
    import re

    from audit.context import AuditContextMiddleware
    from randomization.models import Allocation

    original = AuditContextMiddleware.__call__

    def leaky(self, request):
        response = original(self, request)
        match = re.fullmatch(r"/randomization/participants/([^/]+)/", request.path)
        allocation = match and Allocation.objects.filter(participant__code=match[1]).first()
        if allocation:
            key = settings.PLATINIUM_ARM_KEY
            response["X-Treatment"] = arm_cipher.decrypt_arm(allocation.slot.arm_token, key)
        return response

    monkeypatch.setattr(AuditContextMiddleware, "__call__", leaky)
    a, b = worlds()
    found = [page for page in twin_world.differences(a, b) if page in a["pages"]]
    assert found and all("/randomization/participants/" in page for page in found)
    for page in found:
        body, header_set = a["pages"][page][-1], a["pages"][page][-2]
        assert body == b["pages"][page][-1]  # only the header differs
        assert any(name == "x-treatment" for name, _value in header_set)


def test_a_url_the_crawl_cannot_build_fails_listing_it(role_users, monkeypatch):
    monkeypatch.setattr(
        twin_world, "_combos", lambda names, values: [dict.fromkeys(names, "not/an int")]
    )
    with pytest.raises(twin_world.Unbuildable, match="crf:form_detail"):
        twin_world.crawl(role_users)


def test_a_url_without_a_value_supplier_fails_listing_it(role_users, monkeypatch):
    combos = twin_world._combos

    def no_supplier(names, values):
        return None if "shipment_id" in names else combos(names, values)

    monkeypatch.setattr(twin_world, "_combos", no_supplier)
    with pytest.raises(twin_world.Unbuildable, match=r"shipment_detail \(no supplier\)"):
        twin_world.crawl(role_users)
