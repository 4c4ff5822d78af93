"""Loading the allocation list and the kit list (list_views: allocation and kit list import)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.models import User
from accounts.roles import Capability
from audit.services import record
from platinium.lib.study_time import paris_today
from randomization import allocation_list, arm_access, kit_codes
from randomization.messages import Message
from randomization.models import AllocationList, Kit, KitEvent, KitList, Slot, Stratum
from sites.models import Site

S = Kit.Status


class ImportRefused(Exception):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


def translate(message: Message) -> str:
    return gettext(message.msgid) % message.params


def _require_list_manager(by: User) -> None:
    if not has_capability(by, Capability.LOAD_ALLOCATION_LIST):
        raise PermissionDenied


def _check_sha(raw_bytes: bytes, declared: str) -> list[str]:
    declared_hash = allocation_list.parse_sha256_declaration(declared)
    if len(declared_hash) != 64:
        return [translate(Message(allocation_list.MSG_SHA_MALFORMED, {}))]
    actual = allocation_list.sha256_hex(raw_bytes)
    if actual != declared_hash:
        return [
            translate(
                Message(
                    allocation_list.MSG_SHA_MISMATCH, {"actual": actual, "declared": declared_hash}
                )
            )
        ]
    return []


@transaction.atomic
def import_allocation_list(
    raw_bytes: bytes, *, by: User, declared_sha256: str, filename: str = ""
) -> AllocationList:
    """Load a checked allocation list; refuse everything randomization.md lists.

    The new list becomes the active list of its strata.
    """
    _require_list_manager(by)
    # Serialise imports: two uploads of the same version cannot both pass the check.
    AllocationList.objects.select_for_update().exists()
    existing = set(AllocationList.objects.values_list("list_version", flat=True))
    parsed, problems = allocation_list.check_upload(
        raw_bytes,
        expected_env=settings.PLATINIUM_ENV,
        declared_sha256=declared_sha256,
        existing_versions=existing,
    )
    messages = [translate(m) for m in problems]
    sha = allocation_list.sha256_hex(raw_bytes)
    if not messages and AllocationList.objects.filter(sha256=sha).exists():
        messages.append(gettext("This file has already been loaded."))
    sites = {site.code: site for site in Site.objects.all()}
    if parsed is not None and not messages:
        missing = [code for code in parsed.strata if code not in sites]
        if missing:
            messages.append(
                gettext("No site exists for strata %(codes)s.") % {"codes": ", ".join(missing)}
            )
    if messages or parsed is None:
        raise ImportRefused(messages)
    alist = AllocationList.objects.create(
        list_version=parsed.list_version,
        env=parsed.env,
        sha256=sha,
        filename=filename[:200],
        strata=",".join(parsed.strata),
        slot_count=len(parsed.rows),
        products=parsed.products,
        loaded_by=by,
    )
    strata = {}
    for code in parsed.strata:
        stratum, _ = Stratum.objects.select_for_update().update_or_create(
            site=sites[code], defaults={"code": code, "allocation_list": alist}
        )
        strata[code] = stratum
    tokens = arm_access.seal_many(row.arm for row in parsed.rows)
    Slot.objects.bulk_create(
        (
            Slot(
                allocation_list=alist,
                stratum=strata[row.stratum_code],
                seq=row.seq,
                block_id=row.block_id,
                block_size=row.block_size,
                arm_token=token,
                rand_no=row.rand_no,
            )
            for row, token in zip(parsed.rows, tokens, strict=True)
        ),
        batch_size=2000,
    )
    record(
        "randomization.allocation_list_loaded",
        target=alist,
        by=by,
        data={
            "list_version": alist.list_version,
            "env": alist.env,
            "sha256": sha,
            "slots": alist.slot_count,
            "strata": alist.strata,
        },
    )
    return alist


@transaction.atomic
def import_kit_list(
    raw_bytes: bytes, *, by: User, declared_sha256: str, filename: str = ""
) -> KitList:
    """Load a kit list (kit code, arm, blinded lot, expiry): kits arrive AT_DEPOT."""
    _require_list_manager(by)
    KitList.objects.select_for_update().exists()
    messages = _check_sha(raw_bytes, declared_sha256)
    sha = allocation_list.sha256_hex(raw_bytes)
    if KitList.objects.filter(sha256=sha).exists():
        messages.append(gettext("This file has already been loaded."))
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused([*messages, gettext("The file is not valid UTF-8 text.")]) from None
    existing = set(Kit.objects.values_list("code", flat=True))
    parsed = kit_codes.parse_kit_list(text, today=paris_today(timezone.now()), existing=existing)
    messages += [translate(m) for m in parsed.errors]
    if messages:
        raise ImportRefused(messages)
    kit_list = KitList.objects.create(
        sha256=sha, filename=filename[:200], kit_count=len(parsed.rows), loaded_by=by
    )
    tokens = arm_access.seal_many(row.arm for row in parsed.rows)
    kits = Kit.objects.bulk_create(
        (
            Kit(
                code=row.kit_code,
                arm_token=token,
                lot=row.lot,
                expiry=row.expiry,
                kit_list=kit_list,
                status=S.AT_DEPOT,
            )
            for row, token in zip(parsed.rows, tokens, strict=True)
        ),
        batch_size=2000,
    )
    KitEvent.objects.bulk_create(
        (
            KitEvent(
                kit=kit,
                from_status=S.MANUFACTURED,
                to_status=S.AT_DEPOT,
                by=by,
                reason="kit list import",
            )
            for kit in kits
        ),
        batch_size=2000,
    )
    record(
        "randomization.kit_list_loaded",
        target=kit_list,
        by=by,
        data={"sha256": sha, "kits": len(kits)},
    )
    return kit_list
