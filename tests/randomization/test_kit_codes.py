"""Kit codes: check character guarantees, normalisation, generation and kit list CSV."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from randomization import kit_codes as kc
from randomization import parameters as p

ALPHABET = p.KIT_CODE_ALPHABET
TODAY = date(2026, 1, 15)
payloads = st.text(alphabet=ALPHABET, min_size=6, max_size=6)


def valid(payload: str) -> str:
    return payload + kc.check_char(payload)


# ---------------------------------------------------------------------- check character


@given(payloads)
def test_a_payload_with_its_check_character_is_valid(payload: str) -> None:
    assert kc.is_valid(valid(payload))


def test_every_single_character_substitution_is_detected_exhaustively() -> None:
    # The check is linear: a substitution at position i changes the weighted sum by
    # weight_i * (new - old), whatever the other characters. One valid code with
    # every position x every other symbol therefore covers every (position,
    # difference) pair, i.e. every substitution in all 29^6 codes.
    code = valid("ABCDEF")
    for i in range(kc.CODE_LENGTH):
        for b in ALPHABET:
            if b != code[i]:
                assert not kc.is_valid(code[:i] + b + code[i + 1 :])


def test_every_adjacent_transposition_is_detected_exhaustively() -> None:
    # Linearity again: a swap changes the sum by (w_i - w_i+1) * (b - a); every
    # adjacent position pair x every ordered pair of distinct symbols is tried.
    for i in range(kc.CODE_LENGTH - 1):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                chars = list("AAAAAAA")
                chars[i], chars[i + 1] = a, b
                swapped = chars.copy()
                swapped[i], swapped[i + 1] = b, a
                # make `chars` valid by fixing position 0 or the last one outside (i, i+1)
                fix = kc.CODE_LENGTH - 1 if i + 1 < kc.CODE_LENGTH - 1 else 0
                for c in ALPHABET:
                    chars[fix] = swapped[fix] = c
                    if kc.is_valid("".join(chars)):
                        break
                assert kc.is_valid("".join(chars))
                assert not kc.is_valid("".join(swapped))


@given(payloads, st.integers(0, 6), st.sampled_from(ALPHABET))
def test_random_substitutions_are_detected(payload: str, pos: int, new: str) -> None:
    code = valid(payload)
    tampered = code[:pos] + new + code[pos + 1 :]
    assert kc.is_valid(tampered) == (tampered == code)


@given(payloads, st.integers(0, 6), st.integers(0, 6))
def test_any_two_character_swap_is_detected(payload: str, i: int, j: int) -> None:
    code = list(valid(payload))
    code[i], code[j] = code[j], code[i]
    swapped = "".join(code)
    assert kc.is_valid(swapped) == (swapped == valid(payload))


@pytest.mark.parametrize("bad", ["", "ABCDE", "ABCDEFG1", "ABCDEI", "abcdef"])
def test_check_char_refuses_malformed_payloads(bad: str) -> None:
    with pytest.raises(ValueError):
        kc.check_char(bad)


@pytest.mark.parametrize("bad", ["", "ABCDEF", "ABCDEFGH", "ABCDEF0", "ABCDEFI"])
def test_is_valid_refuses_wrong_length_or_foreign_characters(bad: str) -> None:
    assert not kc.is_valid(bad)


# -------------------------------------------------------------------------- normalise


@pytest.mark.parametrize("noise", ["{}\r\n", "  {}\n", "\t{}\r", "{}"])
def test_normalise_strips_scanner_whitespace_and_upper_cases(noise: str) -> None:
    code = valid("K7MP2X")
    assert kc.normalise(noise.format(code.lower())) == code
    assert kc.is_valid(kc.normalise(noise.format(code)))


def test_normalise_does_not_repair_internal_damage() -> None:
    code = valid("K7MP2X")
    assert not kc.is_valid(kc.normalise(code[:3] + " " + code[3:]))


# ------------------------------------------------------------------------- generation


def test_generated_codes_are_unique_valid_and_avoid_existing_codes() -> None:
    existing = set(kc.generate_kit_codes(50))
    codes = kc.generate_kit_codes(2000, existing=existing)
    assert len(codes) == len(set(codes)) == 2000
    assert all(kc.is_valid(c) for c in codes)
    assert existing.isdisjoint(codes)


def test_generation_uses_secrets_by_default_and_a_given_rng_reproducibly() -> None:
    assert kc.generate_kit_codes(20) != kc.generate_kit_codes(20)
    assert kc.generate_kit_codes(20, rng=random.Random(7)) == kc.generate_kit_codes(
        20, rng=random.Random(7)
    )
    assert kc.generate_kit_codes(0) == []
    with pytest.raises(ValueError):
        kc.generate_kit_codes(-1)


def test_kit_list_has_both_arms_equally_in_shuffled_order() -> None:
    text = kc.generate_kit_list(50, "LOT-001", date(2027, 6, 30), rng=random.Random(1))
    lines = text.splitlines()
    assert lines[0] == "kit_code,arm,lot,expiry"
    arms = [line.split(",")[1] for line in lines[1:]]
    assert Counter(arms) == {"A": 50, "B": 50}
    assert arms != sorted(arms)  # not grouped by arm
    result = kc.parse_kit_list(text, today=TODAY)
    assert result.ok and len(result.rows) == 100
    assert result.rows[0].expiry == date(2027, 6, 30) and result.rows[0].lot == "LOT-001"


def test_kit_code_carries_no_arm_information() -> None:
    text = kc.generate_kit_list(400, "L1", date(2027, 1, 1), rng=random.Random(3))
    rows = kc.parse_kit_list(text, today=TODAY).rows
    first_chars = {arm: Counter(r.kit_code[0] for r in rows if r.arm == arm) for arm in "AB"}
    # same symbol distribution for both arms (loose bound: ~14 kits per symbol and arm)
    assert set(first_chars["A"]) == set(first_chars["B"]) == set(ALPHABET)


def test_generate_kit_list_refuses_a_lot_that_would_break_the_csv() -> None:
    with pytest.raises(ValueError):
        kc.generate_kit_list(1, "LOT,1", date(2027, 1, 1))
    with pytest.raises(ValueError):
        kc.generate_kit_list(1, " ", date(2027, 1, 1))


# ---------------------------------------------------------------------- kit list parse


def kit_list(*rows: str) -> str:
    return "kit_code,arm,lot,expiry\n" + "".join(f"{r}\n" for r in rows)


def test_parse_kit_list_reports_every_refusal_with_its_line() -> None:
    good, other = valid("ABCDEF"), valid("GHJKMN")
    bad_check = good[:6] + ("A" if good[6] != "A" else "B")
    text = kit_list(
        f"{good},A,L1,2027-01-01",  # line 2: fine
        f"{good},B,L1,2027-01-01",  # line 3: duplicate
        f"{bad_check},A,L1,2027-01-01",  # line 4: check character
        f"{other},C,L1,2027-01-01",  # line 5: arm
        f"{valid('PQRTUV')},A,L1,01/02/2027",  # line 6: expiry format
        f"{valid('WXYZ23')},B,L1,2026-01-14",  # line 7: expired yesterday
        f"{valid('467899')},B,,2027-01-01",  # line 8: empty lot
        f"{valid('234678')},B,L1",  # line 9: field count
    )
    result = kc.parse_kit_list(text, today=TODAY)
    by_line = {e.params["line"]: e.msgid for e in result.errors}
    assert by_line == {
        3: kc.MSG_KIT_DUPLICATE,
        4: kc.MSG_KIT_INVALID_CODE,
        5: kc.MSG_KIT_UNKNOWN_ARM,
        6: kc.MSG_KIT_BAD_EXPIRY,
        7: kc.MSG_KIT_EXPIRED,
        8: kc.MSG_KIT_EMPTY_LOT,
        9: kc.MSG_KIT_FIELD_COUNT,
    }
    assert [r.line for r in result.rows] == [2]
    assert all(isinstance(e.render(), str) for e in result.errors)


def test_parse_kit_list_accepts_a_kit_expiring_today_and_tolerates_crlf() -> None:
    text = kit_list(f"{valid('ABCDEF')},B,L1,2026-01-15").replace("\n", "\r\n")
    assert kc.parse_kit_list(text, today=TODAY).ok


def test_parse_kit_list_refuses_codes_already_in_the_database() -> None:
    code = valid("ABCDEF")
    result = kc.parse_kit_list(kit_list(f"{code},A,L1,2027-01-01"), today=TODAY, existing={code})
    assert [e.msgid for e in result.errors] == [kc.MSG_KIT_ALREADY_KNOWN]


@pytest.mark.parametrize(
    ("text", "msgid"),
    [
        ("", kc.MSG_KIT_NO_COLUMN_HEADER),
        ("kit_code,arm,lot\n", kc.MSG_KIT_COLUMNS),
        ("kit_code,arm,lot,expiry\n", kc.MSG_KIT_NO_ROWS),
    ],
)
def test_parse_kit_list_refuses_malformed_files(text: str, msgid: str) -> None:
    assert [e.msgid for e in kc.parse_kit_list(text, today=TODAY).errors] == [msgid]
