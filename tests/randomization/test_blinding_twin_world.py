"""Blinding proven by twin worlds: A↔B swapped in the lists, every blinded output identical.

Kit choice among the first three is made deterministic here (first one) so that both
worlds take the same kit codes, and participants are made by the fast path with the
eligibility check answered "eligible" (the `eligible` fixture); everything else runs as
in production, through the pages where a person would act.
"""

from __future__ import annotations

import pytest

from randomization import arm_cipher, services
from tests.randomization import twin_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def deterministic_kit_choice(monkeypatch):
    monkeypatch.setattr(services, "_choose", lambda candidates: candidates[0])


@pytest.fixture
def worlds(role_users, deterministic_kit_choice, eligible, django_capture_on_commit_callbacks):
    def build_both():
        a = twin_world.twin(False, role_users, django_capture_on_commit_callbacks)
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
    from crf.views import SPECS

    a, _b = worlds()
    assert a["skipped"] == []
    assert twin_world.url_names() - twin_world.UNCRAWLED <= a["covered"]
    assert {
        "crf:form_detail",
        "crf:form_edit",
        "crf:form_new",
        "crf:form_entered_in_error",
        "crf:daily_grid_row",
        "accounts:user_detail",
        "accounts:membership_revoke",
    } <= a["covered"]
    assert a["crf_forms"] == sorted(SPECS)  # a saved row of every form: detail and edit pages
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
