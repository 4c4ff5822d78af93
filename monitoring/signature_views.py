"""The investigator's casebook signature (21 CFR 11.50, 11.70, 11.200) and the per-site list
of casebooks to re-sign."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from accounts.access import has_capability, site_filter
from accounts.decorators import capability_required
from accounts.reauth import ReauthenticationFailed, reauthenticate
from accounts.roles import Capability as C
from monitoring import signing
from monitoring.forms import CasebookSignatureForm
from monitoring.services import Refused, sign_casebook
from participants.models import Participant
from sites.models import Site

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.SIGN)
def casebook_sign(request: AuthenticatedRequest, code: str) -> HttpResponse:
    qs = Participant.objects.filter(site_filter(request.user, C.SIGN)).select_related("site")
    participant = get_object_or_404(signing.with_casebook_state(qs), code=code)
    status = signing.signature_status_of(participant)
    digest = signing.digest_of(participant)
    blocked = signing.open_queries_block(participant)
    form = CasebookSignatureForm(request.POST or None, user=request.user, initial={"seen": digest})
    if request.method == "POST" and form.is_valid():
        try:
            # Before the service's transaction: a failure is audited and counted.
            reauthenticate(
                request.user,
                **form.credentials(),
                purpose="casebook_signature",
                request=request,
                target=participant,
            )
            sign_casebook(participant, by=request.user, seen_digest=form.cleaned_data["seen"])
        except ReauthenticationFailed as failed:
            form.add_error(None, failed.message)
        except Refused as refused:
            # Shown on a fresh page: the form must carry the casebook as it now is.
            messages.error(request, refused.message)
            return redirect("monitoring:casebook_sign", code=participant.code)
        else:
            messages.success(request, gettext("The casebook is signed."))
            return redirect("crf:participant", code=participant.code)
    return render(
        request,
        "monitoring/casebook_sign.html",
        {
            "participant": participant,
            "status": status,
            "form": form,
            "blocked": blocked,
            "meaning": signing.MEANING,
            "printed_name": request.user.get_full_name() or request.user.username,
        },
    )


@login_required
def resign_list(request: AuthenticatedRequest) -> HttpResponse:
    """Casebooks whose data changed after their signature, per site (investigators sign
    them again; monitors follow them up)."""
    if not (has_capability(request.user, C.SIGN) or has_capability(request.user, C.SDV)):
        raise PermissionDenied
    scope = site_filter(request.user, C.SIGN) | site_filter(request.user, C.SDV)
    in_scope = Participant.objects.filter(scope)
    site_code = request.GET.get("site_code", "")
    if site_code:  # home page link (issue #11)
        in_scope = in_scope.filter(site__code=site_code)
    signed = signing.is_signed()
    sites: dict[int, dict[str, Any]] = {}
    # Unsigned casebooks are only counted; the casebook state (every form's row versions)
    # is computed for the signed ones alone, the only ones that can be "to re-sign".
    unsigned = in_scope.filter(~signed).order_by().values("site").annotate(n=Count("pk"))
    unsigned_by_site = {row["site"]: row["n"] for row in unsigned}
    for site in Site.objects.filter(pk__in=unsigned_by_site).order_by("code"):
        sites[site.pk] = {"site": site, "to_resign": [], "unsigned": unsigned_by_site[site.pk]}
    participants = signing.with_casebook_state(
        in_scope.filter(signed).select_related("site").order_by("site__code", "code")
    )
    for participant in participants:
        status = signing.signature_status_of(participant)
        entry = sites.setdefault(
            participant.site_id, {"site": participant.site, "to_resign": [], "unsigned": 0}
        )
        if status.state == signing.TO_RESIGN:
            entry["to_resign"].append((participant, status))
    sites = dict(sorted(sites.items(), key=lambda item: item[1]["site"].code))
    return render(request, "monitoring/resign_list.html", {"sites": list(sites.values())})
