"""The participant casebook PDF: every CRF form with its values, SDV and signature status,
and the field history, as the reader may see them (docs/decisions/0020-casebook-pdf.md).

Blinding: built from CRF rows, verifications and history only, never from the allocation,
so the arm cannot appear; day-10 biology goes through `D10Biology.objects.visible_to`,
which hides it from blinded roles before database lock (crf/blinding.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit.history import HistoryEntry, object_history
from audit.services import record
from crf.definitions import FORMS
from crf.display import display_value, shown_fields
from monitoring.sdv import NOT_VERIFIED, TO_REVERIFY, VERIFIED, rows_of
from monitoring.signing import signature_status_of, with_casebook_state
from participants.models import Participant
from platinium.lib.pdf import render_pdf


# Bookkeeping columns: the form detail page does not show them either (crf/views.py).
@dataclass
class Value:
    label: str
    value: Any
    unit: str = ""


@dataclass
class Row:
    title: str
    status: str
    sdv: str
    values: list[Value]
    history: list[HistoryEntry]


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)


def _unit_of(name: str, concrete: set[str], instance: Any) -> str:
    """The unit entered beside a value (`<x>_value` + `<x>_unit`); fixed units are in
    the field's label already, as on the form."""
    if name.endswith("_value") and name[: -len("_value")] + "_unit" in concrete:
        return str(getattr(instance, name[: -len("_value")] + "_unit") or "")
    return ""


def _values(instance: Any) -> tuple[list[Value], dict[str, Any]]:
    """The rows shown, and the raw values they show (for the digest)."""
    fields = shown_fields(type(instance))
    concrete = {f.name for f in fields}
    shown, raw = [], {}
    for f in fields:
        raw[f.name] = getattr(instance, f.attname)
        value = display_value(instance, f)
        unit = _unit_of(f.name, concrete, instance) if value != "—" else ""
        shown.append(Value(str(f.verbose_name), value, unit))
    return shown, raw


def _sdv_labels() -> dict[str, str]:
    return {
        VERIFIED: gettext("verified"),
        TO_REVERIFY: gettext("to re-verify"),
        NOT_VERIFIED: gettext("not verified"),
    }


def data_digest(data: list[dict[str, Any]]) -> str:
    """SHA-256 of a canonical JSON (sorted keys, no spaces) of the values rendered."""
    canonical = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def casebook_context(participant: Participant, *, user: Any) -> dict[str, Any]:
    sdv = {(r.form.label, r.obj.pk): r.state for r in rows_of(participant)}
    sdv_labels = _sdv_labels()
    sections: list[Section] = []
    hashed: list[dict[str, Any]] = []
    for definition in FORMS:
        # visible_to: the reader's sites; for day-10 biology, the blinding rule too.
        model = definition.model
        rows = model.objects.visible_to(user).filter(participant=participant).order_by("pk")
        section = Section(str(definition.title))
        label = model._meta.label_lower
        for instance in rows:
            values, raw = _values(instance)
            state = sdv.get((label, instance.pk))
            section.rows.append(
                Row(
                    title=str(instance),
                    status=instance.get_status_display(),
                    sdv=sdv_labels[state] if state else "",
                    values=values,
                    history=object_history(instance),
                )
            )
            hashed.append({"form": label, "pk": instance.pk, "values": raw})
        sections.append(section)
    annotated = with_casebook_state(Participant.objects.filter(pk=participant.pk)).get()
    return {
        "participant": participant,
        "sections": sections,
        "signature": signature_status_of(annotated),
        "generated_at": timezone.localtime(),
        "generated_by": user.get_username(),
        "digest": data_digest([{"participant": participant.code, "rows": hashed}]),
    }


@dataclass(frozen=True)
class CasebookPdf:
    content: bytes
    digest: str
    filename: str


def download_casebook_pdf(participant: Participant, *, by: Any) -> CasebookPdf:
    """Render the casebook of one participant for `by` and audit the download."""
    context = casebook_context(participant, user=by)
    content = render_pdf("pdf/casebook.html", context)
    with transaction.atomic():
        record(
            "casebook_pdf_downloaded",
            target=participant,
            by=by,
            data={"sha256": context["digest"]},
        )
    return CasebookPdf(content, context["digest"], f"casebook_{participant.code}.pdf")
