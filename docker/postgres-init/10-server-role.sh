#!/bin/sh
# The role the server connects as (docker-compose.yml). The postgres image runs this once,
# when it initialises an empty data directory. The role is no superuser and can create
# neither roles nor databases; it owns the database, and so (PostgreSQL 15) its `public`
# schema, where the migrations create tables, indexes, functions and the trusted extension
# pg_trgm.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$WALDUR_DB_USER" -v password="$WALDUR_DB_PASSWORD" -v database="$WALDUR_DB_NAME" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE :"database" OWNER :"role";
SQL
