"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kizuna.kit.errors import Invalid

_hasher = PasswordHasher()
MIN_LENGTH = 10

# A dummy hash so unknown e-mails cost as much time as known ones (no user enumeration).
DUMMY_HASH = _hasher.hash("kizuna-timing-equaliser")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_strength(password: str) -> None:
    """At least 10 characters, not all one kind of character."""
    if len(password) < MIN_LENGTH:
        raise Invalid.field(
            "password", f"must be at least {MIN_LENGTH} characters", code="password_too_short"
        )
    if len(set(password)) < 4:
        raise Invalid.field("password", "is too simple", code="password_too_simple")
