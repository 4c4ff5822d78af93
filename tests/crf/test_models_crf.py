"""Model-level guarantees: site-scoped querysets, never deleted, history, constraints."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from crf.definitions import CRF_MODELS
from crf.models import Baseline, CrfRecord, IcuStay
from crf.services import save_baseline
from tests.crf.helpers import baseline_data, paris, randomized

pytestmark = pytest.mark.django_db


def test_every_crf_model_is_participant_scoped_and_tracked():
    for model in CRF_MODELS:
        assert issubclass(model, CrfRecord), model
        assert model._meta.get_field("participant").remote_field.on_delete.__name__ == "PROTECT"
        assert hasattr(model, "pgh_event_model"), model
        assert model.CDASH, model


def test_visible_to_follows_sites_and_hides_everything_from_pharmacists(site11, site16, role_users):
    p11, p16 = randomized(site11), randomized(site16)
    save_baseline(p11, by=role_users["investigator"], data=baseline_data())
    save_baseline(p16, by=role_users["investigator_nantes"], data=baseline_data())
    assert list(
        Baseline.objects.visible_to(role_users["investigator"]).values_list(
            "participant", flat=True
        )
    ) == [p11.pk]
    assert Baseline.objects.visible_to(role_users["data_manager"]).count() == 2
    assert not Baseline.objects.visible_to(role_users["pharmacist"]).exists()
    assert not Baseline.objects.visible_to(role_users["admin"]).exists()


def test_participant_with_forms_cannot_be_deleted(site11, role_users):
    p = randomized(site11)
    save_baseline(p, by=role_users["investigator"], data=baseline_data())
    with pytest.raises(ProtectedError), transaction.atomic():
        p.delete()


def test_history_records_who_changed_what_and_why(site11, role_users):
    p = randomized(site11)
    by = role_users["investigator"]
    row = save_baseline(p, by=by, data=baseline_data()).obj
    save_baseline(
        p,
        by=by,
        data=baseline_data(height_cm=181),
        instance=row,
        expected_version=1,
        reason="measured again",
    )
    events = list(row.events.order_by("pgh_id").values_list("pgh_label", "height_cm"))
    assert events == [("insert", 178), ("update", 181)]
    assert row.events.last().pgh_context["reason"] == "measured again"


def test_icu_discharge_before_admission_is_refused_by_the_database(site11, role_users):
    p = randomized(site11)
    with pytest.raises(IntegrityError), transaction.atomic():
        IcuStay.objects.create(
            participant=p,
            stay_number=1,
            admitted_at=paris(p.enrolled_at.date()),
            discharged_at=paris(p.enrolled_at.date(), 1),
        )
