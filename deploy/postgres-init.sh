#!/bin/sh
# First start of the postgres container: two roles, neither SUPERUSER nor BYPASSRLS.
# - zhibu owns the database and its tables: `zhibu db upgrade` (the migrate service)
#   connects as it;
# - zhibu_app is the runtime role of the web app and the workers: it owns nothing, and is
#   granted rows of every table after each upgrade (no DDL, no TRUNCATE), so it can neither
#   switch row-level security off nor open every tenant without the app's key.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE zhibu LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB
  PASSWORD '${ZHIBU_DB_PASSWORD}';
CREATE ROLE zhibu_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB
  PASSWORD '${ZHIBU_APP_DB_PASSWORD}';
CREATE DATABASE zhibu OWNER zhibu;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname zhibu <<SQL
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
