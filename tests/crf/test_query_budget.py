"""Query budgets with a synthetic trial loaded (tests/crf/trial.py: TRIAL_SIZE participants
over the sites; the 326-participant build and its time are measured by `make bench`).

The trial is built once for this module and rolled back after it. A budget holds whatever
the number of rows (no query per row), so TRIAL_SIZE rows prove it as well as 326.
"""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.urls import reverse

from crf.models import DailyFollowUp, Death, SecondaryInfection, StudyDrugAdministration
from participants.models import Participant
from tests.crf.trial import TRIAL_SIZE, trial_326  # noqa: F401 (module fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.usefixtures("trial_326")]
BUDGET = 15


def _busiest(site_code: str | None = None) -> Participant:
    """The participant with the most daily forms (the heaviest page and grid)."""
    qs = DailyFollowUp.objects.all()
    if site_code:
        qs = qs.filter(participant__site__code=site_code)
    row = qs.values("participant").annotate(n=Count("id")).order_by("-n").first()
    return Participant.objects.get(pk=row["participant"])


def test_synthetic_trial_spans_the_sites_with_plausible_courses(trial_326):  # noqa: F811
    randomized = Participant.objects.filter(allocation__isnull=False)
    assert randomized.count() == TRIAL_SIZE
    assert randomized.values("site").distinct().count() >= 15
    assert Death.objects.exists()
    assert SecondaryInfection.objects.exists()
    given = StudyDrugAdministration.objects.filter(given=True)
    assert given.exists()
    assert given.filter(study_day__lt=1).count() == given.filter(study_day__gt=9).count() == 0


def test_participant_list_of_the_whole_trial_within_budget(
    client_for,
    django_assert_max_num_queries,
):
    client = client_for("data_manager")
    client.get(reverse("participants:list"))  # warm the session
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("participants:list") + "?all=1")
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") >= TRIAL_SIZE


def test_participant_page_of_the_longest_course_within_budget(
    client_for,
    django_assert_max_num_queries,
):
    participant = _busiest()
    client = client_for("data_manager")
    client.get(reverse("home"))
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("crf:participant", args=[participant.code]))
    assert response.status_code == 200
    assert response.content.decode().count('data-form="DAILY"') >= 10


def test_daily_grid_of_the_longest_course_within_budget(
    client_for,
    django_assert_max_num_queries,
):
    participant = _busiest("11")
    client = client_for("investigator")
    client.get(reverse("home"))
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("crf:daily_grid", args=[participant.code]))
    assert response.status_code == 200
