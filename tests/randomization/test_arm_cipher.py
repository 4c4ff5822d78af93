"""Arm encryption at rest: round trip, blinding by size, tamper and key handling."""

from __future__ import annotations

import pytest

from randomization import arm_cipher as ac


@pytest.fixture
def key() -> str:
    return ac.generate_key()


@pytest.mark.parametrize("arm", ["A", "B"])
def test_encrypted_arm_decrypts_to_the_same_arm(key: str, arm: str) -> None:
    assert ac.decrypt_arm(ac.encrypt_arm(arm, key), key) == arm


def test_ciphertexts_of_a_and_b_have_the_same_length(key: str) -> None:
    lengths = {len(ac.encrypt_arm(arm, key)) for arm in ["A", "B"] * 50}
    assert len(lengths) == 1


def test_encrypting_the_same_arm_twice_gives_different_tokens(key: str) -> None:
    assert ac.encrypt_arm("A", key) != ac.encrypt_arm("A", key)


def test_token_does_not_contain_the_arm_in_clear(key: str) -> None:
    token = ac.encrypt_arm("A", key)
    assert token.isascii() and "arm" not in token.lower()


def test_decrypting_with_another_key_fails(key: str) -> None:
    token = ac.encrypt_arm("B", key)
    with pytest.raises(ac.ArmCipherError):
        ac.decrypt_arm(token, ac.generate_key())


def test_a_tampered_token_is_refused(key: str) -> None:
    token = ac.encrypt_arm("A", key)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(ac.ArmCipherError):
        ac.decrypt_arm(tampered, key)
    with pytest.raises(ac.ArmCipherError):
        ac.decrypt_arm("not a token é", key)


def test_encrypting_an_unknown_arm_is_refused(key: str) -> None:
    with pytest.raises(ValueError):
        ac.encrypt_arm("C", key)


@pytest.mark.parametrize("bad_key", ["", "short", "x" * 44])
def test_a_malformed_key_is_refused_without_echoing_it(bad_key: str) -> None:
    with pytest.raises(ac.ArmCipherError) as exc_info:
        ac.encrypt_arm("A", bad_key)
    assert str(exc_info.value) in {
        "malformed arm encryption key",
        "no arm encryption key configured",
    }


def test_key_rotation_decrypts_old_tokens_and_reencrypts_with_the_new_key(key: str) -> None:
    old_token = ac.encrypt_arm("B", key)
    new_key = ac.generate_key()
    rotating = f"{new_key},{key}"
    assert ac.decrypt_arm(old_token, rotating) == "B"
    rotated = ac.rotate_token(old_token, rotating)
    assert ac.decrypt_arm(rotated, new_key) == "B"
    with pytest.raises(ac.ArmCipherError):
        ac.decrypt_arm(rotated, key)
