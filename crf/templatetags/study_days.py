"""Study-day labels: "D10" in English, "J10" in French (jour)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

register = template.Library()


def study_day_label(day: Any) -> str:
    if day is None or day == "":
        return ""
    # Translators: a study day, D0 = randomization day ("J" for "jour" in French).
    return gettext("D%(day)s") % {"day": day}


register.filter("study_day", study_day_label)
