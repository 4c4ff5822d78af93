"""One definition per CRF form: everything the services, forms, pages, timeline, monitoring
and exports know about a form comes from its entry in `DEFINITIONS` (issue #8).

A form added to the protocol is one more `CrfDefinition` here (and its model, rules and
save service); tests/crf/test_definitions.py fails for a CRF model without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from crf.models import (
    AdverseEvent,
    Baseline,
    ConcomitantMedication,
    CrfRecord,
    D10Biology,
    DailyFollowUp,
    Death,
    EndOfStudy,
    FollowUp,
    HospitalDischarge,
    IcuStay,
    ProtocolDeviation,
    SecondaryInfection,
    StudyDrugAdministration,
)
from crf.rules import (
    baseline,
    biology,
    context,
    daily,
    drug,
    followup,
    infection,
    safety,
    stays,
)
from crf.rules.common import FormRules


@dataclass(frozen=True, eq=False)  # one object per form: compared and hashed by identity
class CrfDefinition:
    model: type[CrfRecord]
    # URL segment of its pages; its export dataset is named after it ("-" → "_").
    slug: str
    title: Any
    # Rules run by the save (None: the record has no form of its own).
    rules: FormRules | None = None
    # Name of its save service in crf.services ("" = no page: written by other forms).
    save: str = ""
    # Capability that enters it (roles.md).
    enter: str = Capability.ENTER_CRF
    # Key of the row given by the page's URL query (number, visit, day), never typed.
    fixed: str = ""
    single: bool = False  # one per participant
    # Codes of crf/schedule.py VISITS this form fills.
    schedule_codes: tuple[str, ...] = ()
    # Columns the participant page reads (crf.timeline, one UNION ALL) and their order.
    timeline_fields: tuple[str, ...] = ("id", "status")
    timeline_order: str = ""
    # Its soft checks may all be re-run on saved data (crf.services.editchecks): False when
    # one is computed only at the moment of saving, so a re-run never closes its queries.
    rerun_closes_queries: bool = True

    @property
    def code(self) -> str:
        """The form code of the model (exports, timeline rows)."""
        return self.model.FORM_CODE

    @property
    def has_page(self) -> bool:
        return bool(self.save)


# In the order of the participant page (also the casebook's and the exports').
DEFINITIONS: tuple[CrfDefinition, ...] = (
    CrfDefinition(
        Baseline,
        "baseline",
        _("Demographics and baseline"),
        FormRules(baseline.check, baseline.SHOW_WHEN, baseline.derive),
        save="save_baseline",
        single=True,
        schedule_codes=("BASELINE",),
    ),
    CrfDefinition(
        StudyDrugAdministration,
        "injection",
        _("Study drug administration"),
        FormRules(drug.check, drug.SHOW_WHEN, drug.derive, context.other_injections),
        save="save_injection",
        fixed="number",
        schedule_codes=("INJ1", "INJ2", "INJ3", "INJ4", "INJ5"),
        timeline_fields=("id", "status", "number", "study_day", "given"),
        timeline_order="number",
    ),
    CrfDefinition(
        DailyFollowUp,
        "daily",
        _("Daily ICU follow-up"),
        FormRules(daily.check, daily.SHOW_WHEN, daily.derive),
        save="save_daily",
        fixed="day_date",
        schedule_codes=("DAILY",),
        timeline_fields=(
            *("id", "status", "day_date", "study_day"),
            *("imv", "rrt", "vasopressor", "antimicrobial"),
        ),
        timeline_order="day_date",
    ),
    CrfDefinition(
        D10Biology,
        "d10",
        _("Day-10 biology"),
        FormRules(biology.check, biology.SHOW_WHEN, biology.derive, context.last_injection),
        save="save_d10_biology",
        enter=Capability.ENTER_D10_BIOLOGY,
        single=True,
        schedule_codes=("D10_BIOLOGY",),
        # Status only, never a result (crf/blinding.py).
        timeline_fields=("id", "status", "study_day"),
    ),
    CrfDefinition(
        IcuStay,
        "icu-stay",
        _("ICU stay and discharge"),
        FormRules(stays.icu_check, stays.ICU_SHOW_WHEN, context=context.last_daily_of_stay),
        save="save_icu_stay",
        schedule_codes=("ICU_DISCHARGE",),
        timeline_fields=(
            *("id", "status", "stay_number", "admitted_at", "discharged_at"),
            *("ongoing_at_d90", "vital_status", "destination"),
        ),
        timeline_order="stay_number",
    ),
    CrfDefinition(
        HospitalDischarge,
        "hospital-discharge",
        _("Hospital discharge"),
        FormRules(stays.hospital_check, stays.HOSPITAL_SHOW_WHEN),
        save="save_hospital_discharge",
        single=True,
        schedule_codes=("HOSPITAL_DISCHARGE",),
        timeline_fields=("id", "status", "admission_date", "discharge_date"),
    ),
    # The one death record, written by the forms that report a death (record_death).
    CrfDefinition(
        Death,
        "death",
        Death._meta.verbose_name,
        timeline_fields=("id", "status", "death_date"),
    ),
    CrfDefinition(
        FollowUp,
        "follow-up",
        _("Follow-up visit"),
        FormRules(followup.fu_check, followup.FU_SHOW_WHEN, followup.fu_derive),
        save="save_follow_up",
        fixed="visit",
        schedule_codes=("FU_D30", "FU_D60", "FU_D90"),
        timeline_fields=("id", "status", "visit", "study_day", "vital_status", "contact_date"),
        timeline_order="visit",
    ),
    CrfDefinition(
        EndOfStudy,
        "end-of-study",
        _("End of study"),
        FormRules(followup.eos_check, followup.EOS_SHOW_WHEN),
        save="save_end_of_study",
        single=True,
        schedule_codes=("END_OF_STUDY",),
        timeline_fields=("id", "status", "end_date", "end_status"),
    ),
    CrfDefinition(
        SecondaryInfection,
        "infection",
        _("Secondary infection episode"),
        FormRules(infection.check, infection.SHOW_WHEN, infection.derive, context.other_infections),
        save="save_infection",
        schedule_codes=("INFECTION",),
        timeline_fields=(
            *("id", "status", "episode_number", "onset_date", "study_day"),
            *("category", "location", "septic_shock", "outcome"),
        ),
        timeline_order="episode_number",
    ),
    CrfDefinition(
        AdverseEvent,
        "adverse-event",
        _("Adverse event"),
        FormRules(
            safety.ae_check, safety.AE_SHOW_WHEN, context=context.first_injection_and_consent
        ),
        save="save_adverse_event",
        schedule_codes=("ADVERSE_EVENT",),
        timeline_fields=(
            *("id", "status", "ae_number", "term", "onset_date", "serious"),
            *("severity_grade", "outcome", "sae_notified_at", "acknowledged_at"),
        ),
        timeline_order="ae_number",
        # The late-report check needs the moment of saving (crf.services.forms).
        rerun_closes_queries=False,
    ),
    CrfDefinition(
        ConcomitantMedication,
        "medication",
        _("Concomitant medication"),
        FormRules(safety.cm_check, safety.CM_SHOW_WHEN, safety.cm_derive),
        save="save_concomitant_medication",
        schedule_codes=("CONCOMITANT_MEDICATION",),
        timeline_fields=(
            *("id", "status", "category", "drug_name"),
            *("start_date", "stop_date", "ongoing"),
        ),
        timeline_order="start_date",
    ),
    CrfDefinition(
        ProtocolDeviation,
        "deviation",
        _("Protocol deviation"),
        FormRules(followup.deviation_check, show_when={}),
        save="save_protocol_deviation",
        schedule_codes=("PROTOCOL_DEVIATION",),
        timeline_fields=(
            *("id", "status", "deviation_date", "category"),
            *("severity", "is_proposal"),
        ),
        timeline_order="deviation_date",
    ),
)

# The forms people enter, each on its own pages (every definition but the death record).
FORMS: tuple[CrfDefinition, ...] = tuple(d for d in DEFINITIONS if d.has_page)

# Every participant-level CRF model, in the order of the participant page.
CRF_MODELS: tuple[type[CrfRecord], ...] = tuple(d.model for d in DEFINITIONS)

_BY_MODEL = {d.model: d for d in DEFINITIONS}
_BY_SLUG = {d.slug: d for d in FORMS}
_BY_SCHEDULE_CODE = {code: d for d in DEFINITIONS for code in d.schedule_codes}


def by_model(model: type) -> CrfDefinition:
    """The definition of a CRF model (KeyError: not a CRF model)."""
    return _BY_MODEL[model]


def by_slug(slug: str) -> CrfDefinition:
    """The form whose pages are at `slug` (KeyError: no such form page)."""
    return _BY_SLUG[slug]


def by_schedule_code(code: str) -> CrfDefinition:
    """The form that fills a visit of crf/schedule.py (INJ3 → the injection form)."""
    return _BY_SCHEDULE_CODE[code]
