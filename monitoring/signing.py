"""The casebook signature's binding to the data (21 CFR 11.70) and its status.

The digest is a SHA-256 of every casebook row's (form, row, version): rows are never
deleted and every write bumps a version or adds a row, so any change after signing gives
another digest and the casebook is shown "to re-sign" — never silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db import models
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from crf.definitions import CRF_MODELS
from crf.open_queries import has_open_queries
from eligibility.models import Consent, Screening
from monitoring.models import CasebookSignature
from participants.models import Participant

# 21 CFR 11.50(a)(3): the meaning of the signature, shown and stored with it.
MEANING = _("I confirm that the data of this casebook are accurate and complete.")

# (model, path from the row to its participant): what a signature covers.
CASEBOOK: tuple[tuple[type[models.Model], str], ...] = (
    (Participant, "pk"),
    (Screening, "participant"),
    (Consent, "screening__participant"),
    *((model, "participant") for model in CRF_MODELS),
)

SIGNED = "signed"
TO_RESIGN = "to_resign"
UNSIGNED = "unsigned"


def open_queries_block(participant: Participant) -> bool:
    """A casebook with open queries (open, reopened, or answered and not yet closed)
    cannot be signed."""
    return has_open_queries(participant)


def _versions(model: type[models.Model], path: str) -> Subquery:
    """'pk:version,…' of the participant's (OuterRef) rows of one model, in pk order."""
    rows = model._default_manager.filter(**{path: OuterRef("pk")}).order_by()
    listed = (
        rows.annotate(group=Value(1))
        .values("group")
        .annotate(
            listed=StringAgg(
                Concat(Cast("pk", CharField()), Value(":"), Cast("version", CharField())),
                delimiter=",",
                order_by="pk",
            )
        )
        .values("listed")
    )
    return Subquery(listed, output_field=CharField())


def with_casebook_state(participants: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """Annotate the row versions and the newest signature (one query for any number)."""
    newest = CasebookSignature.objects.filter(participant=OuterRef("pk")).order_by(
        "-signed_at", "-id"
    )
    annotations: dict[str, Any] = {
        f"casebook_{i}": _versions(model, path) for i, (model, path) in enumerate(CASEBOOK)
    }
    annotations |= {
        "signature_digest": Subquery(newest.values("digest")[:1]),
        "signature_at": Subquery(newest.values("signed_at")[:1]),
        "signature_name": Subquery(newest.values("printed_name")[:1]),
    }
    annotated: models.QuerySet[Any] = participants.annotate(**annotations)
    return annotated


def digest_of(annotated: Any) -> str:
    lines = [
        f"{model._meta.label_lower}={getattr(annotated, f'casebook_{i}') or ''}"
        for i, (model, _path) in enumerate(CASEBOOK)
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def casebook_digest(participant: Participant) -> str:
    return digest_of(with_casebook_state(Participant.objects.filter(pk=participant.pk)).get())


@dataclass(frozen=True)
class SignatureStatus:
    state: str
    signed_at: Any = None
    printed_name: str = ""

    @property
    def label(self) -> Any:
        return {SIGNED: _("signed"), TO_RESIGN: _("to re-sign"), UNSIGNED: _("not signed")}[
            self.state
        ]


def is_signed() -> models.Exists:
    return models.Exists(CasebookSignature.objects.filter(participant=OuterRef("pk")))


def to_resign_by_site(participants: models.QuerySet[Participant]) -> dict[int, int]:
    """Casebooks to re-sign per site. Only a signed casebook can be "to re-sign", so the
    casebook state (every form's row versions) is computed for those alone."""
    signed = participants.filter(is_signed()).order_by().only("pk", "site")
    counts: dict[int, int] = {}
    for participant in with_casebook_state(signed):
        if signature_status_of(participant).state == TO_RESIGN:
            counts[participant.site_id] = counts.get(participant.site_id, 0) + 1
    return counts


def signature_status_of(annotated: Any) -> SignatureStatus:
    if annotated.signature_digest is None:
        return SignatureStatus(UNSIGNED)
    state = SIGNED if annotated.signature_digest == digest_of(annotated) else TO_RESIGN
    return SignatureStatus(state, annotated.signature_at, annotated.signature_name or "")
