"""Allocation list: seeded generation, parsing, import checks and QC report.

Pure Python (no Django). The generator is for the independent statistician
(``randomization_manager``) and for demo/UAT data; the checks are what the Django
import runs before a single row is written.

File format (UTF-8, "\\n" newlines)::

    # PLATINIUM allocation list
    # generator: platinium-allocation/1
    # list_version: 1
    # env: UAT
    # arms: A,B
    # products: A=interferon gamma-1b,B=placebo
    # ratio: 1:1
    # strata: 01,02,...,23
    # block_sizes: 2,4
    # min_slots_per_stratum: 330
    stratum_code,seq,block_id,block_size,arm,rand_no
    01,1,01-001,4,B,7KQ2XMAR
    ...
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import random
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from randomization import parameters as p
from randomization.messages import Message, gettext_noop

COLUMNS: tuple[str, ...] = ("stratum_code", "seq", "block_id", "block_size", "arm", "rand_no")
# Bump when the drawing algorithm changes: a recorded seed regenerates the same
# file only with the same generator version.
GENERATOR_ID = "platinium-allocation/1"
REQUIRED_HEADER_KEYS: tuple[str, ...] = (
    "list_version",
    "env",
    "arms",
    "ratio",
    "strata",
    "block_sizes",
)

_SEED_RE = re.compile(r"[0-9a-fA-F]{32}")
# Restricted so that a version can never break the "# key: value" header line.
_VERSION_RE = re.compile(r"[0-9A-Za-z._-]{1,20}")
_RAND_NO_RE = re.compile(r"[0-9A-Z]{4,32}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_HEADER_RE = re.compile(r"#\s*([a-z_]+)\s*:\s*(.*?)\s*")
# A product name sits in "A=name,B=name": no comma, no "=", no control character.
_PRODUCT_RE = re.compile(r"[^,=\x00-\x1f\x7f]{1,80}")

# --- msgids (module constants so the Django layer and tests can match on them) ---
MSG_NOT_UTF8 = gettext_noop("The file is not valid UTF-8 text.")
MSG_HEADER_MISSING_KEY = gettext_noop("The header comment has no %(key)s line.")
MSG_HEADER_DUPLICATE_KEY = gettext_noop("The header comment has two %(key)s lines.")
MSG_HEADER_BAD_VALUE = gettext_noop("The header value of %(key)s is not valid: %(value)s.")
MSG_COLUMNS = gettext_noop(
    "Line %(line)d: the columns must be exactly %(expected)s, found %(found)s."
)
MSG_NO_COLUMN_HEADER = gettext_noop("The file has no column header line.")
MSG_ROW_FIELD_COUNT = gettext_noop("Line %(line)d: expected %(expected)d fields, found %(found)d.")
MSG_ROW_BAD_INTEGER = gettext_noop("Line %(line)d: %(column)s is not a whole number: %(value)s.")
MSG_ROW_BAD_RAND_NO = gettext_noop("Line %(line)d: malformed randomization number %(rand_no)s.")
MSG_ROW_EMPTY_FIELD = gettext_noop("Line %(line)d: %(column)s is empty.")
MSG_COMMENT_AFTER_HEADER = gettext_noop(
    "Line %(line)d: comment lines are only allowed before the column header."
)
MSG_NO_ROWS = gettext_noop("The file contains no allocation rows.")
MSG_WRONG_ENV = gettext_noop(
    "This list was generated for environment %(found)s, but this server is %(expected)s."
)
MSG_SHA_MALFORMED = gettext_noop("The declared SHA-256 is not a 64-character hexadecimal hash.")
MSG_SHA_MISMATCH = gettext_noop(
    "SHA-256 mismatch: the file hashes to %(actual)s, the declared hash is %(declared)s."
)
MSG_PARAM_MISMATCH = gettext_noop(
    "The list declares %(key)s %(found)s, but the study is configured for %(expected)s."
)
MSG_NO_PRODUCTS = gettext_noop(
    "The list does not say which product each arm is: its header needs a line such as "
    "“# products: A=interferon gamma-1b,B=placebo”, without which an emergency unblinding "
    "could only name a letter."
)
MSG_PRODUCT_MISSING = gettext_noop("The products line names no product for arm %(arm)s.")
MSG_PRODUCT_UNKNOWN_ARM = gettext_noop("The products line names an unknown arm %(arm)s.")
MSG_PRODUCT_BAD = gettext_noop("The products line is not valid: %(value)s.")
MSG_PRODUCT_SAME = gettext_noop("The products line gives the same product to several arms.")
MSG_UNKNOWN_HEADER_STRATUM = gettext_noop("The header declares an unknown stratum %(stratum)s.")
MSG_UNKNOWN_STRATUM = gettext_noop("Line %(line)d: unknown stratum %(stratum)s.")
MSG_UNKNOWN_ARM = gettext_noop("Line %(line)d: unknown arm %(arm)s.")
MSG_DUPLICATE_RAND_NO = gettext_noop(
    "Line %(line)d: duplicate randomization number %(rand_no)s (first at line %(first_line)d)."
)
MSG_DUPLICATE_SLOT = gettext_noop(
    "Line %(line)d: duplicate slot %(seq)d in stratum %(stratum)s (first at line %(first_line)d)."
)
MSG_SEQ_NOT_FROM_ONE = gettext_noop(
    "Stratum %(stratum)s: the sequence starts at %(first)d instead of 1."
)
MSG_SEQ_GAP = gettext_noop(
    "Stratum %(stratum)s: sequence numbers %(start)d to %(end)d are missing."
)
MSG_TOO_FEW_SLOTS = gettext_noop(
    "Stratum %(stratum)s has %(found)d slots; at least %(minimum)d are required."
)
MSG_BLOCK_MIXED_STRATA = gettext_noop("Block %(block_id)s spans several strata.")
MSG_BLOCK_SIZE_INCONSISTENT = gettext_noop("Block %(block_id)s declares different block sizes.")
MSG_BLOCK_SIZE_NOT_ALLOWED = gettext_noop(
    "Block %(block_id)s has size %(size)d, which is not an allowed block size."
)
MSG_BLOCK_ROW_COUNT = gettext_noop(
    "Block %(block_id)s declares size %(size)d but has %(found)d rows."
)
MSG_BLOCK_UNBALANCED = gettext_noop("Block %(block_id)s is unbalanced: %(counts)s.")
MSG_BLOCK_NOT_CONTIGUOUS = gettext_noop(
    "Block %(block_id)s does not cover consecutive sequence numbers."
)
MSG_PREFIX_IMBALANCE = gettext_noop(
    "Stratum %(stratum)s: imbalance of %(imbalance)s at sequence %(seq)d "
    "exceeds the maximum of %(maximum)s."
)
MSG_VERSION_EXISTS = gettext_noop(
    "List version %(version)s has already been loaded for these strata; "
    "a replacement list needs a new version."
)


@dataclass(frozen=True)
class AllocationRow:
    """One slot of the allocation list; ``line`` is the 1-based line in the file."""

    line: int
    stratum_code: str
    seq: int
    block_id: str
    block_size: int
    arm: str
    rand_no: str


@dataclass
class ParsedList:
    """Header metadata and rows; ``errors`` holds the format errors found while parsing."""

    header: dict[str, str] = field(default_factory=dict)
    list_version: str | None = None
    env: str | None = None
    arms: tuple[str, ...] = ()
    # Which product each arm code is (e.g. {"A": "interferon gamma-1b", "B": "placebo"}).
    products: dict[str, str] = field(default_factory=dict)
    ratio: tuple[int, ...] = ()
    strata: tuple[str, ...] = ()
    block_sizes: tuple[int, ...] = ()
    rows: list[AllocationRow] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)


# ----------------------------------------------------------------------------- hashing


def sha256_hex(data: str | bytes) -> str:
    """Lower-case hex SHA-256 of bytes, or of text encoded as UTF-8."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def sha256_file_content(data: str | bytes, filename: str) -> str:
    """Companion file in ``sha256sum`` format, so ``sha256sum -c`` can check it."""
    return f"{sha256_hex(data)}  {filename}\n"


def parse_sha256_declaration(declared: str) -> str:
    """Accept a bare hash or a ``sha256sum`` line; return the lower-case hash part."""
    parts = declared.strip().split()
    return parts[0].lower() if parts else ""


def default_filename(env: str, list_version: str) -> str:
    """Conventional file name, so environment and version are visible before opening."""
    return f"platinium_allocation_{env}_v{list_version}.csv"


# -------------------------------------------------------------------------- generation


def new_seed() -> str:
    """A fresh 128-bit seed for the statistician to record (OS entropy)."""
    import secrets

    return secrets.token_hex(16)


def _validate_generate_args(
    seed_hex: str, env: str, list_version: str, products: Mapping[str, str]
) -> None:
    if not _SEED_RE.fullmatch(seed_hex):
        raise ValueError("seed_hex must be exactly 32 hexadecimal characters (128 bits)")
    if env not in p.ENVIRONMENTS:
        raise ValueError(f"env must be one of {p.ENVIRONMENTS}")
    if not _VERSION_RE.fullmatch(list_version):
        raise ValueError("list_version must be 1-20 characters from [0-9A-Za-z._-]")
    if set(products) != set(p.ARMS) or parse_products(format_products(products)) != dict(products):
        raise ValueError(f"products must name each arm {p.ARMS} once, without ',' or '='")
    if len(set(products.values())) != len(products):
        raise ValueError("products must differ from arm to arm")


def _rng_for(seed_hex: str, env: str) -> random.Random:
    """Private RNG from seed and env: the same seed gives different UAT and PROD lists.

    Hashing (rather than concatenating) makes the derivation unambiguous; the
    version is deliberately not mixed in, because a new list needs a new seed.
    """
    material = b"\0".join(
        [GENERATOR_ID.encode("ascii"), bytes.fromhex(seed_hex), env.encode("ascii")]
    )
    return random.Random(int.from_bytes(hashlib.sha256(material).digest(), "big"))


def _draw_block(rng: random.Random, size: int) -> list[str]:
    """One permuted block holding the arms in the configured ratio."""
    per_unit = size // sum(p.RATIO)
    arms = [arm for arm, r in zip(p.ARMS, p.RATIO, strict=True) for _ in range(r * per_unit)]
    rng.shuffle(arms)
    return arms


def _draw_rand_no(rng: random.Random, used: set[str]) -> str:
    """A random code unique across the list; retries on the (rare) collision."""
    while True:
        code = "".join(rng.choice(p.RAND_NO_ALPHABET) for _ in range(p.RAND_NO_LENGTH))
        if code not in used:
            used.add(code)
            return code


def format_products(products: Mapping[str, str]) -> str:
    """The header value: "A=interferon gamma-1b,B=placebo", in arm order."""
    return ",".join(f"{arm}={products[arm]}" for arm in p.ARMS)


def parse_products(value: str) -> dict[str, str] | None:
    """{"A": ..., "B": ...} from a products header value; None if it is malformed."""
    products: dict[str, str] = {}
    for item in value.split(","):
        arm, sep, name = item.partition("=")
        arm, name = arm.strip(), name.strip()
        if not sep or not arm or arm in products or not _PRODUCT_RE.fullmatch(name):
            return None
        products[arm] = name
    return products


def _header_lines(env: str, list_version: str, products: Mapping[str, str]) -> list[str]:
    return [
        "# PLATINIUM allocation list",
        f"# generator: {GENERATOR_ID}",
        f"# list_version: {list_version}",
        f"# env: {env}",
        f"# arms: {','.join(p.ARMS)}",
        f"# products: {format_products(products)}",
        f"# ratio: {':'.join(str(r) for r in p.RATIO)}",
        f"# strata: {','.join(p.STRATA)}",
        f"# block_sizes: {','.join(str(s) for s in p.BLOCK_SIZES)}",
        f"# min_slots_per_stratum: {p.MIN_SLOTS_PER_STRATUM}",
    ]


def generate(
    seed_hex: str,
    env: str,
    list_version: str = "1",
    *,
    products: Mapping[str, str] = p.DEFAULT_PRODUCTS,
) -> str:
    """Generate the allocation list CSV text, deterministically from seed and env.

    Same seed + env + version + products -> byte-identical text. Each stratum gets whole
    blocks until it holds at least ``MIN_SLOTS_PER_STRATUM`` slots. ``products`` says
    which product each arm code is; the import records it for emergency unblinding.
    """
    _validate_generate_args(seed_hex, env, list_version, products)
    rng = _rng_for(seed_hex.lower(), env)
    used: set[str] = set()
    lines = _header_lines(env, list_version, products)
    lines.append(",".join(COLUMNS))
    for stratum in p.STRATA:
        seq = 0
        block_no = 0
        while seq < p.MIN_SLOTS_PER_STRATUM:
            size = rng.choices(p.BLOCK_SIZES, weights=p.BLOCK_SIZE_WEIGHTS)[0]
            block_no += 1
            block_id = f"{stratum}-{block_no:03d}"
            for arm in _draw_block(rng, size):
                seq += 1
                rand_no = _draw_rand_no(rng, used)
                lines.append(f"{stratum},{seq},{block_id},{size},{arm},{rand_no}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- parsing


def _split_csv_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _parse_header(parsed: ParsedList, comments: list[tuple[int, str]]) -> None:
    seen: set[str] = set()
    for _line_no, text in comments:
        match = _HEADER_RE.fullmatch(text)
        if not match:
            continue  # free-text comment, e.g. the title line
        key, value = match.group(1), match.group(2)
        if key in seen:
            parsed.errors.append(Message(MSG_HEADER_DUPLICATE_KEY, {"key": key}))
            continue
        seen.add(key)
        parsed.header[key] = value
    for key in REQUIRED_HEADER_KEYS:
        if key not in parsed.header:
            parsed.errors.append(Message(MSG_HEADER_MISSING_KEY, {"key": key}))
    if "products" not in parsed.header:
        parsed.errors.append(Message(MSG_NO_PRODUCTS, {}))

    h = parsed.header

    def bad(key: str) -> None:
        parsed.errors.append(Message(MSG_HEADER_BAD_VALUE, {"key": key, "value": h[key]}))

    if "list_version" in h:
        if _VERSION_RE.fullmatch(h["list_version"]):
            parsed.list_version = h["list_version"]
        else:
            bad("list_version")
    if "env" in h:
        parsed.env = h["env"]  # checked against the server in validate()
    for key in ("arms", "strata"):
        if key in h:
            setattr(parsed, key, _split_csv_list(h[key]))
            if not getattr(parsed, key):
                bad(key)
    if "products" in h:
        products = parse_products(h["products"])
        if products is None:
            parsed.errors.append(Message(MSG_PRODUCT_BAD, {"value": h["products"]}))
        else:
            parsed.products = products
    for key, attr, sep in (("ratio", "ratio", ":"), ("block_sizes", "block_sizes", ",")):
        if key in h:
            try:
                setattr(parsed, attr, tuple(int(x) for x in h[key].split(sep)))
            except ValueError:
                bad(key)


def _parse_row(parsed: ParsedList, line_no: int, fields: list[str]) -> None:
    if len(fields) != len(COLUMNS):
        parsed.errors.append(
            Message(
                MSG_ROW_FIELD_COUNT,
                {"line": line_no, "expected": len(COLUMNS), "found": len(fields)},
            )
        )
        return
    values = dict(zip(COLUMNS, (f.strip() for f in fields), strict=True))
    ok = True
    for column in ("stratum_code", "block_id", "arm", "rand_no"):
        if not values[column]:
            parsed.errors.append(Message(MSG_ROW_EMPTY_FIELD, {"line": line_no, "column": column}))
            ok = False
    ints: dict[str, int] = {}
    for column in ("seq", "block_size"):
        try:
            ints[column] = int(values[column])
        except ValueError:
            parsed.errors.append(
                Message(
                    MSG_ROW_BAD_INTEGER,
                    {"line": line_no, "column": column, "value": values[column]},
                )
            )
            ok = False
    if values["rand_no"] and not _RAND_NO_RE.fullmatch(values["rand_no"]):
        parsed.errors.append(
            Message(MSG_ROW_BAD_RAND_NO, {"line": line_no, "rand_no": values["rand_no"]})
        )
        ok = False
    if ok:
        parsed.rows.append(
            AllocationRow(
                line=line_no,
                stratum_code=values["stratum_code"],
                seq=ints["seq"],
                block_id=values["block_id"],
                block_size=ints["block_size"],
                arm=values["arm"],
                rand_no=values["rand_no"],
            )
        )


def parse(text: str) -> ParsedList:
    """Parse the CSV text leniently: every format problem lands in ``errors``.

    Rows that cannot be read are left out of ``rows`` (and reported), so the
    semantic checks in :func:`validate` still run on the rest.
    """
    parsed = ParsedList()
    comments: list[tuple[int, str]] = []
    column_header_seen = False
    for line_no, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if column_header_seen:
                parsed.errors.append(Message(MSG_COMMENT_AFTER_HEADER, {"line": line_no}))
            else:
                comments.append((line_no, line))
            continue
        fields = next(csv.reader([line]))
        if not column_header_seen:
            column_header_seen = True
            if tuple(f.strip() for f in fields) != COLUMNS:
                parsed.errors.append(
                    Message(
                        MSG_COLUMNS,
                        {"line": line_no, "expected": ",".join(COLUMNS), "found": line},
                    )
                )
            continue
        _parse_row(parsed, line_no, fields)
    _parse_header(parsed, comments)
    if not column_header_seen:
        parsed.errors.append(Message(MSG_NO_COLUMN_HEADER, {}))
    elif not parsed.rows:
        parsed.errors.append(Message(MSG_NO_ROWS, {}))
    return parsed


# -------------------------------------------------------------------------- validation


def prefix_imbalance(arms: Iterable[str], ratio: Sequence[int] = p.RATIO) -> list[Fraction]:
    """Running imbalance after each slot: spread of (count of arm / its ratio weight).

    For 1:1 this is |n_A - n_B|; a valid permuted-block list never exceeds
    max block size / sum(ratio) (2 for blocks of 2 and 4).
    """
    weights = dict(zip(p.ARMS, ratio, strict=True))
    counts = dict.fromkeys(p.ARMS, 0)
    out: list[Fraction] = []
    for arm in arms:
        if arm in counts:
            counts[arm] += 1
        scaled = [Fraction(counts[a], weights[a]) for a in p.ARMS]
        out.append(max(scaled) - min(scaled))
    return out


def max_allowed_imbalance() -> Fraction:
    """Prefix imbalance that a correct list can reach but never exceed (2 for 1:1, 2/4)."""
    return Fraction(max(p.BLOCK_SIZES), sum(p.RATIO))


def _fmt(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}"


def _check_header(parsed: ParsedList, expected_env: str) -> list[Message]:
    errors: list[Message] = []
    if parsed.env is not None and parsed.env != expected_env:
        errors.append(Message(MSG_WRONG_ENV, {"found": parsed.env, "expected": expected_env}))
    expected_values: list[tuple[str, tuple[object, ...], tuple[object, ...], str]] = [
        ("arms", parsed.arms, p.ARMS, ","),
        ("ratio", parsed.ratio, p.RATIO, ":"),
        ("block_sizes", parsed.block_sizes, p.BLOCK_SIZES, ","),
    ]
    for key, found, expected, sep in expected_values:
        if key in parsed.header and found and tuple(found) != tuple(expected):
            errors.append(
                Message(
                    MSG_PARAM_MISMATCH,
                    {
                        "key": key,
                        "found": sep.join(str(x) for x in found),
                        "expected": sep.join(str(x) for x in expected),
                    },
                )
            )
    errors += _check_products(parsed)
    for stratum, count in Counter(parsed.strata).items():
        if stratum not in p.STRATA:
            errors.append(Message(MSG_UNKNOWN_HEADER_STRATUM, {"stratum": stratum}))
        elif count > 1:
            errors.append(
                Message(MSG_HEADER_BAD_VALUE, {"key": "strata", "value": parsed.header["strata"]})
            )
    return errors


def _check_products(parsed: ParsedList) -> list[Message]:
    """Every arm has its product, no unknown arm, no product for two arms."""
    if not parsed.products:
        return []  # missing or malformed: reported while parsing
    errors = [
        Message(MSG_PRODUCT_UNKNOWN_ARM, {"arm": arm})
        for arm in parsed.products
        if arm not in p.ARMS
    ]
    errors += [
        Message(MSG_PRODUCT_MISSING, {"arm": arm}) for arm in p.ARMS if arm not in parsed.products
    ]
    if len(set(parsed.products.values())) != len(parsed.products):
        errors.append(Message(MSG_PRODUCT_SAME, {}))
    return errors


def _check_sha(declared_sha256: str, raw_bytes: bytes) -> list[Message]:
    declared = parse_sha256_declaration(declared_sha256)
    if not _SHA256_RE.fullmatch(declared):
        return [Message(MSG_SHA_MALFORMED, {})]
    actual = sha256_hex(raw_bytes)
    if actual != declared:
        return [Message(MSG_SHA_MISMATCH, {"actual": actual, "declared": declared})]
    return []


def _check_rows(parsed: ParsedList) -> list[Message]:
    """Per-row checks: known stratum and arm, unique rand_no and (stratum, seq)."""
    errors: list[Message] = []
    declared_strata = set(parsed.strata) & set(p.STRATA)
    first_rand_no: dict[str, int] = {}
    first_slot: dict[tuple[str, int], int] = {}
    for row in parsed.rows:
        if row.stratum_code not in declared_strata:
            errors.append(
                Message(MSG_UNKNOWN_STRATUM, {"line": row.line, "stratum": row.stratum_code})
            )
        if row.arm not in p.ARMS:
            errors.append(Message(MSG_UNKNOWN_ARM, {"line": row.line, "arm": row.arm}))
        if row.rand_no in first_rand_no:
            errors.append(
                Message(
                    MSG_DUPLICATE_RAND_NO,
                    {
                        "line": row.line,
                        "rand_no": row.rand_no,
                        "first_line": first_rand_no[row.rand_no],
                    },
                )
            )
        else:
            first_rand_no[row.rand_no] = row.line
        slot = (row.stratum_code, row.seq)
        if slot in first_slot:
            errors.append(
                Message(
                    MSG_DUPLICATE_SLOT,
                    {
                        "line": row.line,
                        "seq": row.seq,
                        "stratum": row.stratum_code,
                        "first_line": first_slot[slot],
                    },
                )
            )
        else:
            first_slot[slot] = row.line
    return errors


def _rows_by_stratum(rows: Iterable[AllocationRow]) -> dict[str, list[AllocationRow]]:
    grouped: dict[str, list[AllocationRow]] = defaultdict(list)
    for row in rows:
        grouped[row.stratum_code].append(row)
    for stratum_rows in grouped.values():
        stratum_rows.sort(key=lambda r: (r.seq, r.line))
    return grouped


def _check_sequences(parsed: ParsedList) -> list[Message]:
    """Each declared stratum: seq 1..n without gaps, n >= the minimum slot count."""
    errors: list[Message] = []
    grouped = _rows_by_stratum(parsed.rows)
    for stratum in parsed.strata:
        seqs = sorted({r.seq for r in grouped.get(stratum, [])})
        if seqs and seqs[0] != 1:
            errors.append(Message(MSG_SEQ_NOT_FROM_ONE, {"stratum": stratum, "first": seqs[0]}))
        for before, after in itertools.pairwise(seqs):
            if after > before + 1:
                errors.append(
                    Message(
                        MSG_SEQ_GAP, {"stratum": stratum, "start": before + 1, "end": after - 1}
                    )
                )
        if len(seqs) < p.MIN_SLOTS_PER_STRATUM:
            errors.append(
                Message(
                    MSG_TOO_FEW_SLOTS,
                    {"stratum": stratum, "found": len(seqs), "minimum": p.MIN_SLOTS_PER_STRATUM},
                )
            )
    return errors


def _check_block(block_id: str, rows: list[AllocationRow]) -> list[Message]:
    errors: list[Message] = []
    if len({r.stratum_code for r in rows}) > 1:
        errors.append(Message(MSG_BLOCK_MIXED_STRATA, {"block_id": block_id}))
    sizes = {r.block_size for r in rows}
    if len(sizes) > 1:
        errors.append(Message(MSG_BLOCK_SIZE_INCONSISTENT, {"block_id": block_id}))
        return errors
    size = sizes.pop()
    if size not in p.BLOCK_SIZES:
        errors.append(Message(MSG_BLOCK_SIZE_NOT_ALLOWED, {"block_id": block_id, "size": size}))
    if len(rows) != size:
        errors.append(
            Message(MSG_BLOCK_ROW_COUNT, {"block_id": block_id, "size": size, "found": len(rows)})
        )
    counts = Counter(r.arm for r in rows)
    per_unit = Fraction(len(rows), sum(p.RATIO))
    if any(counts.get(arm, 0) != r * per_unit for arm, r in zip(p.ARMS, p.RATIO, strict=True)) or (
        set(counts) - set(p.ARMS)
    ):
        rendered = ", ".join(f"{arm}={counts[arm]}" for arm in sorted(counts))
        errors.append(Message(MSG_BLOCK_UNBALANCED, {"block_id": block_id, "counts": rendered}))
    seqs = sorted(r.seq for r in rows)
    if len(rows) > 1 and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        errors.append(Message(MSG_BLOCK_NOT_CONTIGUOUS, {"block_id": block_id}))
    return errors


def _check_blocks(parsed: ParsedList) -> list[Message]:
    blocks: dict[str, list[AllocationRow]] = defaultdict(list)
    for row in parsed.rows:
        blocks[row.block_id].append(row)
    errors: list[Message] = []
    for block_id, rows in blocks.items():
        errors.extend(_check_block(block_id, rows))
    return errors


def _check_prefix_imbalance(parsed: ParsedList) -> list[Message]:
    """Report the first slot of each stratum where the running imbalance exceeds the limit."""
    errors: list[Message] = []
    limit = max_allowed_imbalance()
    for stratum, rows in sorted(_rows_by_stratum(parsed.rows).items()):
        for row, imbalance in zip(rows, prefix_imbalance(r.arm for r in rows), strict=True):
            if imbalance > limit:
                errors.append(
                    Message(
                        MSG_PREFIX_IMBALANCE,
                        {
                            "stratum": stratum,
                            "imbalance": _fmt(imbalance),
                            "seq": row.seq,
                            "maximum": _fmt(limit),
                        },
                    )
                )
                break
    return errors


def validate(
    parsed: ParsedList,
    *,
    expected_env: str,
    declared_sha256: str,
    raw_bytes: bytes,
    existing_versions: Collection[str] = (),
) -> list[Message]:
    """Every reason to refuse the import; an empty list means the list may be loaded.

    ``declared_sha256`` is a bare hash or a ``sha256sum`` line; ``raw_bytes`` are
    the uploaded bytes exactly as received. ``existing_versions`` are the versions
    already loaded (by the Django layer) for any of ``parsed.strata``.
    """
    if expected_env not in p.ENVIRONMENTS:
        raise ValueError(f"expected_env must be one of {p.ENVIRONMENTS}")
    errors: list[Message] = list(parsed.errors)
    errors += _check_header(parsed, expected_env)
    errors += _check_sha(declared_sha256, raw_bytes)
    if parsed.list_version is not None and parsed.list_version in existing_versions:
        errors.append(Message(MSG_VERSION_EXISTS, {"version": parsed.list_version}))
    errors += _check_rows(parsed)
    errors += _check_sequences(parsed)
    errors += _check_blocks(parsed)
    errors += _check_prefix_imbalance(parsed)
    return errors


def check_upload(
    raw_bytes: bytes,
    *,
    expected_env: str,
    declared_sha256: str,
    existing_versions: Collection[str] = (),
) -> tuple[ParsedList | None, list[Message]]:
    """Decode, parse and validate uploaded bytes in one call (what the import view needs)."""
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Message(MSG_NOT_UTF8, {}), *_check_sha(declared_sha256, raw_bytes)]
    parsed = parse(text)
    return parsed, validate(
        parsed,
        expected_env=expected_env,
        declared_sha256=declared_sha256,
        raw_bytes=raw_bytes,
        existing_versions=existing_versions,
    )


# --------------------------------------------------------------------------------- QC


@dataclass(frozen=True)
class StratumQC:
    """Balance figures of one stratum (unblinded: for the randomization manager only)."""

    stratum_code: str
    slots: int
    arm_counts: dict[str, int]
    balanced: bool
    all_blocks_balanced: bool
    max_prefix_imbalance: Fraction
    blocks_by_size: dict[int, int]


@dataclass(frozen=True)
class QCReport:
    list_version: str | None
    env: str | None
    strata: tuple[StratumQC, ...]
    total_slots: int
    arm_counts: dict[str, int]
    all_blocks_balanced: bool
    max_prefix_imbalance: Fraction
    blocks_by_size: dict[int, int]

    def as_text(self) -> str:
        """Plain-text table for the ``check_allocation_list`` command."""
        arms = p.ARMS
        sizes = sorted(set(p.BLOCK_SIZES) | set(self.blocks_by_size))
        head = (
            f"{'stratum':>7} {'slots':>5} "
            + " ".join(f"{a:>5}" for a in arms)
            + f" {'bal':>4} {'blocks':>6} {'maxpfx':>6} "
            + " ".join(f"{'b' + str(s):>5}" for s in sizes)
        )
        out = [
            f"Allocation list QC: version {self.list_version}, environment {self.env}",
            head,
        ]
        for s in self.strata:
            out.append(
                f"{s.stratum_code:>7} {s.slots:>5} "
                + " ".join(f"{s.arm_counts.get(a, 0):>5}" for a in arms)
                + f" {'yes' if s.balanced else 'no':>4}"
                + f" {'ok' if s.all_blocks_balanced else 'BAD':>6}"
                + f" {_fmt(s.max_prefix_imbalance):>6} "
                + " ".join(f"{s.blocks_by_size.get(z, 0):>5}" for z in sizes)
            )
        out.append(
            f"{'total':>7} {self.total_slots:>5} "
            + " ".join(f"{self.arm_counts.get(a, 0):>5}" for a in arms)
            + f" {'':>4} {'ok' if self.all_blocks_balanced else 'BAD':>6}"
            + f" {_fmt(self.max_prefix_imbalance):>6} "
            + " ".join(f"{self.blocks_by_size.get(z, 0):>5}" for z in sizes)
        )
        out.append(
            f"Maximum prefix imbalance allowed: {_fmt(max_allowed_imbalance())}; "
            f"all blocks balanced: {'yes' if self.all_blocks_balanced else 'NO'}"
        )
        return "\n".join(out) + "\n"


def _stratum_qc(stratum: str, rows: list[AllocationRow]) -> StratumQC:
    counts = Counter(r.arm for r in rows)
    arm_counts = {arm: counts.get(arm, 0) for arm in p.ARMS}
    blocks: dict[str, list[AllocationRow]] = defaultdict(list)
    for r in rows:
        blocks[r.block_id].append(r)
    blocks_ok = all(not _check_block(b, brows) for b, brows in blocks.items())
    sizes = Counter(brows[0].block_size for brows in blocks.values())
    imbalances = prefix_imbalance(r.arm for r in rows)
    total = sum(p.RATIO)
    balanced = all(
        Fraction(arm_counts[a], r) == Fraction(len(rows), total)
        for a, r in zip(p.ARMS, p.RATIO, strict=True)
    )
    return StratumQC(
        stratum_code=stratum,
        slots=len(rows),
        arm_counts=arm_counts,
        balanced=balanced,
        all_blocks_balanced=blocks_ok,
        max_prefix_imbalance=max(imbalances, default=Fraction(0)),
        blocks_by_size=dict(sorted(sizes.items())),
    )


def qc_report(parsed: ParsedList) -> QCReport:
    """Balance and block-mix figures, computed from the rows whatever their validity."""
    grouped = _rows_by_stratum(parsed.rows)
    strata = tuple(_stratum_qc(s, grouped[s]) for s in sorted(grouped))
    total_sizes: Counter[int] = Counter()
    total_arms: Counter[str] = Counter()
    for s in strata:
        total_sizes.update(s.blocks_by_size)
        total_arms.update(s.arm_counts)
    return QCReport(
        list_version=parsed.list_version,
        env=parsed.env,
        strata=strata,
        total_slots=sum(s.slots for s in strata),
        arm_counts={arm: total_arms.get(arm, 0) for arm in p.ARMS},
        all_blocks_balanced=all(s.all_blocks_balanced for s in strata),
        max_prefix_imbalance=max((s.max_prefix_imbalance for s in strata), default=Fraction(0)),
        blocks_by_size=dict(sorted(total_sizes.items())),
    )
