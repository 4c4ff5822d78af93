"""Screening factories for every app's tests. Keep these signatures stable (others import them).

- `make_screening(site, *, eligible=True, **overrides)`: a saved screening (P1 example data);
  overrides as in `eligibility.samples.sample_data` (`age=17`, `labs={...}`, `by=user`).
- `make_enrolled_participant(site, *, by=None)`: eligible, consented and enrolled through the
  real `enrol` service; `by` is an investigator of the site whose password is the
  UserFactory password (every tests.factories user has it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accounts.roles import Role
from eligibility.models import Screening
from eligibility.samples import sample_data
from eligibility.services import create_screening, enrol, record_consent
from participants.models import Participant
from tests.factories import make_user_with_role

FACTORY_PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's password


def site_investigator(site: Any) -> Any:
    return make_user_with_role(f"factory-investigator-{site.code}", Role.INVESTIGATOR, site.code)


def make_screening(
    site: Any, *, eligible: bool = True, by: Any = None, **overrides: Any
) -> Screening:
    by = by or site_investigator(site)
    return create_screening(site, by=by, data=sample_data(eligible=eligible, **overrides))


def consent(screening: Screening, *, by: Any = None) -> Any:
    by = by or site_investigator(screening.site)
    return record_consent(
        screening,
        by=by,
        given_by="PATIENT",
        consented_at=screening.evaluated_at - timedelta(hours=1),
        information_sheet_version="1.0",
    )


def make_enrolled_participant(site: Any, *, by: Any = None) -> Participant:
    by = by or site_investigator(site)
    screening = make_screening(site, by=by)
    consent(screening, by=by)
    return enrol(screening, by=by, password=FACTORY_PASSWORD)
