"""Truth-table entries of the CRF URLs (roles.md: enter/modify CRF = investigator and
coordinator of the site; monitor, data manager, statistician read only; pharmacist never;
day-10 biology entered by data management and hidden from blinded roles until lock)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.access.harness import Entry, World

READERS = frozenset({"investigator", "coordinator", "monitor", "data_manager", "statistician"})
ENTERERS = frozenset({"investigator", "coordinator"})
D10_ENTERERS = frozenset({"data_manager"})


def populate(world: World) -> None:
    from crf.services import save_adverse_event, save_baseline, save_d10_biology
    from tests.crf.helpers import ae_data, baseline_data, randomized

    world.crf11 = randomized(world.site11)
    world.crf16 = randomized(world.site16)
    inv11, inv16 = world.users["investigator"], world.users["investigator_nantes"]
    world.baseline11 = save_baseline(world.crf11, by=inv11, data=baseline_data()).obj
    world.baseline16 = save_baseline(world.crf16, by=inv16, data=baseline_data()).obj
    world.sae11 = save_adverse_event(
        world.crf11,
        by=inv11,
        data=ae_data(serious=True, sae_hospitalisation=True, awareness_date=timezone.localdate()),
    ).obj
    dm = world.users["data_manager"]
    world.d10_11 = save_d10_biology(
        world.crf11, by=dm, data={"sample_taken": False, "not_done_reason": "FORGOTTEN"}
    ).obj
    world.day11 = (timezone.localdate() - timedelta(days=19)).isoformat()
    world.day16 = world.day11


def _form(w: World, form: str, obj: str, site: str) -> dict:
    participant = getattr(w, f"crf{site}")
    return {"code": participant.code, "form": form, "pk": getattr(w, obj).pk}


ENTRIES = [
    # The site's forms to enter (home page, issue #11): a list without an object id, scoped
    # to the user's site in the queryset (tests/home/ proves another site's forms are absent).
    Entry("crf:forms_to_enter", ENTERERS, query="show=overdue"),
    Entry("crf:forms_to_enter", ENTERERS, query="show=injections_due"),
    Entry(
        "crf:casebook",
        READERS,
        kwargs=lambda w: {"code": w.crf11.code},
        other_site_kwargs=lambda w: {"code": w.crf16.code},
    ),
    Entry(
        "crf:daily_grid",
        READERS,
        kwargs=lambda w: {"code": w.crf11.code},
        other_site_kwargs=lambda w: {"code": w.crf16.code},
    ),
    Entry(
        "crf:daily_grid_row",
        ENTERERS,
        method="POST",
        kwargs=lambda w: {"code": w.crf11.code, "day": w.day11},
        other_site_kwargs=lambda w: {"code": w.crf16.code, "day": w.day16},
        data=lambda w: {"imv": "true"},
        note="saves one row; form errors re-render the grid",
    ),
    Entry(
        "crf:daily_sofa",
        READERS,
        method="POST",
        kwargs=lambda w: {"code": w.crf11.code},
        other_site_kwargs=lambda w: {"code": w.crf16.code},
        data=lambda w: {"platelets_value": "40", "platelets_unit": "G/L"},
        note="computes only, saves nothing",
    ),
    Entry(
        "crf:form_new",
        ENTERERS,
        kwargs=lambda w: {"code": w.crf11.code, "form": "medication"},
        other_site_kwargs=lambda w: {"code": w.crf16.code, "form": "medication"},
    ),
    Entry(
        "crf:form_new",
        D10_ENTERERS,
        kwargs=lambda w: {"code": w.crf11.code, "form": "d10"},
        note="day-10 biology: data management only",
        other_site_denied=frozenset(),
    ),
    Entry(
        "crf:form_detail",
        READERS,
        kwargs=lambda w: _form(w, "baseline", "baseline11", "11"),
        other_site_kwargs=lambda w: _form(w, "baseline", "baseline16", "16"),
    ),
    Entry(
        "crf:form_detail",
        D10_ENTERERS,
        kwargs=lambda w: _form(w, "d10", "d10_11", "11"),
        note="blinded roles: 404 until database lock",
        other_site_denied=frozenset(),
    ),
    Entry(
        "crf:form_edit",
        ENTERERS,
        kwargs=lambda w: _form(w, "baseline", "baseline11", "11"),
        other_site_kwargs=lambda w: _form(w, "baseline", "baseline16", "16"),
    ),
    Entry(
        "crf:form_entered_in_error",
        ENTERERS,
        method="POST",
        kwargs=lambda w: _form(w, "baseline", "baseline11", "11"),
        other_site_kwargs=lambda w: _form(w, "baseline", "baseline16", "16"),
        data=lambda w: {"reason": "wrong participant"},
    ),
    Entry("crf:sae_list", READERS),
    Entry(
        "crf:sae_acknowledge",
        frozenset({"data_manager"}),
        method="POST",
        kwargs=lambda w: {"pk": w.sae11.pk},
    ),
]
