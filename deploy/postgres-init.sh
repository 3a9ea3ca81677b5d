#!/bin/sh
# First start of the postgres container: the app's own role, without SUPERUSER or
# BYPASSRLS, owns the zhibu database, so row-level security holds the app to its tenants.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE zhibu LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB
  PASSWORD '${ZHIBU_DB_PASSWORD}';
CREATE DATABASE zhibu OWNER zhibu;
SQL
