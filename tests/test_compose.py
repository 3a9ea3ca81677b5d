"""docker-compose.yml: it parses, has the production shape, and runs only real commands.

Docker does not run on this machine, so this is the check we can make."""

import importlib
import shlex
from pathlib import Path

import pytest
import yaml

from zhibu.cli import cli

ROOT = Path(__file__).parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def _argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def _shell_parts(argv: list[str]) -> list[list[str]]:
    """`sh -c "a && exec b"` → [[a…], [b…]]."""
    if argv[:2] == ["sh", "-c"]:
        parts = [shlex.split(p) for p in argv[2].split("&&")]
        return [p[1:] if p and p[0] == "exec" else p for p in parts]
    return [argv]


def _check_project_command(argv: list[str]) -> None:
    program = argv[0]
    if program == "zhibu":
        from flask.cli import ScriptInfo

        ctx = cli.make_context(
            "zhibu", ["--help"], resilient_parsing=True, obj=ScriptInfo(create_app=_app)
        )
        with ctx:  # closing it pops the app context get_command pushed
            assert cli.get_command(ctx, argv[1]) is not None, f"no command `zhibu {argv[1]}`"
    elif program == "gunicorn":
        module, _, attribute = argv[-1].partition(":")
        assert importlib.util.find_spec(module) is not None, f"{module} is not importable"
        assert attribute == "app"
        assert "gunicorn" in (ROOT / "pyproject.toml").read_text(), "gunicorn is not a dependency"
    elif program == "python":
        compile(argv[argv.index("-c") + 1], "<healthcheck>", "exec")
    else:
        pytest.fail(f"unexpected program {program!r} in docker-compose.yml")


def _app():
    from zhibu.app import create_app

    return create_app({"SECRET_KEY": "x"})


def test_production_shape():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "scheduler"}
    one_shot = {"migrate"}
    assert all("healthcheck" in SERVICES[name] for name in set(SERVICES) - one_shot)
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "pgdata" in COMPOSE["volumes"]
    assert SERVICES["worker"]["environment"] == SERVICES["web"]["environment"]


def test_migrations_run_as_the_owner_and_the_app_as_the_runtime_role():
    init = next(v for v in SERVICES["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = (ROOT / init.split(":")[0]).read_text(encoding="utf-8")
    for role in ("zhibu", "zhibu_app"):
        assert f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS" in script
    assert "CREATE DATABASE zhibu OWNER zhibu;" in script
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["zhibu", "db", "upgrade"]
    owner = migrate["environment"]["ZHIBU_MIGRATE_DATABASE_URL"]
    assert owner.startswith("postgresql://zhibu:")
    for name in ("web", "worker", "scheduler"):
        environment = SERVICES[name]["environment"]
        assert environment["ZHIBU_DATABASE_URL"].startswith("postgresql://zhibu_app:")
        assert "ZHIBU_MIGRATE_DATABASE_URL" not in environment  # no owner password there
        assert "ZHIBU_SECURE_COOKIES" not in environment  # production: Secure cookies
    assert migrate["environment"]["ZHIBU_DATABASE_URL"] == owner.replace(
        "zhibu:${ZHIBU_DB_PASSWORD}", "zhibu_app:${ZHIBU_APP_DB_PASSWORD}"
    )
    assert SERVICES["web"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


@pytest.mark.parametrize("service", ["migrate", "web", "worker", "scheduler"])
def test_every_command_exists_in_the_project(service):
    definition = SERVICES[service]
    commands = [_argv(definition["command"])]
    if "healthcheck" in definition:
        commands.append(_argv(definition["healthcheck"]["test"])[1:])  # after "CMD"
    for argv in commands:
        for part in _shell_parts(argv):
            _check_project_command(part)


def test_the_image_default_command_exists():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    _check_project_command(yaml.safe_load(cmd[4:]))
