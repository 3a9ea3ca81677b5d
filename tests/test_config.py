import os
import stat

import pytest

from zhibu.app import create_app
from zhibu.config import SETTINGS, ConfigError, build_config, normalize_database_url


def test_defaults_need_nothing_installed(tmp_path):
    config = build_config(tmp_path, None, environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'zhibu.sqlite3'}"
    assert config["ZHIBU_REDIS_URL"] is None  # jobs run inline
    assert config["ZHIBU_PLUGINS"] is None  # every installed plugin


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    first = build_config(tmp_path, None, environ={})["SECRET_KEY"]
    second = build_config(tmp_path, None, environ={})["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_environment_is_read_and_test_config_wins(tmp_path):
    environ = {
        "ZHIBU_DATABASE_URL": "postgres://u@db/zhibu",
        "ZHIBU_PLUGINS": "akesu_college, enterprise_5std",
        "ZHIBU_SESSION_IDLE_MINUTES": "15",
        "ZHIBU_SECRET_KEY": "from-env",
    }
    config = build_config(tmp_path, {"ZHIBU_SESSION_IDLE_MINUTES": 5}, environ)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/zhibu"
    assert config["ZHIBU_PLUGINS"] == ["akesu_college", "enterprise_5std"]
    assert config["ZHIBU_SESSION_IDLE_MINUTES"] == 5
    assert config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(("raw", "expected"), [("*", None), ("", []), ("a,,b", ["a", "b"])])
def test_plugin_selection_syntax(tmp_path, raw, expected):
    assert build_config(tmp_path, None, {"ZHIBU_PLUGINS": raw})["ZHIBU_PLUGINS"] == expected


def test_a_bad_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="ZHIBU_SESSION_IDLE_MINUTES"):
        build_config(tmp_path, None, {"ZHIBU_SESSION_IDLE_MINUTES": "half an hour"})
    with pytest.raises(ConfigError, match="ZHIBU_SQL_ECHO"):
        build_config(tmp_path, None, {"ZHIBU_SQL_ECHO": "maybe"})


def test_database_urls_people_write_are_accepted():
    assert normalize_database_url("postgresql://x/y") == "postgresql+psycopg://x/y"
    assert normalize_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_create_app_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIBU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ZHIBU_PLUGINS", "county_observation")
    app = create_app()
    assert app.instance_path == str(tmp_path)
    assert app.config["ZHIBU_PLUGINS"] == ["county_observation"]
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith(str(tmp_path / "zhibu.sqlite3"))


def test_every_setting_is_documented():
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in doc]
    assert not missing, f"document these settings in docs/operations.md: {missing}"
