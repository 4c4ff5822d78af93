"""Encryption of the arm letter at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Pure crypto, no role checks: the single Django module allowed to decrypt wraps
these functions and checks the caller's role. The key comes from the caller
(environment variable, never the database).

Blinding: every arm letter has the same length, and Fernet's token length depends
only on the plaintext length, so the ciphertexts of A and B are indistinguishable
by size. Each token embeds a random IV, so equal arms do not give equal tokens.

Key rotation: ``key`` may hold several comma-separated keys; the first encrypts,
all are tried to decrypt (``MultiFernet``).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from randomization import parameters as p

# Fail at import if a sponsor edit gave arms of different lengths: token size
# would then reveal the arm.
if len({len(arm) for arm in p.ARMS}) != 1:
    raise ValueError("all arm codes must have the same length to keep ciphertexts blind")


class ArmCipherError(Exception):
    """Token cannot be decrypted with the given key(s), or does not hold a known arm."""


def generate_key() -> str:
    """A new urlsafe-base64 32-byte key, as text for an environment variable."""
    return Fernet.generate_key().decode("ascii")


def _fernet(key: str) -> MultiFernet:
    keys = [k.strip() for k in key.split(",") if k.strip()]
    if not keys:
        raise ArmCipherError("no arm encryption key configured")
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        # Do not echo the key material in the message.
        raise ArmCipherError("malformed arm encryption key") from exc


def encrypt_arm(arm: str, key: str) -> str:
    """Token (ASCII text) for one arm letter; ValueError for an unknown arm."""
    if arm not in p.ARMS:
        raise ValueError("unknown arm")
    return _fernet(key).encrypt(arm.encode("ascii")).decode("ascii")


def decrypt_arm(token: str, key: str) -> str:
    """The arm letter inside ``token``; ArmCipherError if tampered, wrong key or unknown arm."""
    try:
        arm = _fernet(key).decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise ArmCipherError("arm token cannot be decrypted") from exc
    if arm not in p.ARMS:
        raise ArmCipherError("arm token holds an unknown arm")
    return arm


def rotate_token(token: str, key: str) -> str:
    """Re-encrypt ``token`` under the first key of ``key`` (for key rotation)."""
    try:
        return _fernet(key).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise ArmCipherError("arm token cannot be decrypted") from exc
