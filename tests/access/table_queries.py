"""Truth-table entries of the query pages (roles.md §2: raise a query = monitor (own sites)
and data manager; answer = investigator and coordinator of the site (the pharmacist's C1
grant covers no CRF, so no CRF query reaches them); close / cancel = monitor and data
manager). The worklist and query pages are for the roles that take part and read CRFs; the
statistician reads CRFs but takes no part in queries."""

from __future__ import annotations

from tests.access.harness import Entry, World

TAKE_PART = frozenset({"investigator", "coordinator", "monitor", "data_manager"})
RAISERS = frozenset({"monitor", "data_manager"})
ANSWERERS = frozenset({"investigator", "coordinator"})
CLOSERS = RAISERS


def populate(world: World) -> None:
    from crf.services import save_baseline
    from monitoring.queries import raise_query
    from tests.crf.helpers import baseline_data, randomized

    world.q_participant11 = randomized(world.site11)
    world.q_participant16 = randomized(world.site16)
    world.q_baseline11 = save_baseline(
        world.q_participant11, by=world.users["investigator"], data=baseline_data()
    ).obj
    world.q_baseline16 = save_baseline(
        world.q_participant16, by=world.users["investigator_nantes"], data=baseline_data()
    ).obj
    dm = world.users["data_manager"]
    world.query11 = raise_query(world.q_baseline11, field="weight_kg", text="Weight?", by=dm)
    world.query16 = raise_query(world.q_baseline16, field="weight_kg", text="Weight?", by=dm)


def _q(obj: object) -> dict:
    return {"pk": obj.pk}  # type: ignore[attr-defined]


def _raise(obj: object) -> dict:
    return {"model_label": "crf.baseline", "pk": obj.pk, "field": "weight_kg"}  # type: ignore[attr-defined]


# POSTs carry an empty message: allowed roles get the page back with the error (nothing
# changes), the others are refused before anything is read.
EMPTY: dict = {}


def _post(name: str, allowed: frozenset[str]) -> Entry:
    return Entry(
        name,
        allowed,
        method="POST",
        kwargs=lambda w: _q(w.query11),
        other_site_kwargs=lambda w: _q(w.query16),
        data=lambda w: EMPTY,
    )


ENTRIES = [
    Entry("monitoring:query_list", TAKE_PART, note="blinded; filtered to the user's sites"),
    Entry(
        "monitoring:query_detail",
        TAKE_PART,
        kwargs=lambda w: _q(w.query11),
        other_site_kwargs=lambda w: _q(w.query16),
    ),
    _post("monitoring:query_answer", ANSWERERS),
    _post("monitoring:query_close", CLOSERS),
    _post("monitoring:query_reopen", CLOSERS),
    _post("monitoring:query_cancel", CLOSERS),
    Entry(
        "monitoring:query_raise",
        RAISERS,
        kwargs=lambda w: _raise(w.q_baseline11),
        other_site_kwargs=lambda w: _raise(w.q_baseline16),
    ),
    Entry(
        "monitoring:query_raise",
        RAISERS,
        method="POST",
        kwargs=lambda w: _raise(w.q_baseline11),
        other_site_kwargs=lambda w: _raise(w.q_baseline16),
        data=lambda w: EMPTY,
    ),
]
