"""Turn a protocol.md §6 JSON case into the POST of the screening web form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eligibility.adapter import APACHE_FIELDS, LAB_FIELDS

_UNITS = {
    "pao2_mmhg": ("pao2", "mmHg"),
    "pao2_kpa": ("pao2", "kPa"),
    "paco2_mmhg": ("paco2", "mmHg"),
    "paco2_kpa": ("paco2", "kPa"),
    "bilirubin_umol_l": ("bilirubin", "umol/L"),
    "bilirubin_mg_dl": ("bilirubin", "mg/dL"),
    "creatinine_umol_l": ("creatinine", "umol/L"),
    "creatinine_mg_dl": ("creatinine", "mg/dL"),
}


def _value(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _fields(obj: dict[str, Any], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in obj.items():
        if key in _UNITS:
            name, unit = _UNITS[key]
            if value is not None:
                out[f"{prefix}{name}"] = _value(value)
                out[f"{prefix}{name}_unit"] = unit
        elif key != "date":
            out[f"{prefix}{key}"] = _value(value)
    return out


def _formset(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, str]:
    out = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        out.update(_fields(row, f"{prefix}-{index}-"))
    return out


def post_data(case: dict[str, Any], **extra: str) -> dict[str, str]:
    icu = datetime.fromisoformat(case["icu_admission"]).date()
    data: dict[str, str] = {
        "age": _value(case.get("age")),
        "sex": case.get("sex") or "",
        "weight_kg": _value(case.get("weight_kg")),
        "hospital_admission_date": icu.isoformat(),
        "icu_admission": case.get("icu_admission") or "",
        "evaluated_at": case.get("evaluated_at") or "",
    }
    inclusion = dict(case.get("inclusion") or {})
    contraception = inclusion.pop("contraception_agreement", None)
    data["contraception_agreement"] = (
        {True: "yes", False: "no"}.get(contraception, contraception or "")
        if not isinstance(contraception, str)
        else contraception
    )
    data.update(_fields(inclusion, ""))
    data.update(_fields(case.get("exclusions") or {}, ""))
    sofa = []
    for row in case.get("sofa") or []:
        day = (date.fromisoformat(row["date"]) - icu).days + 1
        sofa.append({"icu_day": day, **row})
    data.update(_formset("sofa", sofa))
    data.update(_formset("mhla", case.get("mhla_dr") or []))
    data.update(_formset("lym", case.get("lymphocytes") or []))
    courses = case.get("corticosteroids")
    data["corticosteroids_given"] = _value(None if courses is None else bool(courses))
    data.update(_formset("cs", courses or []))
    apache = case.get("apache_ii") or {}
    data.update({f"apache-{k}": v for k, v in _fields(apache, "").items()})
    data.update({f"labs-{k}": v for k, v in _fields(case.get("labs") or {}, "").items()})
    assert {k.removeprefix("apache-") for k in data if k.startswith("apache-")} <= set(
        APACHE_FIELDS
    )
    assert {k.removeprefix("labs-") for k in data if k.startswith("labs-")} <= set(LAB_FIELDS)
    data.update(extra)
    return data
