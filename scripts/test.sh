#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it.
#
# This is the README's test command and what .ci/run calls.  As root on
# Debian it installs the peers the interoperability tests drive (ipmitool,
# FreeIPMI, OpenIPMI's ipmi_sim, groff for the man-page lint; dnsmasq, dhclient,
# udhcpc, tcpdump for the DHCP relay; lldpd for LLDP; dhcrelay and perfdhcp for its bench); the Python
# side goes into ./.venv, after which deptry checks the declared
# dependencies, ruff checks chassisctl/, tests/ and bench/, and mypy chassisctl/,
# before pytest runs everything (tests/install/ builds a wheel
# and installs it into its own venv, as a user would).  With CI=true, tests that need root, namespaces or
# a peer binary fail instead of skipping when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(python3-venv ipmitool freeipmi-tools openipmi groff-base iproute2 procps systemd
      dnsmasq-base isc-dhcp-client udhcpc busybox tcpdump util-linux isc-dhcp-relay kea-admin lldpd)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${DEBS[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# Every third-party import in chassisctl/ must be declared in [project]
# dependencies, and every declared dependency used ([tool.deptry] in
# pyproject.toml).  The test extra installs more than users get, so a missing
# declaration is invisible to the tests; tests/install/ then checks the wheel
# as users install it.
if ! .venv/bin/deptry --no-ansi chassisctl; then
    echo "test.sh: chassisctl imports a package pyproject.toml does not declare (or declares one it never uses): see above" >&2
    exit 1
fi

# Lint and types ([tool.ruff] and [tool.mypy] in pyproject.toml): every
# finding is fixed in the code, and a remaining noqa or type: ignore says why
# on the same line (tests/test_lint_reasons.py).
if ! .venv/bin/ruff check --no-cache chassisctl tests bench; then
    echo "test.sh: ruff found problems in chassisctl/, tests/ or bench/ (see above)" >&2
    exit 1
fi
if ! .venv/bin/mypy; then
    echo "test.sh: mypy found type errors in chassisctl/ (see above)" >&2
    exit 1
fi

exec .venv/bin/python -m pytest -n 2 --dist loadfile -q "$@"
