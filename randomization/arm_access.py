"""The ONE module that encrypts and decrypts treatment arms (randomization.md, roles.md C2).

Two kinds of access:

- for a person (returns an arm letter): ``arm_of_slot``/``arm_of_kit``/``unblinded_allocations``
  check the role: the randomization manager always; the statistician only once a
  database lock (participants.Lock) and an ``UnblindingAuthorisation`` are in force;
  ``emergency_arm`` hands the arm of one participant once to the investigator who recorded the
  ``EmergencyUnblinding``. Everyone else gets ``PermissionDenied``.
- for the server (returns kits, never an arm): matching a slot to kits of the same
  arm, and picking balanced shipments. Their results are kit ids, identical in
  shape whatever the arm, so no caller can learn the arm from them.

The key is read from settings on every call (never at import): PLATINIUM_ARM_KEY,
or the file named by PLATINIUM_ARM_KEY_FILE.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils import timezone

from accounts.access import has_capability, roles_of
from accounts.roles import Capability, Role
from randomization import arm_cipher
from randomization import parameters as p

if TYPE_CHECKING:
    from accounts.types import Visitor

# How long after recording an emergency unblinding its arm may still be shown (once).
EMERGENCY_DISPLAY_WINDOW = timedelta(minutes=5)


def _key() -> str:
    key = getattr(settings, "PLATINIUM_ARM_KEY", "") or ""
    if key:
        return key
    path = getattr(settings, "PLATINIUM_ARM_KEY_FILE", "") or ""
    if path and Path(path).is_file():
        key = Path(path).read_text(encoding="ascii").strip()
    if not key:
        raise ImproperlyConfigured(
            "No arm encryption key: set PLATINIUM_ARM_KEY or create PLATINIUM_ARM_KEY_FILE."
        )
    return key


def seal(arm: str) -> str:
    """Encrypt an arm letter read from an imported list."""
    return arm_cipher.encrypt_arm(arm, _key())


def seal_many(arms: Iterable[str]) -> list[str]:
    key = _key()
    return [arm_cipher.encrypt_arm(arm, key) for arm in arms]


def _open(token: str, key: str | None = None) -> str:
    return arm_cipher.decrypt_arm(token, key or _key())


# ------------------------------------------------------------------ access for a person


def statistician_unblinded() -> bool:
    """roles.md C2: the database lock in force (participants.locks, the same record that
    opens day-10 biology) AND a recorded unblinding authorisation. Lifting the database
    lock closes the statistician's access again."""
    from participants.locks import database_locked
    from randomization.models import UnblindingAuthorisation

    return database_locked() and UnblindingAuthorisation.objects.exists()


def can_see_arm(user: Visitor) -> bool:
    roles = roles_of(user)
    if Role.RANDOMIZATION_MANAGER in roles:
        return True
    return Role.STATISTICIAN in roles and statistician_unblinded()


def require_arm_access(user: Visitor) -> None:
    if not (has_capability(user, Capability.SEE_ARM) and can_see_arm(user)):
        raise PermissionDenied


def arm_of_slot(slot: Any, *, user: Visitor) -> str:
    require_arm_access(user)
    return _open(slot.arm_token)


def arm_of_kit(kit: Any, *, user: Visitor) -> str:
    require_arm_access(user)
    return _open(kit.arm_token)


def unblinded_allocations(*, user: Visitor) -> list[dict[str, Any]]:
    """Every allocation with its arm, for the unblinded listing."""
    from randomization.models import Allocation

    require_arm_access(user)
    key = _key()
    rows = []
    allocations = Allocation.objects.select_related(
        "participant", "site", "slot", "slot__allocation_list"
    ).order_by("site__code", "slot__seq")
    for allocation in allocations:
        arm = _open(allocation.slot.arm_token, key)
        rows.append(
            {
                "participant_code": allocation.participant.code,
                "site_code": allocation.site.code,
                "seq": allocation.slot.seq,
                "rand_no": allocation.slot.rand_no,
                "randomized_at": allocation.randomized_at,
                "arm": arm,
                # The product behind the letter, as recorded with the list (ADR 0030).
                "product": product_label(arm, allocation.slot.allocation_list),
            }
        )
    return rows


def emergency_arm(unblinding: Any, *, user: Visitor) -> str:
    """The arm of the unblinded participant, once, to the investigator who unblinded.

    The caller must hold the unblinding row locked (select_for_update) in its transaction.
    """
    from randomization.models import Allocation

    if (
        unblinding.unblinded_by_id != user.pk
        or not has_capability(user, Capability.EMERGENCY_UNBLIND, unblinding.site_id)
        or unblinding.arm_shown_at is not None
        or timezone.now() - unblinding.unblinded_at > EMERGENCY_DISPLAY_WINDOW
    ):
        raise PermissionDenied
    allocation = Allocation.objects.select_related("slot").get(
        participant_id=unblinding.participant_id
    )
    unblinding.arm_shown_at = timezone.now()
    unblinding.save(update_fields=["arm_shown_at"])
    return _open(allocation.slot.arm_token)


def product_label(arm: str, allocation_list: Any = None) -> str:
    """The product behind an arm code: as recorded with the allocation list at its import
    (docs/decisions/0030); for a list loaded before products were recorded, the
    PLATINIUM_ARM_PRODUCTS setting ("A=interferon gamma-1b,B=placebo"); else "" (the
    letter only)."""
    recorded = getattr(allocation_list, "products", None) or {}
    if recorded.get(arm):
        return str(recorded[arm])
    mapping = getattr(settings, "PLATINIUM_ARM_PRODUCTS", "") or ""
    for item in mapping.split(","):
        letter, _sep, product = item.partition("=")
        if letter.strip() == arm and product.strip():
            return product.strip()
    return ""


# --------------------------------------------------------------- access for the server


def kits_matching_slot(slot_token: str, kits: Iterable[tuple[Any, str]]) -> Iterator[Any]:
    """Ids of the kits (id, arm_token) holding the slot's arm, in the given order.

    Lazy, so the caller can stop after the first few (earliest expiry first).
    """
    key = _key()
    arm = _open(slot_token, key)
    for kit_id, token in kits:
        if _open(token, key) == arm:
            yield kit_id


def balanced_selection(kits: Iterable[tuple[Any, str]], per_arm: int) -> list[Any] | None:
    """``per_arm`` kit ids of each arm, first ones in the given order; None if short.

    Used to fill arm-agnostic shipments: the result is a flat list of ids.
    """
    key = _key()
    chosen: dict[str, list[Any]] = {arm: [] for arm in p.ARMS}
    for kit_id, token in kits:
        bucket = chosen[_open(token, key)]
        if len(bucket) < per_arm:
            bucket.append(kit_id)
        if all(len(b) == per_arm for b in chosen.values()):
            return [kit_id for arm in p.ARMS for kit_id in chosen[arm]]
    return None


def arm_counts_are_balanced(tokens: Iterable[str]) -> bool:
    """True if the tokens hold each arm equally often (checks shipments; no arm returned)."""
    key = _key()
    counts = dict.fromkeys(p.ARMS, 0)
    for token in tokens:
        counts[_open(token, key)] += 1
    return len(set(counts.values())) == 1
