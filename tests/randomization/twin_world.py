"""Twin-world blinding harness (randomization.md "Blinding beyond the arm field").

Build a trial world, crawl every URL of the project as every blinded role, record the
pages, PDFs, e-mails, audit events and field-history rows; roll back; build the twin
world that differs only by A↔B swapped in the allocation and kit lists; compare.
Each world also holds CRF rows of every form (a serious AE included) before the crawl, and
every URL argument has a value supplier (`_combos`): a URL the crawl cannot build raises
`Unbuildable` listing it, never a silent skip. Each response is compared by status, EVERY
header and cookie (the few that legitimately differ are normalised in `headers`, each with
its reason) and body. Identifiers are identical in both worlds because every sequence
restarts at the same value before each build; CSRF tokens, times, UUIDs and idempotency
keys are masked.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from platinium.lib.study_time import STUDY_TIME_ZONE
from tests.randomization.pdf import pdf_text

BLINDED_ROLES = (
    "investigator",
    "coordinator",
    "pharmacist",
    "monitor",
    "data_manager",
    "statistician",
    "admin",
)
SEED = "fedcba9876543210fedcba9876543210"
# Pages left out of the crawl: none. (The 2FA set-up page, random by design, is crawled with
# a fixed TOTP secret: see fixed_totp_secrets.)
UNCRAWLED: frozenset[str] = frozenset()
PASSWORD = "correct-horse-battery-staple"

_MASKS = [
    (re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"'), r'\1<csrf>"'),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<key>"),
    # The SHA-256 of a casebook's data (PDF footer, download audit event) covers the rows'
    # timestamps, which differ between the two builds; the values it covers are compared
    # in the document itself.
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    # The same digest in a PDF footer, which pdftotext may break across lines.
    (re.compile(r"SHA-256[\s0-9a-f]*"), "SHA-256 <sha256> "),
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
        "<timestamp>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b"), "<time>"),
    # Seconds left before the session expires (docs/decisions/0022): a wall-clock countdown.
    (re.compile(r'(data-session-seconds-left=")\d+"'), r'\1<seconds>"'),
]


def mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


# Response headers that legitimately differ between two identical requests, and why. Every
# other header is compared verbatim (an arm in a header must show as a difference).
_HEADERS_DROPPED = {
    # Wall-clock time of the response (a server adds it; the test client normally does not).
    "date",
    # Follows the body, which is compared after masking: a masked time (9:59 → 10:00) or
    # token can change the length by a character without any arm involved.
    "content-length",
}
_HEADERS_MASKED = {
    # audit.context.RequestContextMiddleware: a fresh uuid4 per request.
    "x-request-id",
    # accounts.middleware.SessionActivityMiddleware: seconds left in the session, a
    # wall-clock countdown (docs/decisions/0022).
    "x-session-expires-in",
}
# Cookies whose VALUE is random per session/request (CSRF secret, session key); their
# presence and attributes are still compared.
_COOKIES_MASKED = {"csrftoken", "sessionid"}


def headers(response: Any) -> tuple[tuple[str, str], ...]:
    """Every header and cookie of a response, normalised as explained above."""
    out = []
    for name, value in response.items():
        key = name.lower()
        if key in _HEADERS_DROPPED:
            continue
        out.append((key, "<masked>" if key in _HEADERS_MASKED else mask(value)))
    for name, morsel in response.cookies.items():
        value = "<masked>" if name in _COOKIES_MASKED else mask(morsel.value)
        attributes = sorted((k, mask(str(v))) for k, v in morsel.items() if v and k != "expires")
        out.append((f"set-cookie {name}", f"{value} {attributes}"))
    return tuple(sorted(out))


class Unbuildable(AssertionError):
    """URLs the crawl could not build: they would be silently uncovered."""


@contextmanager
def fixed_totp_secrets() -> Iterator[None]:
    """The 2FA set-up page shows a fresh random secret per device: make it the same in both
    worlds (so the page is crawled and compared like any other)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    field = TOTPDevice._meta.get_field("key")
    original = field.default
    field.default = lambda: "31323334353637383930" * 2
    field.__dict__.pop("_get_default", None)  # Field caches its default callable
    try:
        yield
    finally:
        field.default = original
        field.__dict__.pop("_get_default", None)


def restart_sequences(start: int = 700_000) -> None:
    """Same ids in both worlds: every sequence restarts at the same value (not transactional)."""
    with connection.cursor() as cursor:
        # Identity columns' sequences are not in information_schema.sequences.
        cursor.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind = 'S'"
        )
        for schema, name in cursor.fetchall():
            cursor.execute("SELECT setval(%s, %s, false)", [f'"{schema}"."{name}"', start])


# ------------------------------------------------------------------------------ world


def build(swap: bool, users: dict[str, Any]) -> dict[str, Any]:
    """The trial world (everything below happens identically in both twins)."""
    from randomization.models import Kit, Shipment
    from randomization.services.dispensing import expire_kits
    from randomization.services.supply import dispatch_shipment, request_initial_supply
    from randomization.services.unblinding import unblind_emergency
    from sites.models import Site
    from tests.factories import make_user_with_role
    from tests.randomization.factories import load_slots, make_kits, make_participant

    site11, site16 = Site.objects.get(code="11"), Site.objects.get(code="16")
    for site in (site11, site16):
        site.pharmacy_email = f"pui-{site.code}@chu.invalid"
        site.principal_investigator_email = f"pi-{site.code}@chu.invalid"
        site.save()
    rm, inv, coord, ph = (
        users[k] for k in ("randomization_manager", "investigator", "coordinator", "pharmacist")
    )
    ph16 = make_user_with_role("pharmacist_nantes", "pharmacist", "16")
    inv16 = users["investigator_nantes"]
    load_slots([site11, site16], seed=SEED, swap=swap, list_version="twin")
    make_kits(None, 10, status=Kit.Status.AT_DEPOT, rng=random.Random(7), swap=swap)
    make_kits(
        None,
        1,
        status=Kit.Status.AT_DEPOT,
        rng=random.Random(8),
        swap=swap,
        expiry=timezone.localdate() - timedelta(days=1),
        lot="LOT-OLD",
    )
    out: dict[str, Any] = {"actions": []}
    client = Client()

    def act(
        user: Any,
        name: str,
        kwargs: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        client.force_login(user)
        response = client.post(reverse(name, kwargs=kwargs), data or {}, follow=True)
        out["actions"].append(
            (name, response.status_code, headers(response), mask(response.content.decode()))
        )

    # Activation of both sites; 11 receives normally, 16 has a logger alarm.
    for site in (site11, site16):
        dispatch_shipment(request_initial_supply(site, by=rm), by=rm)
    for site, user, temperature in ((site11, ph, "ok"), (site16, ph16, "alarm")):
        shipment = Shipment.objects.get(site=site, reason=Shipment.Reason.ACTIVATION)
        for kit in Kit.objects.filter(shipment=shipment).order_by("code")[:7]:
            act(
                user,
                "randomization:shipment_receive",
                {"shipment_id": shipment.pk},
                {"kit_code": kit.code + "\n"},
            )
        act(
            user,
            "randomization:shipment_close",
            {"shipment_id": shipment.pk},
            # One kit of site 11 is missing: the pharmacist confirms it (issue #11).
            {"temperature": temperature, "note": "logger read", "missing_confirmed": "on"},
        )
    expire_kits()
    # Randomizations at 11 (one kit was not scanned, so stock runs short at some point:
    # whichever slot finds no kit, it does so in both worlds with the swapped arm).
    participants = [make_participant(site11) for _ in range(7)]
    for i, participant in enumerate(participants[:6]):
        client.force_login(inv if i % 2 == 0 else coord)
        url = reverse("randomization:randomize", args=[participant.code])
        client.get(url)
        response = client.post(url, {"idempotency_key": f"{i:032x}", "confirm": "on"}, follow=True)
        out["actions"].append(
            ("randomize", response.status_code, headers(response), mask(response.content.decode()))
        )
    # At 16 every kit is quarantined: no kit, generic message, alert.
    p16 = make_participant(site16)
    client.force_login(inv16)
    url = reverse("randomization:randomize", args=[p16.code])
    response = client.post(url, {"idempotency_key": "f" * 32, "confirm": "on"}, follow=True)
    out["actions"].append(
        ("randomize16", response.status_code, headers(response), mask(response.content.decode()))
    )
    randomized = [p for p in participants if Kit.objects.filter(participant=p).exists()]
    first, second = randomized[0], randomized[1]
    kit1 = Kit.objects.get(participant=first)
    wrong = Kit.objects.filter(site=site11, status=Kit.Status.AVAILABLE).order_by("code").first()
    for code in ([wrong.code] if wrong else []) + ["ZZZZ", kit1.code]:
        act(ph, "randomization:dispense", {"code": first.code}, {"kit_code": code})
    kit2 = Kit.objects.get(participant=second)
    act(
        ph,
        "randomization:kit_incident",
        {"kit_code": kit2.code},
        {"kind": "damaged", "doses_remaining": "on", "reason": "vial cracked"},
    )
    # The replacement is dispensed, so the CRF can record an injection from it.
    replacement = Kit.objects.get(participant=second, status=Kit.Status.ALLOCATED)
    act(ph, "randomization:dispense", {"code": second.code}, {"kit_code": replacement.code})
    for action in ("return", "to_destruction", "destroy"):
        act(
            ph,
            "randomization:kit_action",
            None,
            {"kit_code": kit1.code, "action": action, "reason": "accountability"},
        )
    q16 = Shipment.objects.get(site=site16, reason=Shipment.Reason.ACTIVATION)
    act(
        ph16,
        "randomization:shipment_decision",
        {"shipment_id": q16.pk},
        {"decision": "reject", "reason": "excursion 14 h"},
    )
    unblind_emergency(randomized[2], by=inv, reason="anaphylactic shock", password=PASSWORD)
    clinical_data(randomized, by=inv, data_manager=users["data_manager"])
    return out


def clinical_data(randomized: list[Any], *, by: Any, data_manager: Any) -> None:
    """CRF rows of every form (one serious AE: the SAE e-mail and PDF run), the same in both
    worlds, so every CRF page of the crawl has a row to show."""
    import pgtrigger

    from crf import services as crf
    from randomization.models import Allocation
    from tests.crf.helpers import (
        ae_data,
        baseline_data,
        d0_of,
        daily_data,
        injection_data,
        paris,
    )

    participant = randomized[1]
    # Injections are given from D1: this participant was randomized three days ago (a test
    # set-up, identical in both worlds; production never moves a randomization time).
    with pgtrigger.ignore("randomization.Allocation:allocation_slot_fixed"):
        Allocation.objects.filter(participant=participant).update(
            randomized_at=timezone.now() - timedelta(days=3)
        )
    for each in randomized:
        crf.save_baseline(each, by=by, data=baseline_data())
        crf.save_daily(each, day_date=d0_of(each), by=by, data=daily_data())
    d0 = d0_of(participant)
    crf.save_injection(
        participant, number=1, by=by, data=injection_data(participant, paris(d0 + timedelta(1)))
    )
    now = timezone.now()
    crf.save_icu_stay(participant, by=by, data={"admitted_at": now - timedelta(days=2)})
    crf.save_infection(
        participant,
        by=by,
        data={"onset_date": d0, "location": "STUDY_ICU", "category": "PN"},
        microorganisms=[{"organism": "Escherichia coli"}],
    )
    crf.save_adverse_event(
        participant,
        by=by,
        data=ae_data(
            term="Septic shock",
            serious=True,
            sae_life_threatening=True,
            awareness_date=timezone.localdate(),
        ),
    )
    crf.save_adverse_event(participant, by=by, data=ae_data(term="Rash"))
    crf.save_concomitant_medication(
        participant,
        by=by,
        data={
            "category": "ANTIBACTERIAL",
            "drug_name": "piperacillin",
            "route": "IV",
            "start_date": d0,
            "ongoing": True,
            "indication": "EMPIRICAL",
        },
    )
    crf.save_protocol_deviation(participant, by=by, data={"deviation_date": d0})
    crf.save_d10_biology(
        participant,
        by=data_manager,
        data={"sample_taken": False},
    )
    crf.save_hospital_discharge(participant, by=by, data={"admission_date": d0 - timedelta(days=3)})
    crf.save_follow_up(participant, visit="FU_D30", by=by, data={"source": "PATIENT_PHONE"})
    crf.save_end_of_study(participant, by=by, data={"end_status": "WITHDRAWN_PATIENT"})
    # A row entered in error: its detail page (and the voided state) is crawled too.
    voided = crf.save_adverse_event(participant, by=by, data=ae_data(term="Duplicate")).obj
    crf.mark_entered_in_error(voided, by=by, reason="duplicate entry")
    # A query with its thread: the query pages are crawled too (same in both worlds).
    from crf.models import Baseline
    from monitoring.queries import answer_query, raise_query

    query = raise_query(
        Baseline.objects.get(participant=participant),
        field="weight_kg",
        text="Weight?",
        by=data_manager,
    )
    answer_query(query, text="Checked.", by=by)


# ------------------------------------------------------------------------------ crawl


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _patterns(
                pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, list(pattern.pattern.regex.groupindex)


def _crf_rows() -> list[tuple[str, str, int, str]]:
    """(participant code, form slug, row pk, model label) of every CRF row, voided included."""
    from crf.definitions import FORMS

    return sorted(
        (code, definition.slug, pk, definition.model._meta.label_lower)
        for definition in FORMS
        for pk, code in definition.model.objects.values_list("pk", "participant__code")
    )


def _providers() -> dict[str, Callable[[], list[Any]]]:
    from django.contrib.auth import get_user_model

    from accounts.models import Membership
    from crf.models import DailyFollowUp
    from participants.models import Participant
    from randomization.models import Allocation, Kit, Shipment

    return {
        "code": lambda: sorted(Participant.objects.values_list("code", flat=True)),
        "kit_code": lambda: sorted(Kit.objects.exclude(site=None).values_list("code", flat=True)),
        "shipment_id": lambda: sorted(Shipment.objects.values_list("pk", flat=True)),
        "pk": lambda: sorted(Participant.objects.values_list("pk", flat=True)),
        "user_id": lambda: sorted(get_user_model().objects.values_list("pk", flat=True)),
        "membership_id": lambda: sorted(Membership.objects.values_list("pk", flat=True)),
        "crf_rows": _crf_rows,
        "daily_pairs": lambda: sorted(
            (code, day.isoformat())
            for code, day in DailyFollowUp.objects.values_list("participant__code", "day_date")
        ),
        "audit_pairs": lambda: (
            [
                ("participants.participant", pk)
                for pk in Participant.objects.values_list("pk", flat=True)
            ]
            + [
                ("randomization.kit", pk)
                for pk in Kit.objects.exclude(site=None).values_list("pk", flat=True)
            ]
            + [
                ("randomization.allocation", pk)
                for pk in Allocation.objects.values_list("pk", flat=True)
            ]
            + [
                ("randomization.shipment", pk)
                for pk in Shipment.objects.values_list("pk", flat=True)
            ]
            + [(label, pk) for _code, _slug, pk, label in _crf_rows()]
        ),
    }


# Query value of a new form whose key the URL fixes (crf.views._fixed_value): one new key and,
# for the numbered injection, the saved one (form_new then redirects to its edit page).
_NEW_FORM_QUERIES = {
    "number": ["?number=1", "?number=2"],
    "day_date": ["?day_date={tomorrow}"],
    "visit": ["?visit=FU_D60"],
}


def _combos(kwarg_names: tuple[str, ...], values: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Every argument set to crawl for one URL pattern; None when no supplier covers it."""
    names = set(kwarg_names)
    if names == {"model_label", "pk"}:
        return [{"model_label": label, "pk": pk} for label, pk in values["audit_pairs"]]
    if names == {"model_label", "pk", "field"}:
        # One field of each CRF row: the page that raises a query on it.
        from monitoring.queries import form_model, queryable_fields

        return [
            {"model_label": label, "pk": pk, "field": queryable_fields(form_model(label))[0]}
            for _code, _slug, pk, label in values["crf_rows"]
        ]
    if names == {"code", "form", "pk"}:
        return [
            {"code": code, "form": slug, "pk": pk} for code, slug, pk, _label in values["crf_rows"]
        ]
    if names == {"code", "form"}:
        codes = sorted({code for code, *_rest in values["crf_rows"]})
        slugs = sorted({slug for _code, slug, *_rest in values["crf_rows"]})
        return [{"code": code, "form": slug} for code in codes for slug in slugs]
    if names == {"code", "day"}:
        return [{"code": code, "day": day} for code, day in values["daily_pairs"]]
    if names == {"uidb64", "token"}:
        # The password reset link (docs/decisions/0029) reads no clinical data; a spent link.
        return [{"uidb64": "MQ", "token": "spent-link"}]
    if all(k in values for k in kwarg_names):
        return [
            dict(zip(kwarg_names, combo, strict=True))
            for combo in itertools.product(*(values[k] for k in kwarg_names))
        ]
    return None


def _query_strings(name: str, kwargs: dict[str, Any]) -> list[str]:
    if name != "crf:form_new":
        return [""]
    from crf.definitions import by_slug

    definition = by_slug(kwargs["form"])
    if not definition.fixed:
        return [""]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    return [query.format(tomorrow=tomorrow) for query in _NEW_FORM_QUERIES[definition.fixed]]


def crawl(users: dict[str, Any], roles: tuple[str, ...] = BLINDED_ROLES) -> dict[str, Any]:
    providers = _providers()
    values = {name: provider() for name, provider in providers.items()}
    urls: list[str] = []
    covered: set[str] = set()
    skipped: list[str] = []
    unbuildable: list[str] = []
    for name, kwarg_names in sorted({(n, tuple(k)) for n, k in _patterns(get_resolver())}):
        if name in UNCRAWLED:
            continue
        combos = _combos(kwarg_names, values)
        if combos is None:
            skipped.append(name)
            continue
        for kwargs in combos:
            try:
                path = reverse(name, kwargs=kwargs)
            except Exception as error:  # listed and failed below, never skipped silently
                unbuildable.append(f"{name} {kwargs}: {error}")
                continue
            urls.extend(path + query for query in _query_strings(name, kwargs))
            covered.add(name)
    if skipped or unbuildable:
        raise Unbuildable(
            "URLs the blinding crawl cannot build (add a value supplier in _combos): "
            + "; ".join([*(f"{n} (no supplier)" for n in skipped), *unbuildable])
        )
    pages: dict[str, Any] = {}
    with fixed_totp_secrets():
        for role in roles:
            client = Client(raise_request_exception=False)
            client.force_login(users[role])
            for url in urls:
                pages[f"{role} {url}"] = _observe(client.get(url))
    return {
        "pages": pages,
        "skipped": skipped,
        "urls": len(urls),
        "covered": covered,
        "crf_forms": sorted({slug for _code, slug, *_rest in values["crf_rows"]}),
    }


def _observe(response: Any) -> tuple[Any, ...]:
    """What a blinded user can see of one response: status, every header, the body."""
    body = response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        # Words only: the layout's spacing and line breaks follow the widths of glyphs in
        # masked values (a casebook footer's SHA-256 differs with each build's timestamps).
        text = " ".join(pdf_text(body).split())
    else:
        text = body.decode("utf-8", errors="replace")
    return (
        response.status_code,
        response.get("Location", ""),
        response.get("Content-Type", ""),
        headers(response),
        mask(text),
    )


def url_names() -> set[str]:
    """Every named URL of the project (admin excluded, as in the crawl)."""
    return {name for name, _kwargs in _patterns(get_resolver())}


def side_effects() -> dict[str, Any]:
    import pghistory.models

    from audit.models import AuditEvent
    from randomization.models import KitEvent, Notification

    emails = []
    for message in mail.outbox:
        attachments = [
            (name, pdf_text(content) if mimetype == "application/pdf" else content)
            for name, content, mimetype in message.attachments
        ]
        emails.append(mask(repr((sorted(message.to), message.subject, message.body, attachments))))
    audit = [
        mask(repr(row))
        for row in AuditEvent.objects.order_by("id").values_list(
            "action",
            "actor_username",
            "target_type",
            "target_id",
            "target_repr",
            "site_code",
            "data",
            "reason",
        )
    ]
    history = [
        mask(repr(row))
        for row in pghistory.models.Events.objects.order_by("pgh_model", "pgh_id").values_list(
            "pgh_model", "pgh_label", "pgh_obj_id", "pgh_data", "pgh_diff"
        )
    ]
    kit_log = [
        mask(repr(row))
        for row in KitEvent.objects.order_by("id").values_list(
            "kit__code", "from_status", "to_status", "by__username", "participant__code", "reason"
        )
    ]
    outbox = [
        repr(row)
        for row in Notification.objects.order_by("id").values_list(
            "kind", "recipients", "participant__code"
        )
    ]
    return {
        "emails": emails,
        "audit": audit,
        "history": history,
        "kit_log": kit_log,
        "outbox": outbox,
    }


def one_study_day_start() -> datetime:
    """Now, or 22:00 in Paris when the study day ends within the hour: a world built from
    there stays on one study day."""
    now = timezone.now()
    paris = now.astimezone(STUDY_TIME_ZONE)
    if paris.hour == 23:
        return paris.replace(hour=22, minute=0, second=0, microsecond=0)
    return now


def twin(swap: bool, users: dict[str, Any], capture: Callable[..., Any]) -> dict[str, Any]:
    """Build one world, observe everything, roll it back."""
    mail.outbox.clear()
    with transaction.atomic():
        restart_sequences()
        with capture(execute=True):
            actions = build(swap, users)
        result = {"actions": actions["actions"], **crawl(users), **side_effects()}
        transaction.set_rollback(True)
    mail.outbox.clear()
    return result


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    found = []
    for key in ("actions", "emails", "audit", "history", "kit_log", "outbox"):
        if a[key] != b[key]:
            found.append(key)
    for page in sorted(set(a["pages"]) | set(b["pages"])):
        if a["pages"].get(page) != b["pages"].get(page):
            found.append(page)
    return found
