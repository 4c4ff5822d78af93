"""Sponsor-changeable randomization and supply parameters, in one place.

Pure data: no Django import, so the allocation-list generator, the import checks
and the Django layer all read the same values. Changing one of them is a protocol
decision (see docs/trial/randomization.md), not a code change elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# Treatment arms as they appear in the allocation list (the code of each slot); the list's
# "products" header says which product each code is (docs/decisions/0030).
ARMS: Final[tuple[str, ...]] = ("A", "B")
# What the allocation list generator writes in the list's "products" header unless told
# otherwise (protocol.md §1: the experimental and control arms). The list file is the record:
# the import stores its mapping, which reveals nothing without the encrypted arm of a slot.
DEFAULT_PRODUCTS: Final[Mapping[str, str]] = MappingProxyType(
    {"A": "interferon gamma-1b", "B": "placebo"}
)
# Allocation ratio, aligned with ARMS (1:1).
RATIO: Final[tuple[int, ...]] = (1, 1)

# Permuted block sizes and their relative draw weights (equal probability).
BLOCK_SIZES: Final[tuple[int, ...]] = (2, 4)
BLOCK_SIZE_WEIGHTS: Final[tuple[int, ...]] = (1, 1)

# Whole sample (326) per site, rounded up: no stratum can run out of slots.
MIN_SLOTS_PER_STRATUM: Final[int] = 330

# Stratification by site: the 23 registry sites, codes "01".."23".
N_STRATA: Final[int] = 23
STRATA: Final[tuple[str, ...]] = tuple(f"{i:02d}" for i in range(1, N_STRATA + 1))

# Unambiguous alphabet (no I, L, O, S, 0, 1, 5): survives handwriting and phone
# dictation. 29 symbols, a prime, which the check character relies on.
KIT_CODE_ALPHABET: Final[str] = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
KIT_CODE_LENGTH: Final[int] = 6  # payload characters, before the check character
KIT_CODE_CHECK_LENGTH: Final[int] = 1

# Randomization numbers: random, same unambiguous alphabet, no site/sequence info.
# Longer than kit codes (8 vs 7) so that the two are never confused.
RAND_NO_ALPHABET: Final[str] = KIT_CODE_ALPHABET
RAND_NO_LENGTH: Final[int] = 8

# Arm-agnostic resupply: kits per arm, so every shipment holds both arms equally.
RESUPPLY_INITIAL_PER_ARM: Final[int] = 4  # shipped at site activation (4 + 4)
RESUPPLY_TRIGGER_LEVEL: Final[int] = 6  # reorder when available + in transit <= this
RESUPPLY_REORDER_PER_ARM: Final[int] = 2  # reorder quantity (2 + 2)

# A kit is allocated or shipped only if it lasts the whole treatment (D0-D9) with margin.
KIT_MIN_SHELF_LIFE_DAYS: Final[int] = 10

# Deployment environments; an allocation list is bound to exactly one of them.
ENV_UAT: Final[str] = "UAT"
ENV_TRAIN: Final[str] = "TRAIN"
ENV_PROD: Final[str] = "PROD"
ENVIRONMENTS: Final[tuple[str, ...]] = (ENV_UAT, ENV_TRAIN, ENV_PROD)


def _check_consistency() -> None:
    """Fail at import if a sponsor edit makes the parameters contradictory.

    Raises instead of asserting so that the check survives ``python -O``.
    """
    if len(ARMS) != len(RATIO) or len(set(ARMS)) != len(ARMS):
        raise ValueError("ARMS and RATIO must align and ARMS must be unique")
    if len(BLOCK_SIZES) != len(BLOCK_SIZE_WEIGHTS) or not BLOCK_SIZES:
        raise ValueError("BLOCK_SIZES and BLOCK_SIZE_WEIGHTS must align")
    for size in BLOCK_SIZES:
        if size <= 0 or size % sum(RATIO):
            raise ValueError(f"block size {size} cannot hold the ratio {RATIO}")
    if len(set(KIT_CODE_ALPHABET)) != len(KIT_CODE_ALPHABET):
        raise ValueError("KIT_CODE_ALPHABET has repeated characters")
    if len(STRATA) != N_STRATA:
        raise ValueError("STRATA and N_STRATA disagree")


_check_consistency()
