"""serve under systemd: the shipped unit verifies, and the notify protocol is spoken.

``systemd-analyze verify`` checks the unit as systemd would load it (keys,
the ExecStart binary, the man pages named in Documentation=); the notify
test plays systemd's part with a datagram socket, as ``Type=notify`` with
``WatchdogSec=`` does.
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from interop import serve_fixture as sf

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "chassisctl.service"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(UNIT)
    return parser


def test_the_unit_asks_for_what_serve_needs_and_nothing_more() -> None:
    service = _unit()["Service"]
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert service["ExecStart"].endswith("chassisctl serve")
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert int(service["WatchdogSec"]) > 0
    assert set(service["CapabilityBoundingSet"].split()) == {"CAP_NET_RAW", "CAP_NET_BIND_SERVICE"}
    assert service["AmbientCapabilities"] == service["CapabilityBoundingSet"]
    assert service["DevicePolicy"] == "closed" and service["DeviceAllow"] == "char-i2c rw"
    assert service["RuntimeDirectory"] == "chassisctl" and service["NoNewPrivileges"] == "yes"
    assert "chassisctl config check" in service["ExecStartPre"]


@pytest.mark.root
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is not installed (required under CI=true)")
        pytest.skip("systemd-analyze not installed")
    # The binary is wherever pip put it here; everything else is the shipped file.
    chassisctl = Path(sys.executable).with_name("chassisctl")
    unit = tmp_path / "chassisctl.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/chassisctl", str(chassisctl)))
    man = tmp_path / "man"  # the pages Documentation= names, from this tree
    for page in ("chassisctl-serve.8", "chassisctl.toml.5"):
        (man / f"man{page[-1]}").mkdir(parents=True, exist_ok=True)
        (man / f"man{page[-1]}" / page).symlink_to(REPO / "man" / page)
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, MANPATH=str(man)))
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done


def test_notify_ready_watchdog_reload_and_stopping(tmp_path: Path) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    notify.bind(str(path))
    notify.settimeout(10)
    serve = sf.Serve(tmp_path / "serve", extra_env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "200000"})

    def messages(until: str) -> list[str]:
        seen = []
        while True:
            text = notify.recv(4096).decode()
            seen.append(text)
            if until in text:
                return seen

    try:
        serve.start()
        ready = messages("READY=1")
        assert any("STATUS=IPMI over LAN on 127.0.0.1:" in m for m in ready), ready
        assert "WATCHDOG=1" in messages("WATCHDOG=1")[-1]  # every 0.1 s: half of WATCHDOG_USEC
        serve.proc.send_signal(signal.SIGHUP)
        around = [m for m in messages("READY=1") if "WATCHDOG" not in m]
        assert around[0].startswith("RELOADING=1\nMONOTONIC_USEC=") and around[-1].startswith("READY=1"), around
        serve.proc.send_signal(signal.SIGTERM)
        assert "STOPPING=1" in messages("STOPPING=1")[-1]
        assert serve.proc.wait(10) == 0
    finally:
        serve.stop()
        notify.close()
