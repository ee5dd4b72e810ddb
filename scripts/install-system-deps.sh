#!/usr/bin/env bash
# Installs the Debian packages the test suite starts as real servers (PostgreSQL, Dovecot)
# and the headless browser of the web UI tests (Chromium, driven by Playwright).
# Does nothing when they are already there; needs root (or sudo) otherwise.
set -euo pipefail

have_postgres() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

have_dovecot() {
    [ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null 2>&1
}

have_chromium() {
    [ -x /usr/bin/chromium ]
}

packages=()
have_postgres || packages+=(postgresql postgresql-contrib)
have_dovecot || packages+=(dovecot-imapd)
have_chromium || packages+=(chromium)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)  # test certificates

if [ "${#packages[@]}" -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "The tests need these packages; install them as root: ${packages[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# The test suite starts its own throwaway servers; the packaged ones are not needed.
$SUDO service postgresql stop >/dev/null 2>&1 || true
$SUDO service dovecot stop >/dev/null 2>&1 || true
have_postgres
have_dovecot
have_chromium
