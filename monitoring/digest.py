"""The daily query digest (issue #9, ADR 0024): one e-mail a day to each person with
queries to act on — site investigators and coordinators: queries of their sites waiting
for an answer; monitors: answered queries of their sites waiting for review — with counts
and links, in the recipient's language. Nobody with nothing to do gets one, nor anyone who
turned it off on their preferences page (ADR 0031); nobody gets
two the same day (a `QueryDigest` row per user and day, written in the sending
transaction). Counts only: no participant, value, arm or day-10 biology query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Membership
from accounts.roles import ROLE_CAPABILITIES, SITE
from accounts.roles import Capability as C
from crf.models import DataQuery, QueryStatus
from crf.models.queries import AWAITING_ANSWER
from crf.open_queries import HIDDEN_UNTIL_LOCK
from monitoring.models import QueryDigest
from platinium.lib.study_time import paris_today

# Site roles that answer queries of the CRFs they read (investigator, coordinator; the
# pharmacist's C1 grant reaches no CRF query), and site roles that review the answers
# (monitor). Data managers work from the "all" worklist and get no digest.
ANSWERING_ROLES = frozenset(
    role
    for role, caps in ROLE_CAPABILITIES.items()
    if caps.get(C.ANSWER_QUERY) == SITE and caps.get(C.VIEW_CLINICAL_DATA) == SITE
)
REVIEWING_ROLES = frozenset(
    role for role, caps in ROLE_CAPABILITIES.items() if caps.get(C.CLOSE_QUERY) == SITE
)

TO_ANSWER = "to_answer"
TO_REVIEW = "to_review"


@dataclass
class SiteLine:
    site: Any
    to_answer: int = 0
    to_review: int = 0
    answer_url: str = ""
    review_url: str = ""


@dataclass
class Digest:
    user: Any
    lines: list[SiteLine] = field(default_factory=list)

    @property
    def to_answer(self) -> int:
        return sum(line.to_answer for line in self.lines)

    @property
    def to_review(self) -> int:
        return sum(line.to_review for line in self.lines)


@dataclass
class DigestReport:
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)


def _counts_by_site() -> dict[int, dict[str, int]]:
    rows = (
        DataQuery.objects.exclude(model_label=HIDDEN_UNTIL_LOCK)
        .filter(status__in=[*AWAITING_ANSWER, QueryStatus.ANSWERED])
        .order_by()
        .values("participant__site")
        .annotate(
            to_answer=Count("pk", filter=Q(status__in=AWAITING_ANSWER)),
            to_review=Count("pk", filter=Q(status=QueryStatus.ANSWERED)),
        )
    )
    return {row["participant__site"]: row for row in rows}


def worklist_url(status: str, site_code: str) -> str:
    query = urlencode({"status": status, "site_code": site_code})
    return f"{settings.PLATINIUM_BASE_URL.rstrip('/')}{reverse('monitoring:query_list')}?{query}"


def digests() -> list[Digest]:
    """Who has something to do today, and what, per site (two queries whatever the size)."""
    counts = _counts_by_site()
    memberships = (
        Membership.objects.active()
        .filter(role__in=sorted(ANSWERING_ROLES | REVIEWING_ROLES), site__isnull=False)
        .filter(user__is_active=True, user__query_digest=True)
        .exclude(user__email="")
        .select_related("user", "site")
        .order_by("user_id", "site__code")
    )
    lines: dict[int, dict[int, SiteLine]] = defaultdict(dict)
    users: dict[int, Any] = {}
    for membership in memberships:
        site = membership.site
        if site is None:  # excluded above (site__isnull=False); narrows the type
            continue
        site_counts = counts.get(site.pk)
        if site_counts is None:
            continue
        users[membership.user_id] = membership.user
        line = lines[membership.user_id].setdefault(site.pk, SiteLine(site=site))
        if membership.role in ANSWERING_ROLES:
            line.to_answer = site_counts["to_answer"]
            line.answer_url = worklist_url(TO_ANSWER, site.code)
        if membership.role in REVIEWING_ROLES:
            line.to_review = site_counts["to_review"]
            line.review_url = worklist_url(TO_REVIEW, site.code)
    out = []
    for user_id, by_site in lines.items():
        kept = [line for line in by_site.values() if line.to_answer or line.to_review]
        if kept:
            out.append(Digest(user=users[user_id], lines=kept))
    return out


def build_email(digest: Digest, *, day: Any, language: str) -> EmailMessage:
    context = {"digest": digest, "user": digest.user, "day": day}
    with translation.override(language):
        subject = " ".join(render_to_string("emails/query_digest_subject.txt", context).split())
        body = render_to_string("emails/query_digest.txt", context)
    return EmailMessage(subject=subject, body=body, to=[digest.user.email])


def _language_of(user: Any) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in available else settings.LANGUAGE_CODE


def send_query_digests() -> DigestReport:
    """Each digest in its own transaction: the day's row is written first (a concurrent
    run waits on the unique constraint, then finds it), the e-mail sent, then the commit.
    A failed send rolls the row back, so the next run (the task's retry) sends it."""
    day = paris_today(timezone.now())
    report = DigestReport()
    already = set(QueryDigest.objects.filter(day=day).values_list("user_id", flat=True))
    for digest in digests():
        username = digest.user.username
        if digest.user.pk in already:
            report.already_sent.append(username)
            continue
        language = _language_of(digest.user)
        try:
            with transaction.atomic():
                QueryDigest.objects.create(
                    user=digest.user,
                    day=day,
                    to_answer=digest.to_answer,
                    to_review=digest.to_review,
                    language=language,
                )
                build_email(digest, day=day, language=language).send()
        except IntegrityError:
            report.already_sent.append(username)
            continue
        report.sent.append(username)
    return report
