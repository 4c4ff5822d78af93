"""Truth-table entries of the casebook PDF (roles.md: the readers of clinical data of the
participant — investigator, coordinator, monitor of the site, data manager, statistician;
pharmacist, admin and randomization manager: 403; another site's participant: 404)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.access.harness import Entry, World

READERS = frozenset({"investigator", "coordinator", "monitor", "data_manager", "statistician"})


def populate(world: World) -> None:
    from tests.crf.helpers import paris
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=5)
    world.casebook11 = make_randomized_participant(world.site11, randomized_at=paris(d0))
    world.casebook16 = make_randomized_participant(world.site16, randomized_at=paris(d0))


ENTRIES = [
    Entry(
        "exports:casebook_pdf",
        READERS,
        kwargs=lambda w: {"code": w.casebook11.code},
        other_site_kwargs=lambda w: {"code": w.casebook16.code},
        note="participant casebook PDF (never an arm; audited)",
    ),
]
