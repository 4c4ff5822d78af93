"""Truth-table entries of the protocol deviation log (roles.md §2, ADR 0025): monitors
(own sites) and data managers read the log and a deviation; data managers alone record a
review (others 403); another site's deviation is a 404 for the monitor."""

from __future__ import annotations

from tests.access.harness import Entry, World

READERS = frozenset({"monitor", "data_manager"})
REVIEWERS = frozenset({"data_manager"})


def populate(world: World) -> None:
    from tests.deviations.helpers import make_deviation

    world.deviation11 = make_deviation(world.site11, world.users["investigator"])
    world.deviation16 = make_deviation(world.site16, world.users["investigator_nantes"])


def _pk(obj: object) -> dict:
    return {"pk": obj.pk}  # type: ignore[attr-defined]


ENTRIES = [
    Entry("monitoring:deviation_list", READERS, note="filtered to the user's sites"),
    Entry(
        "monitoring:deviation_detail",
        READERS,
        kwargs=lambda w: _pk(w.deviation11),
        other_site_kwargs=lambda w: _pk(w.deviation16),
    ),
    # An empty POST: the data manager gets the page back with the errors (nothing saved).
    Entry(
        "monitoring:deviation_review",
        REVIEWERS,
        method="POST",
        kwargs=lambda w: _pk(w.deviation11),
        other_site_kwargs=lambda w: _pk(w.deviation16),
        data=lambda w: {},
    ),
]
