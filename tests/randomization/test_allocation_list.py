"""Allocation list: deterministic generation, balance properties and import refusals."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest

from randomization import allocation_list as al
from randomization import parameters as p
from randomization.messages import Message

SEED = "00112233445566778899aabbccddeeff"
OTHER_SEED = "ffeeddccbbaa99887766554433221100"


@pytest.fixture(scope="module")
def text() -> str:
    return al.generate(SEED, "UAT")


@pytest.fixture(scope="module")
def parsed(text: str) -> al.ParsedList:
    return al.parse(text)


def check(text: str, *, env: str = "UAT", sha: str | None = None, existing=()) -> list[Message]:
    """Validate ``text`` with a hash declared for exactly these bytes unless ``sha`` is given."""
    raw = text.encode("utf-8")
    parsed = al.parse(text)
    return al.validate(
        parsed,
        expected_env=env,
        declared_sha256=sha if sha is not None else al.sha256_hex(raw),
        raw_bytes=raw,
        existing_versions=existing,
    )


def msgids(errors: list[Message]) -> set[str]:
    return {e.msgid for e in errors}


def edit_rows(text: str, edit: Callable[[list[list[str]]], None]) -> str:
    """Apply ``edit`` to the data rows (as field lists) and rebuild the file text."""
    lines = text.splitlines()
    first_row = next(i for i, line in enumerate(lines) if line.startswith("stratum_code,")) + 1
    rows = [line.split(",") for line in lines[first_row:]]
    edit(rows)
    return "\n".join(lines[:first_row] + [",".join(r) for r in rows]) + "\n"


# ------------------------------------------------------------------------- generation


def test_same_seed_env_and_version_regenerate_a_byte_identical_file(text: str) -> None:
    assert al.generate(SEED, "UAT").encode() == text.encode()
    assert al.generate(SEED.upper(), "UAT") == text


def test_different_seeds_give_different_lists(text: str) -> None:
    other = al.parse(al.generate(OTHER_SEED, "UAT"))
    assert [r.arm for r in other.rows] != [r.arm for r in al.parse(text).rows]


def test_same_seed_gives_different_lists_in_uat_and_prod(parsed: al.ParsedList) -> None:
    prod = al.parse(al.generate(SEED, "PROD"))
    assert prod.env == "PROD"
    assert [r.arm for r in prod.rows] != [r.arm for r in parsed.rows]
    assert {r.rand_no for r in prod.rows}.isdisjoint({r.rand_no for r in parsed.rows})


def test_file_uses_unix_newlines_and_no_trailing_spaces(text: str) -> None:
    assert "\r" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert all(line == line.rstrip() for line in text.splitlines())


def test_header_carries_version_env_ratio_strata_and_block_sizes(text: str) -> None:
    parsed = al.parse(al.generate(SEED, "TRAIN", list_version="3"))
    assert parsed.errors == []
    assert parsed.list_version == "3"
    assert parsed.env == "TRAIN"
    assert parsed.ratio == (1, 1)
    assert parsed.arms == ("A", "B")
    assert parsed.strata == tuple(f"{i:02d}" for i in range(1, 24))
    assert parsed.block_sizes == (2, 4)
    header_end = text.splitlines().index(",".join(al.COLUMNS))
    assert all(line.startswith("#") for line in text.splitlines()[:header_end])


def test_seed_does_not_appear_in_the_file(text: str) -> None:
    assert SEED not in text.lower()


@pytest.mark.parametrize("seed", ["", "0011", SEED + "00", "g" * 32, " " + SEED[1:]])
def test_generate_refuses_a_seed_that_is_not_128_bit_hex(seed: str) -> None:
    with pytest.raises(ValueError):
        al.generate(seed, "UAT")


def test_generate_refuses_unknown_environment_and_unsafe_version() -> None:
    with pytest.raises(ValueError):
        al.generate(SEED, "DEV")
    with pytest.raises(ValueError):
        al.generate(SEED, "UAT", list_version="1\n# env: PROD")


def test_new_seed_is_128_bit_hex_and_accepted_by_generate() -> None:
    seed = al.new_seed()
    assert len(seed) == 32 and int(seed, 16) >= 0
    assert al.generate(seed, "UAT")


def test_every_stratum_has_at_least_330_slots_of_whole_blocks(parsed: al.ParsedList) -> None:
    per_stratum = Counter(r.stratum_code for r in parsed.rows)
    assert set(per_stratum) == set(p.STRATA) and len(per_stratum) == 23
    for count in per_stratum.values():
        # whole blocks covering 330: at most max block - 1 beyond the minimum
        assert p.MIN_SLOTS_PER_STRATUM <= count < p.MIN_SLOTS_PER_STRATUM + max(p.BLOCK_SIZES)


def test_every_block_is_balanced_and_has_its_declared_size(parsed: al.ParsedList) -> None:
    blocks: dict[str, list[al.AllocationRow]] = defaultdict(list)
    for row in parsed.rows:
        blocks[row.block_id].append(row)
    for rows in blocks.values():
        assert len(rows) == rows[0].block_size
        assert Counter(r.arm for r in rows) == {"A": len(rows) // 2, "B": len(rows) // 2}


def test_blocks_of_2_and_4_are_drawn_in_roughly_equal_numbers(parsed: al.ParsedList) -> None:
    report = al.qc_report(parsed)
    n2, n4 = report.blocks_by_size[2], report.blocks_by_size[4]
    # ~2,500 blocks: a 45-55 % band is about 5 standard deviations wide.
    assert 0.45 < n2 / (n2 + n4) < 0.55


def test_prefix_imbalance_never_exceeds_2_in_any_stratum(parsed: al.ParsedList) -> None:
    report = al.qc_report(parsed)
    assert report.max_prefix_imbalance <= 2
    assert all(s.max_prefix_imbalance <= 2 for s in report.strata)


def test_rand_no_is_unique_random_and_unrelated_to_site_or_sequence(
    parsed: al.ParsedList,
) -> None:
    rand_nos = [r.rand_no for r in parsed.rows]
    assert len(set(rand_nos)) == len(rand_nos)
    assert all(len(n) == p.RAND_NO_LENGTH for n in rand_nos)
    assert all(set(n) <= set(p.RAND_NO_ALPHABET) for n in rand_nos)
    # no shared prefix by stratum: the first two characters vary within a stratum
    first_stratum = [r.rand_no[:2] for r in parsed.rows if r.stratum_code == "01"]
    assert len(set(first_stratum)) > 100


def test_block_ids_are_unique_within_the_list(parsed: al.ParsedList) -> None:
    strata_by_block: dict[str, set[str]] = defaultdict(set)
    for row in parsed.rows:
        strata_by_block[row.block_id].add(row.stratum_code)
    assert all(len(s) == 1 for s in strata_by_block.values())


def test_generated_list_passes_every_import_check(text: str) -> None:
    assert check(text) == []


def test_sha256_companion_file_is_in_sha256sum_format(text: str) -> None:
    name = al.default_filename("UAT", "1")
    content = al.sha256_file_content(text, name)
    assert content == f"{al.sha256_hex(text.encode())}  {name}\n"
    assert al.sha256_hex(text) == al.sha256_hex(text.encode("utf-8"))
    assert check(text, sha=content) == []


# ------------------------------------------------------------------------- QC report


def test_qc_report_counts_arms_blocks_and_slots(parsed: al.ParsedList) -> None:
    report = al.qc_report(parsed)
    assert report.total_slots == len(parsed.rows)
    assert len(report.strata) == 23
    assert report.all_blocks_balanced
    assert all(s.balanced and s.arm_counts["A"] == s.arm_counts["B"] for s in report.strata)
    assert sum(report.arm_counts.values()) == report.total_slots
    assert sum(size * n for size, n in report.blocks_by_size.items()) == report.total_slots
    text = report.as_text()
    assert "version 1, environment UAT" in text
    assert text.count("\n") == 23 + 4


def test_qc_report_flags_an_unbalanced_block() -> None:
    def flip_first_arm(rows: list[list[str]]) -> None:
        rows[0][4] = "B" if rows[0][4] == "A" else "A"

    report = al.qc_report(al.parse(edit_rows(al.generate(SEED, "UAT"), flip_first_arm)))
    assert not report.all_blocks_balanced
    assert not report.strata[0].balanced and not report.strata[0].all_blocks_balanced
    assert "BAD" in report.as_text()


# ------------------------------------------------------------------- import refusals


def test_refuses_a_list_generated_for_another_environment() -> None:
    errors = check(al.generate(SEED, "UAT"), env="PROD")
    assert msgids(errors) == {al.MSG_WRONG_ENV}
    assert errors[0].params == {"found": "UAT", "expected": "PROD"}


def test_refuses_a_file_whose_hash_differs_from_the_declared_one(text: str) -> None:
    first = al.parse(text).rows[0]
    tampered = text.replace(f",{first.rand_no}\n", ",ZZZZZZZZ\n", 1)
    assert tampered != text
    assert msgids(check(tampered, sha=al.sha256_hex(text))) == {al.MSG_SHA_MISMATCH}


def test_refuses_a_declared_hash_that_is_not_sha256(text: str) -> None:
    assert msgids(check(text, sha="not-a-hash")) == {al.MSG_SHA_MALFORMED}


def test_refuses_a_duplicate_randomization_number(text: str) -> None:
    def duplicate(rows: list[list[str]]) -> None:
        rows[5][5] = rows[400][5]

    errors = check(edit_rows(text, duplicate))
    assert msgids(errors) == {al.MSG_DUPLICATE_RAND_NO}
    assert errors[0].params["first_line"] < errors[0].params["line"]


def test_refuses_a_duplicate_stratum_and_sequence(text: str) -> None:
    def duplicate_seq(rows: list[list[str]]) -> None:
        rows[1][1] = rows[0][1]

    assert al.MSG_DUPLICATE_SLOT in msgids(check(edit_rows(text, duplicate_seq)))


def test_refuses_an_unbalanced_block(text: str) -> None:
    def flip(rows: list[list[str]]) -> None:
        rows[0][4] = "B" if rows[0][4] == "A" else "A"

    errors = check(edit_rows(text, flip))
    unbalanced = [e for e in errors if e.msgid == al.MSG_BLOCK_UNBALANCED]
    assert len(unbalanced) == 1 and unbalanced[0].params["block_id"] == "01-001"


def test_refuses_a_block_whose_size_does_not_match_its_rows(text: str) -> None:
    def wrong_size(rows: list[list[str]]) -> None:
        block = rows[0][2]
        for row in rows:
            if row[2] == block:
                row[3] = "4" if row[3] == "2" else "2"

    assert al.MSG_BLOCK_ROW_COUNT in msgids(check(edit_rows(text, wrong_size)))


def test_refuses_a_block_size_outside_the_configured_sizes() -> None:
    # stratum 01 rebuilt as blocks of 6 (AAABBB): balanced, but size 6 is not allowed
    def blocks_of_six(rows: list[list[str]]) -> None:
        stratum = [r for r in rows if r[0] == "01"]
        for i, row in enumerate(stratum):
            row[2], row[3], row[4] = f"01-x{i // 6}", "6", "AAABBB"[i % 6]
        del stratum[len(stratum) - len(stratum) % 6 :]

    errors = check(edit_rows(al.generate(SEED, "UAT"), blocks_of_six))
    assert al.MSG_BLOCK_SIZE_NOT_ALLOWED in msgids(errors)
    assert al.MSG_PREFIX_IMBALANCE in msgids(errors)  # AAA reaches an imbalance of 3


def test_refuses_a_prefix_imbalance_even_when_every_block_is_balanced(text: str) -> None:
    # Stratum 02 starts with two interleaved balanced blocks X = slots 1,2,5,6 and
    # Y = slots 3,4,7,8, arms AAAABBBB: each block is 2 A + 2 B, yet after slot 4
    # the stratum is 4 A ahead. The rest becomes AB blocks of 2.
    def interleave(rows: list[list[str]]) -> None:
        stratum = [r for r in rows if r[0] == "02"]
        for i, row in enumerate(stratum):
            if i < 8:
                row[2], row[3], row[4] = f"02-{'XXYYXXYY'[i]}", "4", "AAAABBBB"[i]
            else:
                row[2], row[3], row[4] = f"02-Z{i // 2}", "2", "AB"[i % 2]

    errors = check(edit_rows(text, interleave))
    assert al.MSG_BLOCK_UNBALANCED not in msgids(errors)
    imbalance = [e for e in errors if e.msgid == al.MSG_PREFIX_IMBALANCE]
    assert len(imbalance) == 1
    assert imbalance[0].params == {"stratum": "02", "imbalance": "3", "seq": 3, "maximum": "2"}


def test_prefix_imbalance_check_catches_balanced_strata_with_too_long_runs() -> None:
    arms = "AAABBB" * 55
    assert max(al.prefix_imbalance(arms)) == 3 > al.max_allowed_imbalance()
    assert max(al.prefix_imbalance("ABBAAB" * 55)) == 1


def test_refuses_sequence_gaps_and_a_sequence_not_starting_at_1(text: str) -> None:
    def renumber(rows: list[list[str]]) -> None:
        for row in rows:
            if row[0] == "03":
                row[1] = str(int(row[1]) + 1)  # 2..n+1: does not start at 1
            elif row[0] == "04" and int(row[1]) > 100:
                row[1] = str(int(row[1]) + 5)  # gap 101..105

    errors = check(edit_rows(text, renumber))
    assert {al.MSG_SEQ_NOT_FROM_ONE, al.MSG_SEQ_GAP} <= msgids(errors)
    gap = next(e for e in errors if e.msgid == al.MSG_SEQ_GAP)
    assert gap.params == {"stratum": "04", "start": 101, "end": 105}


def test_refuses_unknown_stratum_and_unknown_arm(text: str) -> None:
    def corrupt(rows: list[list[str]]) -> None:
        rows[0][0] = "99"
        rows[10][4] = "C"

    ids = msgids(check(edit_rows(text, corrupt)))
    assert {al.MSG_UNKNOWN_STRATUM, al.MSG_UNKNOWN_ARM} <= ids


def test_refuses_a_stratum_with_fewer_than_330_slots(text: str) -> None:
    def truncate(rows: list[list[str]]) -> None:
        # drop whole blocks so that only the slot count is wrong
        late_blocks = {r[2] for r in rows if r[0] == "05" and int(r[1]) > 300}
        rows[:] = [r for r in rows if r[2] not in late_blocks]

    errors = check(edit_rows(text, truncate))
    assert msgids(errors) == {al.MSG_TOO_FEW_SLOTS}


def test_refuses_a_header_that_disagrees_with_the_study_parameters(text: str) -> None:
    tampered = text.replace("# block_sizes: 2,4", "# block_sizes: 2,4,6").replace(
        "# strata: 01,", "# strata: 77,01,"
    )
    ids = msgids(check(tampered))
    assert {al.MSG_PARAM_MISMATCH, al.MSG_UNKNOWN_HEADER_STRATUM} <= ids


def test_refuses_a_second_list_with_an_already_loaded_version(text: str) -> None:
    assert msgids(check(text, existing={"1"})) == {al.MSG_VERSION_EXISTS}
    assert check(text, existing={"0"}) == []


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda t: t.replace("# env: UAT\n", ""), al.MSG_HEADER_MISSING_KEY),
        (lambda t: t.replace("# ratio: 1:1", "# ratio: one to one"), al.MSG_HEADER_BAD_VALUE),
        (lambda t: re.sub(r"# strata: .*", "# strata:", t), al.MSG_HEADER_BAD_VALUE),
        (lambda t: t.replace("# env: UAT", "# env: UAT\n# env: UAT"), al.MSG_HEADER_DUPLICATE_KEY),
        (lambda t: t.replace("block_size,arm,rand_no", "arm,block_size,rand_no"), al.MSG_COLUMNS),
        (
            lambda t: t.replace("stratum_code,seq,block_id,block_size,arm,rand_no\n", ""),
            al.MSG_COLUMNS,
        ),
        (lambda t: t.replace("01,1,01-001,", "01,one,01-001,", 1), al.MSG_ROW_BAD_INTEGER),
        (lambda t: t.replace("01,1,01-001,", "01,1,01-001,x,", 1), al.MSG_ROW_FIELD_COUNT),
        (lambda t: t + "# a late comment\n", al.MSG_COMMENT_AFTER_HEADER),
        (
            lambda t: (
                t.split("stratum_code")[0] + "stratum_code,seq,block_id,block_size,arm,rand_no\n"
            ),
            al.MSG_NO_ROWS,
        ),
    ],
)
def test_refuses_a_malformed_file(text: str, tamper: Callable[[str], str], expected: str) -> None:
    assert expected in msgids(check(tamper(text)))


def test_refuses_a_malformed_rand_no(text: str) -> None:
    def lower(rows: list[list[str]]) -> None:
        rows[0][5] = "abc"

    assert al.MSG_ROW_BAD_RAND_NO in msgids(check(edit_rows(text, lower)))


def test_check_upload_refuses_bytes_that_are_not_utf8() -> None:
    raw = b"\xff\xfe garbage"
    parsed, errors = al.check_upload(raw, expected_env="UAT", declared_sha256=al.sha256_hex(raw))
    assert parsed is None and msgids(errors) == {al.MSG_NOT_UTF8}


def test_check_upload_accepts_a_generated_list_and_tolerates_crlf(text: str) -> None:
    raw = text.replace("\n", "\r\n").encode()
    parsed, errors = al.check_upload(raw, expected_env="UAT", declared_sha256=al.sha256_hex(raw))
    assert errors == [] and parsed is not None and len(parsed.rows) > 23 * 330


def test_every_message_renders_with_its_parameters(text: str) -> None:
    def many(rows: list[list[str]]) -> None:
        rows[0][0], rows[1][4], rows[5][5] = "99", "C", rows[6][5]

    errors = check(edit_rows(text, many), env="PROD", sha="0" * 64, existing={"1"})
    assert len(msgids(errors)) >= 6
    assert all(isinstance(e.render(), str) for e in errors)
