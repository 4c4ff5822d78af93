"""Truth-table entries of source data verification and the casebook signature (roles.md:
source data verification = monitor, own sites; sign a casebook = investigator, own site).
The list of casebooks to re-sign is for those who sign them and those who follow them up
(investigator and monitor, their sites)."""

from __future__ import annotations

from tests.access.harness import Entry, World

MONITORS = frozenset({"monitor"})
SIGNERS = frozenset({"investigator"})
RESIGN_READERS = frozenset({"investigator", "monitor"})


def populate(world: World) -> None:
    from tests.randomization.factories import make_randomized_participant

    world.sdv11 = make_randomized_participant(world.site11)
    world.sdv16 = make_randomized_participant(world.site16)


def _code(attr: str):  # type: ignore[no-untyped-def]
    return lambda w: {"code": getattr(w, attr).code}


# POSTs carry nothing to verify / a wrong password: the allowed role gets a message (302 or
# 200, nothing recorded), the others are refused before anything is checked.
ENTRIES = [
    Entry("monitoring:sdv_progress", MONITORS, note="per-site SDV progress"),
    Entry(
        "monitoring:sdv_participant",
        MONITORS,
        kwargs=_code("sdv11"),
        other_site_kwargs=_code("sdv16"),
    ),
    Entry(
        "monitoring:sdv_verify",
        MONITORS,
        method="POST",
        kwargs=_code("sdv11"),
        other_site_kwargs=_code("sdv16"),
        data=lambda w: {"row": "crf.baseline:1:1"},
    ),
    Entry("monitoring:resign_list", RESIGN_READERS),
    Entry(
        "monitoring:casebook_sign",
        SIGNERS,
        kwargs=_code("sdv11"),
        other_site_kwargs=_code("sdv16"),
    ),
    Entry(
        "monitoring:casebook_sign",
        SIGNERS,
        method="POST",
        kwargs=_code("sdv11"),
        other_site_kwargs=_code("sdv16"),
        data=lambda w: {"password": "not-the-password", "seen": "0" * 64},
    ),
]
