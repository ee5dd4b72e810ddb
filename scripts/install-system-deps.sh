#!/usr/bin/env bash
# Installs the Debian packages the test suite starts as real servers (PostgreSQL).
# Does nothing when they are already there; needs root (or sudo) otherwise.
set -euo pipefail

have_postgres() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

if have_postgres; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "PostgreSQL is needed for the tests; install the 'postgresql' package as root." >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null
# The test suite starts its own throwaway cluster; the packaged one is not needed.
$SUDO service postgresql stop >/dev/null 2>&1 || true
have_postgres
