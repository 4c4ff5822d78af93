"""Management commands of the allocation and kit lists."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from randomization import allocation_list
from randomization.models import AllocationList, Kit, Slot, Stratum

SEED = "00112233445566778899aabbccddeeff"


def generate(tmp_path: Path, name: str = "list.csv", env: str = "UAT", version: str = "1") -> Path:
    out = tmp_path / name
    call_command("generate_allocation_list", seed=SEED, env=env, out=str(out), list_version=version)
    return out


def test_generating_twice_from_one_seed_gives_byte_identical_files(tmp_path):
    a = generate(tmp_path, "a.csv")
    b = generate(tmp_path, "b.csv")
    assert a.read_bytes() == b.read_bytes()
    digest, name = (tmp_path / "a.csv.sha256").read_text().split()
    assert digest == hashlib.sha256(a.read_bytes()).hexdigest() and name == "a.csv"


def test_generate_refuses_a_short_seed_and_an_existing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("generate_allocation_list", seed="abc", env="UAT", out=str(tmp_path / "x"))
    generate(tmp_path)
    with pytest.raises(CommandError, match="exists"):
        generate(tmp_path)


def test_check_prints_the_qc_report_of_a_good_list(tmp_path, capsys):
    path = generate(tmp_path)
    call_command("check_allocation_list", str(path), env="UAT")
    out = capsys.readouterr().out
    assert "Allocation list QC: version 1, environment UAT" in out
    assert "passes every import check" in out


def test_check_fails_on_a_tampered_list(tmp_path, capsys):
    path = generate(tmp_path)
    text = path.read_text().replace(",A,", ",B,", 1)
    path.write_text(text)
    with pytest.raises(CommandError, match="problem"):
        call_command("check_allocation_list", str(path), env="UAT")
    err = capsys.readouterr().err
    assert "SHA-256 mismatch" in err and "unbalanced" in err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.django_db
def test_import_loads_every_slot_with_the_arm_encrypted(tmp_path, role_users, settings):
    settings.PLATINIUM_ENV = "UAT"
    path = generate(tmp_path)
    call_command(
        "import_allocation_list",
        str(path),
        sha256=sha(path),
        by=role_users["randomization_manager"].username,
    )
    alist = AllocationList.objects.get()
    assert alist.slot_count == Slot.objects.count() >= 23 * 330
    assert Stratum.objects.count() == 23
    tokens = set(Slot.objects.values_list("arm_token", flat=True)[:50])
    assert not tokens & {"A", "B"} and len({len(t) for t in tokens}) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "problem", ["env", "sha", "duplicate_rand_no", "unbalanced", "second_version"]
)
def test_import_refuses_what_the_design_lists(problem, tmp_path, role_users, settings, capsys):
    settings.PLATINIUM_ENV = "UAT"
    by = role_users["randomization_manager"].username
    path = generate(tmp_path, env="PROD" if problem == "env" else "UAT")
    if problem == "second_version":
        call_command("import_allocation_list", str(path), sha256=sha(path), by=by)
        path = generate(tmp_path, "again.csv")
        path.write_bytes(path.read_bytes().replace(b"# PLATINIUM", b"# PLATINIUM copy"))
    if problem == "duplicate_rand_no":
        lines = path.read_text().splitlines()
        row = lines.index(",".join(allocation_list.COLUMNS)) + 1  # the first slot
        first = lines[row].split(",")
        second = lines[row + 1].split(",")
        second[5] = first[5]
        lines[row + 1] = ",".join(second)
        path.write_text("\n".join(lines) + "\n")
    if problem == "unbalanced":
        path.write_text(path.read_text().replace(",A,", ",B,", 1))
    declared = "0" * 64 if problem == "sha" else sha(path)
    before = Slot.objects.count()
    with pytest.raises(CommandError, match="Refused"):
        call_command("import_allocation_list", str(path), sha256=declared, by=by)
    assert Slot.objects.count() == before
    err = capsys.readouterr().err
    expected = {
        "env": "generated for environment PROD",
        "sha": "SHA-256 mismatch",
        "duplicate_rand_no": "duplicate randomization number",
        "unbalanced": "unbalanced",
        "second_version": "already been loaded",
    }[problem]
    assert expected in err


@pytest.mark.django_db
def test_import_refuses_a_user_who_is_not_randomization_manager(tmp_path, role_users, settings):
    settings.PLATINIUM_ENV = "UAT"
    path = generate(tmp_path)
    with pytest.raises(CommandError, match="not a randomization manager"):
        call_command(
            "import_allocation_list",
            str(path),
            sha256=sha(path),
            by=role_users["statistician"].username,
        )
    assert not Slot.objects.exists()


@pytest.mark.django_db
def test_kit_list_generated_then_imported_lands_at_the_depot_encrypted(tmp_path, role_users):
    out = tmp_path / "kits.csv"
    expiry = (dt.date.today() + dt.timedelta(days=700)).isoformat()
    call_command("generate_kit_list", per_arm=10, lot="L1", expiry=expiry, out=str(out))
    call_command(
        "import_kit_list",
        str(out),
        sha256=sha(out),
        by=role_users["randomization_manager"].username,
    )
    assert Kit.objects.filter(status=Kit.Status.AT_DEPOT).count() == 20
    assert not Kit.objects.filter(arm_token__in=["A", "B"]).exists()
    # The same file again: refused (known codes and the same file).
    with pytest.raises(CommandError, match="Refused"):
        call_command(
            "import_kit_list",
            str(out),
            sha256=sha(out),
            by=role_users["randomization_manager"].username,
        )
    assert Kit.objects.count() == 20


@pytest.mark.django_db
def test_kit_list_import_refuses_a_hash_mismatch_and_bad_codes(tmp_path, role_users, capsys):
    out = tmp_path / "kits.csv"
    out.write_text("kit_code,arm,lot,expiry\nAAAAAAB,A,L1,2099-01-01\n")
    with pytest.raises(CommandError):
        call_command(
            "import_kit_list",
            str(out),
            sha256="1" * 64,
            by=role_users["randomization_manager"].username,
        )
    err = capsys.readouterr().err
    assert "SHA-256 mismatch" in err and "not valid" in err
    assert not Kit.objects.exists()


def test_qc_report_is_reused_from_the_pure_module():
    parsed = allocation_list.parse(allocation_list.generate(SEED, "UAT"))
    assert allocation_list.qc_report(parsed).all_blocks_balanced
