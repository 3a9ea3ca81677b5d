"""ID-card numbers at rest: the key (configured or generated once), encryption, the keyed
digest and the mask."""

import hashlib
import stat

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from zhibu.config import ConfigError
from zhibu.members import crypto

NUMBER = "11010519491231002X"


def make_app(instance, **config) -> Flask:
    app = Flask("zhibu-test", instance_path=str(instance))
    app.config.update(config)
    return app


def test_a_key_is_generated_once_into_the_instance_folder(tmp_path):
    instance = tmp_path / "instance"
    with make_app(instance).app_context():
        token = crypto.encrypt(NUMBER)
        first_digest = crypto.digest(NUMBER)
    key_file = instance / "id_card_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    Fernet(key_file.read_text().strip().encode())  # a valid Fernet key
    with make_app(instance).app_context():  # a restart reads the same key
        assert crypto.decrypt(token) == NUMBER
        assert crypto.digest(NUMBER) == first_digest


def test_a_configured_key_wins_and_no_file_is_written(tmp_path):
    key = Fernet.generate_key().decode()
    with make_app(tmp_path, ZHIBU_ID_CARD_KEY=key).app_context():
        token = crypto.encrypt(NUMBER)
        assert crypto.decrypt(token) == NUMBER
    assert not (tmp_path / "id_card_key").exists()
    other = Fernet.generate_key().decode()
    app = make_app(tmp_path, ZHIBU_ID_CARD_KEY=other)
    with app.app_context(), pytest.raises(ValueError, match="ZHIBU_ID_CARD_KEY"):
        crypto.decrypt(token)


def test_tokens_are_randomized_and_never_hold_the_number(tmp_path):
    with make_app(tmp_path).app_context():
        first, second = crypto.encrypt(NUMBER), crypto.encrypt(NUMBER)
    assert first != second
    assert NUMBER not in first and NUMBER[:6] not in first


def test_the_digest_is_keyed_stable_and_fits_the_column(tmp_path):
    one = crypto.IdCardCipher.from_key(Fernet.generate_key())
    two = crypto.IdCardCipher.from_key(Fernet.generate_key())
    digest = one.digest(NUMBER)
    assert digest == one.digest(NUMBER)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest != two.digest(NUMBER)
    assert digest != hashlib.sha256(NUMBER.encode()).hexdigest()
    assert digest != one.digest("110105194912310038")


@pytest.mark.parametrize("bad", ["secret", "", "x" * 44])
def test_a_key_that_is_not_a_fernet_key_names_the_setting(tmp_path, bad):
    app = make_app(tmp_path, ZHIBU_ID_CARD_KEY=bad or " ")
    with app.app_context(), pytest.raises(ConfigError, match="ZHIBU_ID_CARD_KEY"):
        crypto.encrypt(NUMBER)


def test_mask_keeps_the_address_code_and_the_last_four():
    assert crypto.mask(NUMBER) == "110105********002X"
    assert crypto.mask("1234567890") == "**********"
