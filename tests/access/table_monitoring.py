"""Truth-table entries of the lock pages (roles.md: lock form / participant and database
lock = data manager only; unlock C3 = data manager with a reason). The lock history is
part of the blinded audit trail of clinical data: investigator, coordinator, monitor (their
sites), data manager and statistician (all) read it; the pharmacist (C1: no clinical data),
the randomization manager and the admin do not."""

from __future__ import annotations

from tests.access.harness import Entry, World

LOCKERS = frozenset({"data_manager"})
HISTORY_READERS = frozenset(
    {"investigator", "coordinator", "monitor", "data_manager", "statistician"}
)


def populate(world: World) -> None:
    from crf.services import save_baseline
    from tests.crf.helpers import baseline_data, randomized

    world.lock11 = randomized(world.site11)
    world.lock16 = randomized(world.site16)
    world.lock_baseline11 = save_baseline(
        world.lock11, by=world.users["investigator"], data=baseline_data()
    ).obj
    world.lock_baseline16 = save_baseline(
        world.lock16, by=world.users["investigator_nantes"], data=baseline_data()
    ).obj


def _form(obj: object) -> dict:
    return {"model_label": "crf.baseline", "pk": obj.pk}  # type: ignore[attr-defined]


# POSTs carry a wrong password: the allowed role gets the page back with the error (200,
# nothing locked), the others are refused before anything is checked.
WRONG = {"action": "lock", "reason": "review finished", "password": "not-the-password"}

ENTRIES = [
    Entry("monitoring:lock_history", HISTORY_READERS, note="every lock and unlock, blinded"),
    Entry("monitoring:database_lock", LOCKERS),
    Entry("monitoring:database_lock", LOCKERS, method="POST", data=lambda w: WRONG),
    Entry(
        "monitoring:casebook_lock",
        LOCKERS,
        kwargs=lambda w: {"code": w.lock11.code},
        other_site_kwargs=lambda w: {"code": w.lock16.code},
    ),
    Entry(
        "monitoring:casebook_lock",
        LOCKERS,
        method="POST",
        kwargs=lambda w: {"code": w.lock11.code},
        other_site_kwargs=lambda w: {"code": w.lock16.code},
        data=lambda w: WRONG,
    ),
    Entry(
        "monitoring:form_lock",
        LOCKERS,
        kwargs=lambda w: _form(w.lock_baseline11),
        other_site_kwargs=lambda w: _form(w.lock_baseline16),
    ),
    Entry(
        "monitoring:form_lock",
        LOCKERS,
        method="POST",
        kwargs=lambda w: _form(w.lock_baseline11),
        other_site_kwargs=lambda w: _form(w.lock_baseline16),
        data=lambda w: WRONG,
    ),
]
