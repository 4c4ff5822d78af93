"""The casebook signature's binding to the data (21 CFR 11.70) and its status.

The digest is a SHA-256 of every casebook row's (form, row, version): rows are never
deleted and every write bumps a version or adds a row, so any change after signing gives
another digest and the casebook is shown "to re-sign" — never silently.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import CharField, Count, Func, OuterRef, Q, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from crf.definitions import CRF_MODELS
from crf.open_queries import has_open_queries
from eligibility.models import Consent, Screening
from monitoring.models import CasebookSignature
from participants.models import Participant
from platinium.lib.compiled import CompiledQuery, compile_query

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


def _row_key() -> Any:
    """'pk:version' of one casebook row: what the digest binds a signature to."""
    return Concat(Cast("pk", CharField()), Value(":"), Cast("version", CharField()))


def _versions(model: type[models.Model], path: str) -> Subquery:
    """'pk:version,…' of the participant's (OuterRef) rows of one model, in pk order."""
    rows = model._default_manager.filter(**{path: OuterRef("pk")}).order_by()
    listed = (
        rows.annotate(group=Value(1))
        .values("group")
        .annotate(listed=StringAgg(_row_key(), delimiter=",", order_by="pk"))
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
    """SHA-256 (hex) of one "label=pk:version,…" line per CASEBOOK model, joined by
    newlines; `casebook_digest_sql` is the same digest computed by PostgreSQL."""
    lines = [
        f"{model._meta.label_lower}={getattr(annotated, f'casebook_{i}') or ''}"
        for i, (model, _path) in enumerate(CASEBOOK)
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def casebook_digest_sql() -> Func:
    """`digest_of` in SQL, byte for byte: encode(sha256(convert_to(lines, 'UTF8')), 'hex')
    over the participant's (OuterRef or row) casebook, from the same CASEBOOK listing."""
    parts: list[Any] = []
    for i, (model, path) in enumerate(CASEBOOK):
        if i:
            parts.append(Value("\n"))
        parts.append(Value(f"{model._meta.label_lower}="))
        parts.append(Coalesce(_versions(model, path), Value(""), output_field=TextField()))
    text = Concat(*parts, output_field=TextField())
    utf8 = Func(text, Value("UTF8"), function="convert_to", output_field=models.BinaryField())
    hashed = Func(utf8, function="sha256", output_field=models.BinaryField())
    return Func(hashed, Value("hex"), function="encode", output_field=CharField())


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


def _newest_signature_digest() -> Subquery:
    newest = CasebookSignature.objects.filter(participant=OuterRef("pk")).order_by(
        "-signed_at", "-id"
    )
    return Subquery(newest.values("digest")[:1])


def stale_signature() -> Q:
    """The newest signature's digest differs from the casebook's digest now (`digest_of`
    computed by PostgreSQL, `casebook_digest_sql`), about the participant row."""
    return ~Q(Exact(casebook_digest_sql(), _newest_signature_digest()))


def to_resign_query(scope: Q) -> models.QuerySet[Any]:
    """(site, signed casebooks to re-sign) among the participants matching `scope` (the ORM
    form of `to_resign_by_site`)."""
    return (
        Participant.objects.filter(scope)
        .filter(is_signed())
        .filter(stale_signature())
        .order_by()
        .values("site")
        .annotate(n=Count("pk"))
        .values_list("site", "n")
    )


@functools.lru_cache(maxsize=64)
def _to_resign_query(scope: Q) -> CompiledQuery | None:
    """`to_resign_query`, compiled once per process and scope (the ORM would otherwise build
    and compile one subquery per CASEBOOK model on every request) and run as a prepared
    statement (ADR 0045). Nothing in it depends on the data. None: `scope` matches no
    participant whatever the data."""
    try:
        return compile_query(to_resign_query(scope), expected=0)
    except EmptyResultSet:  # e.g. Q(pk__in=[]): the ORM sends no query either
        return None


def to_resign_by_site(scope: Q) -> dict[int, int]:
    """Casebooks to re-sign per site among the participants matching `scope` (a Q over
    Participant's own fields, as `accounts.access.work_filter` gives: the cache key), in
    one statement: PostgreSQL computes each signed casebook's digest, compares it with
    the newest signature's and counts the differing ones per site. Only a signed casebook
    can be "to re-sign"."""
    compiled = _to_resign_query(scope)
    return {} if compiled is None else dict(compiled.rows())


def signature_status_of(annotated: Any) -> SignatureStatus:
    if annotated.signature_digest is None:
        return SignatureStatus(UNSIGNED)
    state = SIGNED if annotated.signature_digest == digest_of(annotated) else TO_RESIGN
    return SignatureStatus(state, annotated.signature_at, annotated.signature_name or "")
