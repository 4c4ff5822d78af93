"""Truth-table entries of the participant page (roles.md: view CRF data = investigator,
coordinator, monitor (R·S), data manager (R), statistician (R); the pharmacist sees no
clinical CRF (C1); randomization manager and admin: none)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.access.harness import Entry, World

READERS = frozenset({"investigator", "coordinator", "monitor", "data_manager", "statistician"})


def populate(world: World) -> None:
    from tests.crf.helpers import paris
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=12)
    world.page11 = make_randomized_participant(world.site11, randomized_at=paris(d0))
    world.page16 = make_randomized_participant(world.site16, randomized_at=paris(d0))


ENTRIES = [
    Entry(
        "crf:participant",
        READERS,
        kwargs=lambda w: {"code": w.page11.code},
        other_site_kwargs=lambda w: {"code": w.page16.code},
        note="whole course: timeline, logs, outcomes, kit codes (never an arm)",
    ),
    # The record status dashboard (issue #11, ADR 0035): a list scoped in its queryset to
    # the sites where the user reads clinical data (tests/crf/test_status_dashboard.py
    # proves another site's participants are absent and a foreign ?site_code= is ignored).
    Entry("crf:status_dashboard", READERS),
    Entry("crf:status_dashboard", READERS, query="status=overdue&site_code=16"),
]
