"""The Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate

from zhibu import config as config_module
from zhibu.db import db, read_json
from zhibu.plugins import EXTENSION, registry
from zhibu.plugins.manager import PluginRegistry, build_plugin_manager

migrate = Migrate()

PLUGINS_KEY = EXTENSION  # kept for code written before zhibu.plugins.registry()
plugin_registry = registry  # the same: import zhibu.plugins.registry instead


def migrations_directory() -> str:
    root = config_module.source_tree_root()
    if root is None:
        raise RuntimeError("the migrations folder ships with the source tree; run from a checkout")
    return str(root / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, database, plugins, API, pages and commands.

    :param test_config: settings that win over the environment (tests pass the database
        URL and ``ZHIBU_PLUGINS`` here).
    """
    overrides = dict(test_config or {})
    instance_path = Path(
        overrides.get("ZHIBU_INSTANCE_PATH")
        or os.environ.get("ZHIBU_INSTANCE_PATH")
        or config_module.default_instance_path()
    ).resolve()
    app = Flask("zhibu", instance_path=str(instance_path), instance_relative_config=True)
    app.config.update(config_module.build_config(instance_path, overrides, os.environ))
    engine_options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    engine_options.setdefault("json_deserializer", read_json)
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if postgres and not app.config["ZHIBU_DATABASE_PREPARED"]:
        engine_options.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
    from zhibu.tenancy.rls import all_tenants_key

    app.config["ZHIBU_ALL_TENANTS_KEY"] = all_tenants_key(app.config["SECRET_KEY"])

    import zhibu.audit
    import zhibu.models  # noqa: F401  (registers every model on the metadata)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=migrations_directory(), compare_type=True, render_as_batch=True
    )

    from zhibu.plugins import builtin

    plugins = build_plugin_manager(app.config["ZHIBU_PLUGINS"], defaults=(builtin,))
    app.extensions[EXTENSION] = plugins

    from zhibu.api import init_api
    from zhibu.web import init_web

    _trust_proxies(app)
    _reset_scope_per_request(app)
    _end_reads_with_commit(app)
    init_api(app)
    init_web(app)
    _authorize_api_tenants_first(app)
    _register_plugin_contributions(app, plugins)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind ``ZHIBU_TRUSTED_PROXIES`` reverse proxies, the client's address (the login
    throttle counts by it) and scheme (HTTPS) are the ones they forwarded."""
    proxies = app.config["ZHIBU_TRUSTED_PROXIES"]
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _reset_scope_per_request(app: Flask) -> None:
    from zhibu.tenancy.scope import reset_scope

    app.before_request(reset_scope)
    app.teardown_request(lambda exc: reset_scope())


def _end_reads_with_commit(app: Flask) -> None:
    """A request that only read ends its PostgreSQL transaction with COMMIT, not the
    ROLLBACK the session's removal sends: the two are the same to the database, but the
    driver drops every statement it prepared on the connection at a ROLLBACK, and so
    would plan each of a page's statements afresh on every request. Any other request is
    rolled back as before, unless its view committed."""
    from zhibu.tenancy.scope import only_read

    def commit_reads(exc: BaseException | None) -> None:
        if exc is None and only_read(db.session()):
            try:
                db.session.commit()
            except Exception:  # a connection lost at the end: what the request read stands
                app.logger.warning("the end of a reading transaction failed", exc_info=True)
                db.session.rollback()

    app.teardown_request(commit_reads)


def _authorize_api_tenants_first(app: Flask) -> None:
    """After the page session's user is loaded (``init_web``): see
    :func:`zhibu.api.security.authorize_tenant_first`."""
    from zhibu.api.security import authorize_tenant_first

    app.before_request(authorize_tenant_first)


def _register_plugin_contributions(app: Flask, loaded: PluginRegistry) -> None:
    import flask_smorest

    from zhibu.api import api

    for blueprint in loaded.contributions["blueprints"].values():
        if isinstance(blueprint, flask_smorest.Blueprint):  # API resources: documented
            api.register_blueprint(blueprint)
        else:
            app.register_blueprint(blueprint)
    for name, command in loaded.contributions["commands"].items():
        if name in app.cli.commands:
            raise RuntimeError(f"plugin command {name!r} clashes with a command of the app")
        app.cli.add_command(command)
