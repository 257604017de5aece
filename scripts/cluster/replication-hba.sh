#!/bin/sh
# docker-compose.yml's `db`, first start only (/docker-entrypoint-initdb.d): let the hot standby of the `cluster`
# profile stream from this server (docs/SCALING.md), and turn JIT off for every connection (PgBouncer drops
# Django's "-c jit=off" startup option).
set -e
echo "host replication all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
echo "jit = off" >>"$PGDATA/postgresql.conf"
