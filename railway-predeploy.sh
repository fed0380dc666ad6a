#!/usr/bin/env bash
# The one entry point for Railway deploys (see README.md, "Railway").
#
#   ./railway-predeploy.sh --schema-only   preDeployCommand: check the schema files only;
#                                          touches no database (volumes are not mounted there)
#   ./railway-predeploy.sh                 start command, before the app: `dbinit init`, then
#                                          `dbinit validate`, JSON logs; exits with the first
#                                          non-zero exit code unchanged
#
# On PostgreSQL (DBINIT_DATABASE_URL, else DATABASE_URL, is a postgresql:// or
# postgres:// URL) the database is reachable from the pre-deploy command, so the
# script runs `dbinit init` then `dbinit validate` wherever it is called, with or
# without --schema-only: the new version starts only after both succeeded.
#
# Runs the dbinit found on PATH. Settings come from the environment (DBINIT_*,
# DATABASE_URL, RAILWAY_VOLUME_MOUNT_PATH), never from this script.
set -euo pipefail

usage() {
    echo "usage: $0 [--schema-only]" >&2
    exit 2
}

case "$#:${1-}" in
    0:) mode=full ;;
    1:--schema-only) mode=schema ;;
    *) usage ;;
esac

if ! command -v dbinit >/dev/null 2>&1; then
    echo "$0: dbinit not found on PATH (install it with: pip install .)" >&2
    exit 127
fi

url="${DBINIT_DATABASE_URL:-${DATABASE_URL:-}}"
case "$url" in
    postgresql://* | postgres://* | POSTGRESQL://* | POSTGRES://*) mode=full ;;
esac

if [ "$mode" = schema ]; then
    exec dbinit validate --schema-only
fi

status=0
dbinit init --log-format json || status=$?
if [ "$status" -ne 0 ]; then
    exit "$status"
fi
dbinit validate --log-format json || status=$?
exit "$status"
