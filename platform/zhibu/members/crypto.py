"""ID-card numbers at rest: encrypted with Fernet, looked up by a keyed digest, shown masked.

The key is ``ZHIBU_ID_CARD_KEY`` (a Fernet key: 32 url-safe base64-encoded bytes, as
``cryptography.fernet.Fernet.generate_key()`` makes) or, when that is unset, a key
generated once into ``<instance_path>/id_card_key`` (mode 0600), the way
:func:`zhibu.config.load_secret_key` makes the session key.

The digest that the unique ``(tenant_id, id_card_digest)`` key and imports look members up
by is HMAC-SHA256 of the number, keyed with material derived from the same key (HKDF), so
the digest cannot be recomputed from a list of numbers without the key. Losing the key
loses every stored number: back it up with the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from zhibu.config import ConfigError

CONFIG_KEY = "ZHIBU_ID_CARD_KEY"
KEY_FILE = "id_card_key"
_EXTENSION = "zhibu.id_card_cipher"
_DIGEST_INFO = b"zhibu id-card digest v1"


@dataclass(frozen=True)
class IdCardCipher:
    """Encrypts, decrypts and digests with one key (no Flask needed: build it from bytes)."""

    fernet: Fernet
    digest_key: bytes

    @classmethod
    def from_key(cls, key: str | bytes) -> IdCardCipher:
        raw = _decode_key(key)
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DIGEST_INFO)
        return cls(Fernet(base64.urlsafe_b64encode(raw)), hkdf.derive(raw))

    def encrypt(self, number: str) -> str:
        return self.fernet.encrypt(number.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self.fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise ValueError(
                "身份证号密文无法解密（密钥不对？）/ cannot decrypt the ID card number: "
                f"is {CONFIG_KEY} the key it was encrypted with?"
            ) from exc

    def digest(self, number: str) -> str:
        return hmac.new(self.digest_key, number.encode(), hashlib.sha256).hexdigest()


def _decode_key(key: str | bytes) -> bytes:
    text = key.strip() if isinstance(key, str) else key.decode("ascii", "replace").strip()
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(
            f"{CONFIG_KEY} must be a Fernet key (32 bytes, url-safe base64); make one with "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    return raw


def load_key(instance_path: Path) -> str:
    """Read ``<instance_path>/id_card_key``, creating it (mode 0600) on first use."""
    path = instance_path / KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    instance_path.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def cipher(app: Flask | None = None) -> IdCardCipher:
    """The cipher of ``app`` (default: the current app), built once per app."""
    app = app or current_app._get_current_object()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        key = app.config.get(CONFIG_KEY) or load_key(Path(app.instance_path))
        found = app.extensions[_EXTENSION] = IdCardCipher.from_key(key)
    return found


def encrypt(number: str) -> str:
    """The Fernet token of ``number`` (a fresh one each time: tokens are randomized)."""
    return cipher().encrypt(number)


def decrypt(token: str) -> str:
    return cipher().decrypt(token)


def digest(number: str) -> str:
    """HMAC-SHA256 hex of the (normalized) number: equal numbers, equal digests."""
    return cipher().digest(number)


def mask(number: str) -> str:
    """``110105********002X``: the address code and the last four characters only."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
