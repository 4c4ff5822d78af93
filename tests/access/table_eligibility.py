"""Truth-table entries of the screening log (roles.md: create screening, enrol = inv/coord;
view clinical data = inv, coord, monitor (R), data manager (R), statistician (R)).

Enrolment itself (the e-signature) is investigator only: Capability.CONFIRM_ELIGIBILITY.
"""

from __future__ import annotations

from tests.access.harness import Entry, World

READERS = frozenset({"investigator", "coordinator", "monitor", "data_manager", "statistician"})
SCREENERS = frozenset({"investigator", "coordinator"})


def populate(world: World) -> None:
    from sites.models import Site
    from tests.eligibility.factories import consent, make_screening

    site11 = Site.objects.get(code="11")
    site16 = Site.objects.get(code="16")
    world.screening11 = make_screening(site11, by=world.users["investigator"])
    consent(world.screening11, by=world.users["investigator"])
    world.screening16 = make_screening(site16, by=world.users["investigator_nantes"])


def _s11(w: World) -> dict[str, int]:
    return {"pk": w.screening11.pk}


def _s16(w: World) -> dict[str, int]:
    return {"pk": w.screening16.pk}


ENTRIES = [
    Entry("eligibility:screening_list", READERS),
    Entry("eligibility:screening_create", SCREENERS),
    Entry("eligibility:checklist_new", SCREENERS, method="POST", data=lambda w: {}),
    Entry(
        "eligibility:screening_detail",
        READERS,
        kwargs=_s11,
        other_site_kwargs=_s16,
        note="monitor/data manager/statistician: read-only page, POST refused",
    ),
    Entry(
        "eligibility:checklist",
        SCREENERS,
        method="POST",
        kwargs=_s11,
        other_site_kwargs=_s16,
        data=lambda w: {},
    ),
    Entry("eligibility:consent", SCREENERS, kwargs=_s11, other_site_kwargs=_s16),
    Entry(
        "eligibility:enrol",
        frozenset({"investigator"}),
        kwargs=_s11,
        other_site_kwargs=_s16,
        note="coordinator prepares everything but cannot sign the eligibility",
    ),
]
