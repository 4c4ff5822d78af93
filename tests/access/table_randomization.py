"""Truth-table entries of randomization, pharmacy, lists and unblinding (roles.md matrix).

- randomize: investigator, coordinator (S);
- confirmation/PDF (kit numbers, randomization date): every clinical role that sees kit
  numbers; the randomization manager sees no clinical data;
- emergency unblinding: investigator (S); its log: monitor (S), data manager;
- pharmacy pages: pharmacist (S) and monitor (R·S); actions: pharmacist only;
- lists, QC, central supply: randomization manager; the unblinded listing: randomization
  manager, and the statistician only after database lock + authorisation (C2: here 403).
"""

from __future__ import annotations

from tests.access.harness import Entry, World

INV_COORD = frozenset({"investigator", "coordinator"})
KIT_READERS = frozenset(
    {"investigator", "coordinator", "pharmacist", "monitor", "data_manager", "statistician"}
)
ACCOUNTABILITY = frozenset({"pharmacist", "monitor"})
PHARMACIST = frozenset({"pharmacist"})
RANDO = frozenset({"randomization_manager"})


def populate(world: World) -> None:
    from randomization.models import Kit, Shipment
    from sites.models import Site
    from tests.randomization.factories import (
        make_kits,
        make_participant,
        make_randomized_participant,
    )

    site11 = Site.objects.get(code="11")
    site16 = Site.objects.get(code="16")
    world.enrolled11 = make_participant(site11)
    world.randomized11 = make_randomized_participant(site11)
    world.randomized16 = make_randomized_participant(site16)
    world.kit11 = Kit.objects.get(participant=world.randomized11)
    world.kit16 = Kit.objects.get(participant=world.randomized16)
    world.shipments = {}
    for site in (site11, site16):
        shipment = Shipment.objects.create(
            number=f"SH-{site.code}-T001",
            site=site,
            reason=Shipment.Reason.ACTIVATION,
            kits_per_arm=1,
            status=Shipment.Status.IN_TRANSIT,
        )
        kits = make_kits(site, 1, status=Kit.Status.IN_TRANSIT, shipment=shipment)
        world.shipments[site.code] = (shipment, kits)
    world.requested = Shipment.objects.create(
        number="SH-11-T002", site=site11, reason=Shipment.Reason.RESUPPLY, kits_per_arm=2
    )


def _p(attr: str):  # type: ignore[no-untyped-def]
    return lambda w: {"code": getattr(w, attr).code}


def _shipment(code: str):  # type: ignore[no-untyped-def]
    return lambda w: {"shipment_id": w.shipments[code][0].pk}


def _kit(attr: str):  # type: ignore[no-untyped-def]
    return lambda w: {"kit_code": getattr(w, attr).code}


ENTRIES = [
    Entry(
        "randomization:randomize",
        INV_COORD,
        kwargs=_p("enrolled11"),
        other_site_kwargs=lambda w: {"code": w.participant16.code},
    ),
    Entry(
        "randomization:confirmation",
        KIT_READERS,
        kwargs=_p("randomized11"),
        other_site_kwargs=_p("randomized16"),
    ),
    Entry(
        "randomization:confirmation_pdf",
        KIT_READERS,
        kwargs=_p("randomized11"),
        other_site_kwargs=_p("randomized16"),
    ),
    Entry(
        "randomization:unblind",
        frozenset({"investigator"}),
        kwargs=_p("randomized11"),
        other_site_kwargs=_p("randomized16"),
    ),
    Entry("randomization:unblinding_log", frozenset({"monitor", "data_manager"})),
    Entry("randomization:allocation_lists", RANDO),
    Entry("randomization:allocation_list_check", RANDO),
    Entry("randomization:allocation_list_import", RANDO),
    Entry("randomization:kit_list_import", RANDO),
    Entry("randomization:supply", RANDO),
    Entry(
        "randomization:shipment_dispatch",
        RANDO,
        method="POST",
        kwargs=lambda w: {"shipment_id": w.requested.pk},
    ),
    Entry(
        "randomization:unblinded_allocations",
        RANDO,
        note="statistician: 403 until database lock and unblinding authorisation (C2)",
    ),
    Entry("randomization:pharmacy_home", ACCOUNTABILITY),
    Entry("randomization:accountability", ACCOUNTABILITY),
    Entry("randomization:accountability_csv", ACCOUNTABILITY),
    Entry(
        "randomization:shipment_detail",
        ACCOUNTABILITY,
        kwargs=_shipment("11"),
        other_site_kwargs=_shipment("16"),
    ),
    Entry(
        "randomization:shipment_receive",
        PHARMACIST,
        method="POST",
        kwargs=_shipment("11"),
        other_site_kwargs=_shipment("16"),
        data=lambda w: {"kit_code": w.shipments["11"][1][0].code},
    ),
    Entry(
        "randomization:shipment_close",
        PHARMACIST,
        method="POST",
        kwargs=_shipment("11"),
        other_site_kwargs=_shipment("16"),
        data=lambda w: {"temperature": "ok"},
    ),
    Entry(
        "randomization:shipment_decision",
        PHARMACIST,
        method="POST",
        kwargs=_shipment("11"),
        other_site_kwargs=_shipment("16"),
        data=lambda w: {"decision": "release", "reason": "x"},
    ),
    Entry(
        "randomization:dispense",
        PHARMACIST,
        kwargs=_p("randomized11"),
        other_site_kwargs=_p("randomized16"),
    ),
    Entry(
        "randomization:kit_detail",
        ACCOUNTABILITY,
        kwargs=_kit("kit11"),
        other_site_kwargs=_kit("kit16"),
    ),
    Entry(
        "randomization:kit_incident",
        PHARMACIST,
        method="POST",
        kwargs=_kit("kit11"),
        other_site_kwargs=_kit("kit16"),
        data=lambda w: {"kind": "damaged", "reason": "x"},
    ),
    Entry(
        "randomization:kit_action",
        PHARMACIST,
        method="POST",
        data=lambda w: {"kit_code": w.kit11.code, "action": "return", "reason": "x"},
    ),
]
