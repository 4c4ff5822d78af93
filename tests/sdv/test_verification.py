"""Source data verification through the rendered pages: a verification holds only while the
row keeps the verified version, progress is counted against the SDV plan."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from crf.models import AdverseEvent, StudyDrugAdministration
from monitoring import sdv
from monitoring.models import Verification
from platinium.lib.compiled import execute
from tests.sdv.helpers import row_states, sdv_url, with_critical_rows
from tests.webform import submit

pytestmark = pytest.mark.django_db


def _injection(participant: Any) -> StudyDrugAdministration:
    return StudyDrugAdministration.objects.get(participant=participant, number=1)


def _verify_row(client: Any, participant: Any, obj: Any) -> Any:
    label = obj._meta.label_lower
    return submit(client, sdv_url(participant), form_id=f"verify-{label}-{obj.pk}")


def _correct_injection(client: Any, participant: Any, row: Any) -> Any:
    url = reverse("crf:form_edit", args=[participant.code, "injection", row.pk])
    return submit(
        client,
        url,
        containing="kit_code",
        changes={"volume_ml": "0.40", "reason_for_change": "volume re-read on the chart"},
    )


def test_it_marks_a_row_verified_then_a_correction_makes_it_to_reverify(
    site11, role_users, client_for
):
    participant = with_critical_rows(site11, role_users["coordinator"])
    monitor = client_for("monitor")
    row = _injection(participant)
    key = f"crf.studydrugadministration:{row.pk}"

    assert _verify_row(monitor, participant, row).status_code == 302
    assert row_states(monitor, participant)[key] == sdv.VERIFIED
    assert AuditEvent.objects.filter(action="sdv_verified", target_id=str(row.pk)).exists()

    response = _correct_injection(client_for("coordinator"), participant, row)
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.version == 2

    html = monitor.get(sdv_url(participant)).content.decode()
    assert row_states(monitor, participant)[key] == sdv.TO_REVERIFY
    assert "monitor" in html  # who verified the earlier version is still shown


def test_negative_control_a_check_that_ignores_the_version_would_miss_the_correction(
    site11, role_users, client_for, monkeypatch
):
    """If "current" ignored the version, the corrected row would still look verified:
    the assertion of the test above would catch it."""
    participant = with_critical_rows(site11, role_users["coordinator"])
    monitor = client_for("monitor")
    row = _injection(participant)
    _verify_row(monitor, participant, row)
    _correct_injection(client_for("coordinator"), participant, row)

    from django.db.models import Exists, OuterRef

    def any_version(form: Any) -> Exists:
        return Exists(Verification.objects.filter(model_label=form.label, object_id=OuterRef("pk")))

    monkeypatch.setattr(sdv, "current_verification", any_version)
    assert row_states(monitor, participant)[f"crf.studydrugadministration:{row.pk}"] == (
        sdv.VERIFIED
    )


def test_a_row_changed_after_the_page_was_shown_is_not_verified(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    monitor = client_for("monitor")
    monitor.cookies["django_language"] = "en"
    row = _injection(participant)
    page = monitor.get(sdv_url(participant))
    _correct_injection(client_for("coordinator"), participant, row)

    from tests.webform import form_in

    form = form_in(page.content, form_id=f"verify-crf.studydrugadministration-{row.pk}")
    response = monitor.post(form.action, form.data(), follow=True)

    assert response.status_code == 200
    assert "A row was changed since you opened the page" in response.content.decode()
    assert not Verification.objects.exists()


def test_verify_all_is_all_or_nothing_and_counts_the_plan(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    monitor = client_for("monitor")
    monitor.cookies["django_language"] = "en"
    progress = reverse("monitoring:sdv_progress")
    assert (
        f"{participant.code}: 0/11 critical data verified" in monitor.get(progress).content.decode()
    )

    response = submit(monitor, sdv_url(participant), form_id="verify-all")
    assert response.status_code == 302
    assert Verification.objects.filter(participant=participant).count() == 2
    html = monitor.get(progress).content.decode()
    assert f"{participant.code}: 11/11 critical data verified" in html
    assert "11/11 critical data verified" in html  # the site total


def test_a_non_serious_adverse_event_is_outside_the_plan(site11, role_users, client_for):
    from crf.services import save_adverse_event
    from tests.crf.helpers import ae_data

    participant = with_critical_rows(site11, role_users["coordinator"])
    save_adverse_event(participant, by=role_users["coordinator"], data=ae_data())
    assert AdverseEvent.objects.filter(participant=participant).count() == 2
    states = row_states(client_for("monitor"), participant)
    assert len([k for k in states if k.startswith("crf.adverseevent")]) == 1


def test_a_row_key_of_another_form_or_participant_is_refused_with_a_message(
    site11, role_users, client_for
):
    participant = with_critical_rows(site11, role_users["coordinator"])
    other = with_critical_rows(site11, role_users["coordinator"])
    monitor = client_for("monitor")
    monitor.cookies["django_language"] = "en"
    theirs = _injection(other)
    for rows in (
        [f"crf.studydrugadministration:{theirs.pk}:1"],
        ["crf.baseline:1:1"],
        ["garbage" * 50],
        [],
    ):
        response = monitor.post(
            reverse("monitoring:sdv_verify", args=[participant.code]), {"row": rows}, follow=True
        )
        assert response.status_code == 200
        text = response.content.decode()
        assert "not part of the SDV plan" in text or "Nothing to verify" in text
    assert not Verification.objects.exists()


def test_verifications_are_append_only(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    _verify_row(client_for("monitor"), participant, _injection(participant))
    verification = Verification.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        Verification.objects.filter(pk=verification.pk).update(version=99)
    with pytest.raises(DatabaseError), transaction.atomic():
        verification.delete()


def test_the_site_progress_page_has_a_fixed_query_count(
    site11, role_users, client_for, django_assert_max_num_queries
):
    monitor = client_for("monitor")
    url = reverse("monitoring:sdv_progress")
    for _ in range(2):
        with_critical_rows(site11, role_users["coordinator"])
    monitor.get(url)  # warm the session
    with django_assert_max_num_queries(10) as small:
        assert monitor.get(url).status_code == 200
    for _ in range(13):
        with_critical_rows(site11, role_users["coordinator"])
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = monitor.get(url)
    assert response.content.decode().count('class="participant-progress"') == 15
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_post_cannot_set_who_verified(site11, role_users, client_for):
    """roles.md invariant 3: verified_by and verified_at are the server's."""
    participant = with_critical_rows(site11, role_users["coordinator"])
    row = _injection(participant)
    submit(
        client_for("monitor"),
        sdv_url(participant),
        form_id=f"verify-crf.studydrugadministration-{row.pk}",
        changes={
            "verified_by": str(role_users["coordinator"].pk),
            "verified_at": "2001-01-01T00:00",
        },
    )
    verification = Verification.objects.get()
    assert verification.verified_by == role_users["monitor"]
    assert verification.verified_at.year > 2001


def test_verify_one_study_day_verifies_only_that_days_rows(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    monitor = client_for("monitor")
    row = _injection(participant)
    assert row.study_day == 1
    assert submit(monitor, sdv_url(participant), form_id="verify-day-1").status_code == 302
    states = row_states(monitor, participant)
    assert states[f"crf.studydrugadministration:{row.pk}"] == sdv.VERIFIED
    ae = AdverseEvent.objects.get(participant=participant)
    assert states[f"crf.adverseevent:{ae.pk}"] == sdv.NOT_VERIFIED


def test_verify_one_section_verifies_only_that_sections_rows(site11, role_users, client_for):
    participant = with_critical_rows(site11, role_users["coordinator"])
    monitor = client_for("monitor")
    html = monitor.get(sdv_url(participant)).content.decode()
    # Sections in plan order: study drug (1), serious adverse events (2).
    assert 'id="verify-section-2"' in html
    assert submit(monitor, sdv_url(participant), form_id="verify-section-2").status_code == 302
    states = row_states(monitor, participant)
    ae = AdverseEvent.objects.get(participant=participant)
    assert states[f"crf.adverseevent:{ae.pk}"] == sdv.VERIFIED
    assert states[f"crf.studydrugadministration:{_injection(participant).pk}"] == (sdv.NOT_VERIFIED)


def _sum_per_participant(site_ids: list[int]) -> dict[int, tuple[int, int]]:
    """The reference: each participant's own progress, added up per site."""
    from participants.models import Participant

    out: dict[int, tuple[int, int]] = {}
    for participant in sdv.with_sdv_counts(Participant.objects.filter(site__in=site_ids)):
        progress = sdv.progress_of(participant)
        verified, total = out.get(participant.site_id, (0, 0))
        out[participant.site_id] = (verified + progress.verified, total + progress.total)
    return out


def _verified_correction_and_other_site(site11, site16, role_users, client_for) -> list[int]:
    """Site 11: one participant fully verified, one with a verified row then corrected;
    site 16: one participant with nothing verified."""
    monitor = client_for("monitor")
    done = with_critical_rows(site11, role_users["coordinator"])
    for status in sdv.rows_of(done):
        _verify_row(monitor, done, status.obj)
    corrected = with_critical_rows(site11, role_users["coordinator"])
    _verify_row(monitor, corrected, _injection(corrected))
    _correct_injection(client_for("coordinator"), corrected, _injection(corrected))
    with_critical_rows(site16, role_users["investigator_nantes"])
    return [site11.pk, site16.pk]


def test_the_per_site_progress_of_the_dashboard_adds_up_the_participants(
    site11, site16, role_users, client_for
):
    site_ids = _verified_correction_and_other_site(site11, site16, role_users, client_for)
    by_site = sdv.progress_by_site(site_ids)
    got = {site: (p.verified, p.total) for site, p in by_site.items()}
    # 11 points per participant; the second one's injection (5 points) was verified, then
    # corrected: to re-verify, so not counted.
    assert got == {site11.pk: (11, 22), site16.pk: (0, 11)}
    assert got == _sum_per_participant(site_ids)


def test_negative_control_a_site_aggregate_ignoring_the_version_is_caught(
    site11, site16, role_users, client_for, monkeypatch
):
    site_ids = _verified_correction_and_other_site(site11, site16, role_users, client_for)
    from django.db.models import Exists, OuterRef

    def any_version(form: Any) -> Exists:
        return Exists(Verification.objects.filter(model_label=form.label, object_id=OuterRef("pk")))

    monkeypatch.setattr(sdv, "current_verification", any_version)
    sdv._progress_query.cache_clear()  # compiled once per process: recompile with the patch
    try:
        assert sdv.progress_by_site(site_ids)[site11.pk].verified == 11 + 5  # correction missed
    finally:
        sdv._progress_query.cache_clear()


def test_the_per_site_progress_is_compiled_once_and_reads_the_data_every_time(
    site11, site16, role_users, client_for, monkeypatch
):
    site_ids = _verified_correction_and_other_site(site11, site16, role_users, client_for)
    sdv._progress_query.cache_clear()
    assert sdv.progress_by_site(site_ids)[site11.pk].verified == 11

    more = with_critical_rows(site11, role_users["coordinator"])
    _verify_row(client_for("monitor"), more, _injection(more))

    def compiled_again(form: Any) -> Any:
        raise AssertionError("the SDV progress was compiled again")

    monkeypatch.setattr(sdv, "current_verification", compiled_again)
    assert sdv.progress_by_site(list(reversed(site_ids)))[site11.pk].verified == 11 + 5
    # Negative control: without the cache the patched plan would be compiled again.
    sdv._progress_query.cache_clear()
    with pytest.raises(AssertionError, match="compiled again"):
        sdv.progress_by_site(site_ids)
    sdv._progress_query.cache_clear()


def test_the_per_site_progress_runs_prepared_and_reads_the_orms_rows(
    site11, site16, role_users, client_for
):
    """The compiled rows are what iterating the ORM's UNION gives (typed as its converters
    type them), read by EXECUTE of a prepared statement."""
    site_ids = tuple(
        sorted(_verified_correction_and_other_site(site11, site16, role_users, client_for))
    )
    compiled = sdv._progress_query(site_ids)
    with CaptureQueriesContext(connection) as runs:
        rows = [compiled.rows() for _ in range(2)][-1]
    # Prepared by this call or by an earlier test on the same connection, then executed.
    sent = [query["sql"].split(" ", 1)[0] for query in runs.captured_queries]
    assert sent in (["PREPARE", "EXECUTE"], ["EXECUTE", "EXECUTE"])
    orm = sorted(sdv.progress_query(site_ids))
    assert {row[0] for row in orm} == set(site_ids)  # both sites have critical rows
    assert sorted(map(tuple, rows)) == orm
    # Negative control: the same prepared statement read without the ORM's converters
    # (the plan entry comes back as text) is not what the ORM returns.
    with connection.cursor() as cursor:
        execute(cursor, compiled.compiled)
        bare = sorted(cursor.fetchall())
    assert bare != orm
