-- Runs once, when the postgres container initialises an empty data volume.
-- Pathwise connects as an ordinary role: row-level security is skipped for superusers and for
-- roles with BYPASSRLS, so the application role must have neither.
-- The password is for the local docker-compose stack only.
CREATE ROLE pathwise LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'pathwise';
CREATE DATABASE pathwise OWNER pathwise;
