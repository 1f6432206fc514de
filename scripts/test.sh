#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it.
#
# This is the README's test command and what .ci/run calls.  As root on
# Debian it installs the peers the interoperability tests drive (ipmitool,
# FreeIPMI, OpenIPMI's ipmi_sim, groff for the man-page lint); the Python
# side goes into ./.venv.  With CI=true, tests that need root, namespaces or
# a peer binary fail instead of skipping when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(python3-venv ipmitool freeipmi-tools openipmi groff-base iproute2 procps)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${DEBS[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest -n 2 --dist loadfile -q "$@"
