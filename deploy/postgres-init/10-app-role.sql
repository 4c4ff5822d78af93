-- PLATINIUM EDC: the application's database role (docs/decisions/0002-audit-trail.md).
-- The postgres image runs this once, when the `db` volume is first initialised, as
-- POSTGRES_USER: that role owns the tables and runs the migrations (`migrate` service).
-- web, worker and beat connect as the role created here, which owns nothing; its rights
-- (DML, but only SELECT/INSERT on the audit trail) are granted after every migrate
-- (audit/dbroles.py, PLATINIUM_APP_DB_ROLE). psql 15 reads the names from the environment.
\set ON_ERROR_STOP on
\getenv app_user POSTGRES_APP_USER
\getenv app_password POSTGRES_APP_PASSWORD

CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- Nobody but the owner creates objects in the schema (the PostgreSQL 15 default, made explicit).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- No temporary tables (one named like an event table would take the history inserts).
REVOKE TEMPORARY ON DATABASE :"DBNAME" FROM PUBLIC;
