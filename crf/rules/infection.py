"""Secondary infection episodes (crf-spec.md §2.8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext_noop

from crf.facts import ParticipantFacts
from crf.rules.common import Finding, Severity, conditional, hard, local, require, soft
from crf.rules.conditions import AllOf, AnyOf, ShowWhen, ShowWhenMap
from crf.schedule import LAST_STUDY_DAY
from platinium.lib.study_time import STUDY_TIME_ZONE

# Sub-codes that apply to one category only (skip logic).
SUBCODES = {
    "pneumonia_level": {"PN"},
    "pneumonia_criteria_met": {"PN"},
    "bsi_origin": {"BSI"},
    "uti_type": {"UTI"},
    "ssi_depth": {"SSI"},
    "category_other": {"OTHER"},
}
RECURRENCE_WINDOW = timedelta(hours=48)


def _cri_applies(values: Mapping[str, Any]) -> bool:
    return values.get("category") == "CRI" or (
        values.get("category") == "BSI" and values.get("bsi_origin") == "CVC"
    )


# Skip logic (crf.rules.conditions).
SHOW_WHEN: ShowWhenMap = {
    **{name: ShowWhen(field="category", in_=tuple(sorted(c))) for name, c in SUBCODES.items()},
    "cri_type": AnyOf(
        ShowWhen(field="category", equals="CRI"),
        AllOf(ShowWhen(field="category", equals="BSI"), ShowWhen(field="bsi_origin", equals="CVC")),
    ),
    "source_control_type": ShowWhen(field="source_control", equals=True),
}


def onset_moment(values: Mapping[str, Any]) -> datetime | None:
    onset = values.get("onset_date")
    if onset is None:
        return None
    return datetime.combine(
        onset, values.get("onset_time") or datetime.min.time(), tzinfo=STUDY_TIME_ZONE
    )


def derive(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    onset = values.get("onset_date")
    return {"study_day": facts.study_day(onset) if onset and facts.d0 else None}


def check(
    values: Mapping[str, Any],
    facts: ParticipantFacts,
    instance: Any = None,
    *,
    others: Sequence[Any] = (),
) -> list[Finding]:
    found = require(
        values,
        ["onset_date", "location", "category", "septic_shock", "microbiologically_documented"],
    )
    category = values.get("category")
    for name, categories in SUBCODES.items():
        if name != "pneumonia_criteria_met":
            found += conditional(values, category in categories, [name])
    found += conditional(values, category == "PN", ["pneumonia_criteria_met"])
    found += conditional(values, _cri_applies(values), ["cri_type"])
    onset = values.get("onset_date")
    if onset is not None and facts.d0 is not None:
        if onset < facts.d0:
            found.append(
                hard(
                    "onset_date",
                    gettext_noop(
                        "An episode with onset before randomisation is a baseline infection, not a "
                        "secondary infection."
                    ),
                )
            )
        elif onset == facts.d0:
            moment = onset_moment(values)
            if values.get("onset_time") is None:
                found.append(
                    Finding(
                        "onset_time",
                        gettext_noop(
                            "Onset on D0: enter the time, to show it follows randomisation."
                        ),
                        {},
                        Severity.MISSING,
                    )
                )
            elif moment and facts.randomized_at and moment <= facts.randomized_at:
                found.append(
                    hard(
                        "onset_time",
                        gettext_noop("The onset must be after randomisation (%(t_r)s)."),
                        t_r=local(facts.randomized_at),
                    )
                )
        if facts.study_day(onset) > LAST_STUDY_DAY:
            found.append(
                hard(
                    "onset_date",
                    gettext_noop("Episodes are collected until D%(last)d."),
                    last=LAST_STUDY_DAY,
                )
            )
        if onset > facts.today:
            found.append(hard("onset_date", gettext_noop("The date cannot be in the future.")))
        if facts.death_date and onset > facts.death_date:
            found.append(
                hard(
                    "onset_date",
                    gettext_noop("The date cannot be after the death (%(death)s)."),
                    death=facts.death_date.isoformat(),
                )
            )
        moment = onset_moment(values)
        for other in others:
            if other.category != category or other.onset_date is None or moment is None:
                continue
            other_moment = onset_moment(
                {"onset_date": other.onset_date, "onset_time": other.onset_time}
            )
            if other_moment and abs(moment - other_moment) < RECURRENCE_WINDOW:
                found.append(
                    soft(
                        "onset_date",
                        gettext_noop(
                            "Onset less than 48 h from episode %(number)d at the same site: "
                            "check it "
                            "is a new episode."
                        ),
                        number=other.episode_number,
                    )
                )
    return found


def check_microorganism(values: Mapping[str, Any]) -> list[Finding]:
    """Resistance markers must fit the organism (MRSA: S. aureus; VRE: Enterococcus)."""
    found: list[Finding] = []
    organism = (values.get("organism") or "").lower()
    if values.get("mrsa") in {"Y", "N"} and "aureus" not in organism:
        found.append(hard("mrsa", gettext_noop("MRSA applies to Staphylococcus aureus only.")))
    if values.get("vre") in {"Y", "N"} and "enterococ" not in organism:
        found.append(hard("vre", gettext_noop("VRE applies to Enterococcus only.")))
    if values.get("carbapenemase") == "Y" and not values.get("carbapenemase_type"):
        found.append(hard("carbapenemase_type", gettext_noop("Give the carbapenemase type.")))
    return found
