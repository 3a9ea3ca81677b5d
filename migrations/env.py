"""Alembic environment: the owner's engine (``ZHIBU_MIGRATE_DATABASE_URL``, else the app's),
the app's metadata, batch mode for SQLite; after the migrations, the all-tenant key and the
runtime role's grants (see ``zhibu.tenancy.rls.after_upgrade``)."""

from alembic import context
from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from zhibu.config import normalize_database_url
from zhibu.tenancy import rls

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def _skip_empty(context_, revision, directives) -> None:
    """`zhibu db migrate` with no model change writes no empty revision."""
    if getattr(context_.config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []


def run_migrations_offline() -> None:
    context.configure(
        url=str(migrate_ext.db.engine.url),
        target_metadata=target_metadata,
        literal_binds=True,
        **migrate_ext.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def _owner_engine():
    """The engine of the role that owns the tables: ``ZHIBU_MIGRATE_DATABASE_URL``, else
    the app's own; and the app's role when it is another one (the runtime role)."""
    url = current_app.config.get("ZHIBU_MIGRATE_DATABASE_URL")
    if not url:
        return migrate_ext.db.engine, None
    owner = create_engine(normalize_database_url(url))
    runtime = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).username
    return owner, (runtime if runtime != owner.url.username else None)


def run_migrations_online() -> None:
    engine, runtime_role = _owner_engine()
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                process_revision_directives=_skip_empty,
                **migrate_ext.configure_args,
            )
            with context.begin_transaction():
                context.run_migrations()
                rls.after_upgrade(
                    connection, current_app.config.get("ZHIBU_ALL_TENANTS_KEY"), runtime_role
                )
    finally:
        if engine is not migrate_ext.db.engine:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
