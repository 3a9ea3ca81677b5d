"""Password hashing with argon2 (argon2-cffi defaults), and passwords made for people.

A password a person chose is hashed with argon2-cffi's defaults. A password made here
(:func:`generate_password`: an account's initial password, an administrator's reset) is
random, about 60 bits of it, and is changed at its first use: it is hashed with a lighter
profile (:func:`hash_generated`: one pass over 1 MiB, about 2 ms against 100 ms or more),
so that a tenant's two thousand members get their accounts in seconds rather than minutes.
Its first login rehashes it with the defaults (``needs_rehash``).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# for random generated passwords only: brute force is hopeless whatever the hash costs
_generated = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# letters and digits that cannot be misread on a printed slip (no 0/O/o, 1/l/I, 5/S, 2/Z)
LOWER = "abcdefghijkmnpqrstuvwxyz"
UPPER = "ABCDEFGHJKLMNPQRTUVWXY"
DIGITS = "346789"
SYMBOLS = "#%+=@"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_generated(password: str) -> str:
    """The hash of a password made by :func:`generate_password` (see the module)."""
    return _generated.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password(length: int = 12) -> str:
    """A random password of ``length`` (at least 12) characters easy to copy from paper:
    lower case with at least one upper-case letter, one digit and one symbol, so that it
    passes every policy :func:`zhibu.accounts.password_policy.password_problems` may apply."""
    length = max(length, 12)
    alphabet = LOWER + UPPER + DIGITS
    chars = [secrets.choice(UPPER), secrets.choice(DIGITS), secrets.choice(SYMBOLS)]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
