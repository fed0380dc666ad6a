#!/usr/bin/env bash
# The one entry point for Railway deploys (see docs/railway.md): a thin wrapper
# of `dbinit deploy`, which ships with the package (an installed dbinit needs no script).
#
#   ./railway-predeploy.sh --schema-only   preDeployCommand: `dbinit deploy --pre-deploy`
#                                          (SQLite: checks the schema files only, touching
#                                          no database, as volumes are not mounted there;
#                                          PostgreSQL: `init`, then `validate`)
#   ./railway-predeploy.sh                 start command, before the app: `dbinit deploy`
#                                          (`init`, then `validate`), JSON logs; exits
#                                          with the first non-zero exit code unchanged
#
# Runs the dbinit found on PATH. Settings come from the environment (DBINIT_*,
# DATABASE_URL, RAILWAY_VOLUME_MOUNT_PATH), never from this script.
set -euo pipefail

usage() {
    echo "usage: $0 [--schema-only]" >&2
    exit 2
}

case "$#:${1-}" in
    0:) args=() ;;
    1:--schema-only) args=(--pre-deploy) ;;
    *) usage ;;
esac

if ! command -v dbinit >/dev/null 2>&1; then
    echo "$0: dbinit not found on PATH (install the dbinit package in this environment)" >&2
    exit 127
fi

exec dbinit deploy "${args[@]}"
