"""Kit codes (6 random characters + 1 check character) and the kit list CSV.

Pure Python (no Django). Kit codes carry no information about the arm: they are
drawn with ``secrets`` and the kit list is written in shuffled order.

Check character: position weights 1..7 over the 29-symbol alphabet, chosen so that
``sum(weight_i * value_i) % 29 == 0`` for the full 7-character code. Because 29 is
prime and the weights are distinct and non-zero modulo 29, every single-character
substitution and every transposition of two characters (adjacent or not, check
character included) changes the sum, hence is detected. Luhn mod N cannot promise
that for transpositions.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Collection, MutableSequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar

from randomization import parameters as p
from randomization.messages import Message, gettext_noop

ALPHABET = p.KIT_CODE_ALPHABET
MODULUS = len(ALPHABET)
PAYLOAD_LENGTH = p.KIT_CODE_LENGTH
CODE_LENGTH = p.KIT_CODE_LENGTH + p.KIT_CODE_CHECK_LENGTH
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
KIT_LIST_COLUMNS: tuple[str, ...] = ("kit_code", "arm", "lot", "expiry")

_T = TypeVar("_T")


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


# The detection guarantee needs a prime modulus larger than the code length
# (distinct non-zero weights); fail loudly if a sponsor edit breaks that.
if not _is_prime(MODULUS) or MODULUS <= CODE_LENGTH or p.KIT_CODE_CHECK_LENGTH != 1:
    raise ValueError("kit code alphabet size must be a prime larger than the code length")

MSG_KIT_COLUMNS = gettext_noop("Line %(line)d: the columns must be exactly %(expected)s.")
MSG_KIT_NO_COLUMN_HEADER = gettext_noop("The kit list has no column header line.")
MSG_KIT_NO_ROWS = gettext_noop("The kit list contains no kits.")
MSG_KIT_FIELD_COUNT = gettext_noop("Line %(line)d: expected %(expected)d fields, found %(found)d.")
MSG_KIT_INVALID_CODE = gettext_noop(
    "Line %(line)d: kit code %(kit_code)s is not valid "
    "(wrong characters, length or check character)."
)
MSG_KIT_DUPLICATE = gettext_noop(
    "Line %(line)d: duplicate kit code %(kit_code)s (first at line %(first_line)d)."
)
MSG_KIT_ALREADY_KNOWN = gettext_noop("Line %(line)d: kit code %(kit_code)s already exists.")
MSG_KIT_UNKNOWN_ARM = gettext_noop("Line %(line)d: unknown arm %(arm)s.")
MSG_KIT_EMPTY_LOT = gettext_noop("Line %(line)d: the lot number is empty.")
MSG_KIT_BAD_EXPIRY = gettext_noop(
    "Line %(line)d: expiry date %(value)s is not a date in YYYY-MM-DD format."
)
MSG_KIT_EXPIRED = gettext_noop("Line %(line)d: kit %(kit_code)s expired on %(expiry)s.")


class ChoiceRNG(Protocol):
    """What the code generators need from an RNG (``random.Random`` or ``SystemRandom``)."""

    def choice(self, seq: str) -> str: ...

    def shuffle(self, x: MutableSequence[_T]) -> None: ...


# ---------------------------------------------------------------------- check character


def _weighted_sum(code: str) -> int:
    return sum((i + 1) * _VALUE[ch] for i, ch in enumerate(code))


def check_char(code6: str) -> str:
    """The check character completing a 6-character payload; ValueError if malformed."""
    if len(code6) != PAYLOAD_LENGTH or any(ch not in _VALUE for ch in code6):
        raise ValueError("payload must be 6 characters from the kit code alphabet")
    weight = CODE_LENGTH  # the check character sits at the last position
    value = (-_weighted_sum(code6) * pow(weight, -1, MODULUS)) % MODULUS
    return ALPHABET[value]


def is_valid(code7: str) -> bool:
    """True if ``code7`` is exactly 7 alphabet characters with a correct check character."""
    if len(code7) != CODE_LENGTH or any(ch not in _VALUE for ch in code7):
        return False
    return _weighted_sum(code7) % MODULUS == 0


def normalise(scanned: str) -> str:
    """Clean a typed or scanned code: surrounding whitespace (scanner CR/LF) and case.

    Internal characters are kept as typed, so a damaged scan fails ``is_valid``
    instead of being silently "repaired" into another kit's code.
    """
    return scanned.strip().upper()


# --------------------------------------------------------------------------- generation


def generate_kit_codes(
    n: int, *, rng: ChoiceRNG | None = None, existing: Collection[str] = ()
) -> list[str]:
    """``n`` new unique valid kit codes, none in ``existing``; ``secrets`` by default.

    A seeded ``random.Random`` may be passed for reproducible demo data only.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    chooser: ChoiceRNG = rng if rng is not None else secrets.SystemRandom()
    taken = set(existing)
    codes: list[str] = []
    while len(codes) < n:
        payload = "".join(chooser.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
        code = payload + check_char(payload)
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def generate_kit_list(
    n_per_arm: int,
    lot: str,
    expiry: date,
    *,
    rng: ChoiceRNG | None = None,
    existing: Collection[str] = (),
) -> str:
    """Kit list CSV (``kit_code,arm,lot,expiry``) for demo/UAT, rows in shuffled order.

    Codes are drawn first and arms assigned afterwards, then the rows are shuffled,
    so neither the code nor the row position says anything about the arm.
    """
    if not lot.strip() or any(ch in lot for ch in ',\r\n"'):
        raise ValueError("lot must be non-empty and contain no comma, quote or newline")
    chooser: ChoiceRNG = rng if rng is not None else secrets.SystemRandom()
    codes = generate_kit_codes(n_per_arm * len(p.ARMS), rng=chooser, existing=existing)
    rows = [(code, p.ARMS[i // n_per_arm]) for i, code in enumerate(codes)]
    chooser.shuffle(rows)
    lines = [",".join(KIT_LIST_COLUMNS)]
    lines += [f"{code},{arm},{lot.strip()},{expiry.isoformat()}" for code, arm in rows]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ parsing


@dataclass(frozen=True)
class KitRow:
    """One kit of a kit list; ``line`` is the 1-based line in the file."""

    line: int
    kit_code: str
    arm: str
    lot: str
    expiry: date


@dataclass
class KitListParse:
    """Rows that passed their own checks, and every refusal found (empty = loadable)."""

    rows: list[KitRow] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_kit_row(
    result: KitListParse,
    line_no: int,
    fields: list[str],
    *,
    today: date,
    first_line: dict[str, int],
    existing: Collection[str],
) -> None:
    if len(fields) != len(KIT_LIST_COLUMNS):
        result.errors.append(
            Message(
                MSG_KIT_FIELD_COUNT,
                {"line": line_no, "expected": len(KIT_LIST_COLUMNS), "found": len(fields)},
            )
        )
        return
    code, arm, lot, expiry_text = (f.strip() for f in fields)
    errors: list[Message] = []
    if not is_valid(code):
        errors.append(Message(MSG_KIT_INVALID_CODE, {"line": line_no, "kit_code": code}))
    if code in first_line:
        errors.append(
            Message(
                MSG_KIT_DUPLICATE,
                {"line": line_no, "kit_code": code, "first_line": first_line[code]},
            )
        )
    else:
        first_line[code] = line_no
    if code in existing:
        errors.append(Message(MSG_KIT_ALREADY_KNOWN, {"line": line_no, "kit_code": code}))
    if arm not in p.ARMS:
        errors.append(Message(MSG_KIT_UNKNOWN_ARM, {"line": line_no, "arm": arm}))
    if not lot:
        errors.append(Message(MSG_KIT_EMPTY_LOT, {"line": line_no}))
    expiry: date | None = None
    try:
        # ISO only: "03/04/2027" is ambiguous between French and US readings.
        expiry = date.fromisoformat(expiry_text) if len(expiry_text) == 10 else None
    except ValueError:
        expiry = None
    if expiry is None:
        errors.append(Message(MSG_KIT_BAD_EXPIRY, {"line": line_no, "value": expiry_text}))
    elif expiry < today:
        errors.append(
            Message(
                MSG_KIT_EXPIRED,
                {"line": line_no, "kit_code": code, "expiry": expiry.isoformat()},
            )
        )
    result.errors.extend(errors)
    if not errors and expiry is not None:
        result.rows.append(KitRow(line=line_no, kit_code=code, arm=arm, lot=lot, expiry=expiry))


def parse_kit_list(text: str, *, today: date, existing: Collection[str] = ()) -> KitListParse:
    """Parse and check a kit list; ``today`` comes from the caller (Europe/Paris date).

    ``existing`` holds kit codes already in the database, so a re-used code is refused.
    """
    result = KitListParse()
    first_line: dict[str, int] = {}
    header_seen = False
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    for fields in reader:
        line_no = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if not header_seen:
            header_seen = True
            if tuple(f.strip() for f in fields) != KIT_LIST_COLUMNS:
                result.errors.append(
                    Message(
                        MSG_KIT_COLUMNS, {"line": line_no, "expected": ",".join(KIT_LIST_COLUMNS)}
                    )
                )
                return result
            continue
        _parse_kit_row(
            result, line_no, fields, today=today, first_line=first_line, existing=existing
        )
    if not header_seen:
        result.errors.append(Message(MSG_KIT_NO_COLUMN_HEADER, {}))
    elif not first_line and not result.errors:
        result.errors.append(Message(MSG_KIT_NO_ROWS, {}))
    return result
