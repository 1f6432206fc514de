"""Unmodified ipmitool and FreeIPMI against ``chassisctl serve`` on both example platforms.

``chassisctl serve --config CFG`` runs as a subprocess with ``[bmc] platform
= "compute-4n"`` on the simulator and one IPMI-over-LAN endpoint per node
(``[[nodes]]``, ports chosen by the kernel and read from serve's "ready" log
line); the single-node ``switch-1u`` gets the one ``[ipmi] listen``
endpoint.  Every value the clients print is compared with what the simulated
devices hold: the CLI reads the same devices (``chassisctl ... sensors
--json`` shares serve's state file), and ``chassisctl sim set`` changes a
register from outside, which the clients must then see.

A serve that does not come up fails the tests (never a skip); a missing
client binary skips its checks, except under CI=true where it fails them.  Every
subprocess has a timeout; only processes started here are stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interop.serve_fixture import need

pytestmark = pytest.mark.interop

CHASSISCTL = [sys.executable, "-m", "chassisctl"]
CLIENT_TIMEOUT = 20.0
NODES = ("node1", "node2", "node3", "node4")
_READY = re.compile(r"ready: IPMI over LAN on (.+?) for ")


CONFIG = """\
[bmc]
platform = "{platform}"
bus = "sim:serve-interop"

[serve]
sensor_poll_interval = 0.2

[ipmi]
listen = "127.0.0.1:0"

[[ipmi.users]]
name = "admin"
password = "password"
privilege = "administrator"
"""
SWITCH_NODES = ("switch",)


def config_text(platform: str, nodes: tuple[str, ...]) -> str:
    text = CONFIG.replace("{platform}", platform)
    if len(nodes) > 1:
        text += "".join(f'\n[[nodes]]\nname = "{n}"\nlisten = "127.0.0.1:0"\n' for n in nodes)
    return text


class PlatformServe:
    def __init__(self, workdir: Path, platform: str = "compute-4n", nodes: tuple[str, ...] = NODES) -> None:
        self.workdir = workdir
        self.nodes = nodes
        self.env = dict(os.environ)
        for kind in ("STATE", "CACHE", "CONFIG"):
            path = workdir / kind.lower()
            path.mkdir(parents=True, exist_ok=True)
            self.env[f"XDG_{kind}_HOME"] = str(path)
        (workdir / "home").mkdir(exist_ok=True)
        self.env["HOME"] = str(workdir / "home")
        self.env["RUNTIME_DIRECTORY"] = str(workdir / "run")  # its own control socket
        for var in ("CHASSISCTL_BUS", "CHASSISCTL_PLATFORM", "CHASSISCTL_NODE", "CHASSISCTL_CONFIG"):
            self.env.pop(var, None)
        self.config = workdir / "chassisctl.toml"
        self.config.write_text(config_text(platform, nodes))
        os.chmod(self.config, 0o600)
        (workdir / "sdr-cache").mkdir(mode=0o700, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.ports: dict[str, int] = {}
        self.log = workdir / "serve.log"

    def start(self, timeout: float = 30.0) -> None:
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen([*CHASSISCTL, "serve", "--config", str(self.config)], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=self._log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _READY.search(self.log.read_text())
            if match:
                ports = [int(p.rsplit(":", 1)[1]) for p in match.group(1).split(", ")]
                assert len(ports) == len(self.nodes), match.group(0)
                self.ports = dict(zip(self.nodes, ports, strict=True))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"serve did not become ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if hasattr(self, "_log"):
            self._log.close()

    # -- clients -------------------------------------------------------------------------
    def run(self, argv: list[str], timeout: float = CLIENT_TIMEOUT) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{argv} did not finish within {timeout} s")

    def ipmitool(self, node: str, *args: str) -> str:
        need("ipmitool")
        proc = self.run(["ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", str(self.ports[node]),
                         "-U", "admin", "-P", "password", "-N", "2", "-R", "3", *args])
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc.stdout

    def freeipmi(self, tool: str, node: str, *args: str) -> str:
        need(tool)
        argv = [tool, "--config-file=/dev/null", "-h", f"127.0.0.1:{self.ports[node]}", "-u", "admin",
                "-p", "password"]
        if tool != "ipmipower":
            argv += ["--driver-type=LAN_2_0"]
        if tool in ("ipmi-sensors", "ipmi-sel", "ipmi-fru"):
            # FreeIPMI finds ~/.freeipmi through the password database, not $HOME:
            # without this, a stale cache for a reused port makes the tool fail.
            argv += [f"--sdr-cache-directory={self.workdir / 'sdr-cache'}", "--sdr-cache-recreate"]
        proc = self.run(argv + list(args))
        assert proc.returncode == 0, (argv, proc.stdout, proc.stderr)
        return proc.stdout

    def chassisctl(self, *args: str) -> dict:
        proc = self.run([*CHASSISCTL, "--config", str(self.config), *args, "--json"])
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return json.loads(proc.stdout)

    def sim_set(self, *assignments: str) -> None:
        proc = self.run([*CHASSISCTL, "--config", str(self.config), "sim", "set", *assignments])
        assert proc.returncode == 0, proc.stderr
        time.sleep(0.3)  # serve serves readings at most sensor_poll_interval old

    def cli_sensors(self, node: str) -> dict[str, dict]:
        return {s["name"]: s for s in self.chassisctl("--node", node, "sensors", "--no-cache")["sensors"]}


def _served(tmp_path_factory, platform: str, nodes: tuple[str, ...]):
    server = PlatformServe(tmp_path_factory.mktemp(f"platform-serve-{platform}"), platform, nodes)
    server.start()
    return server


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = _served(tmp_path_factory, "compute-4n", NODES)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def switch(tmp_path_factory):
    server = _served(tmp_path_factory, "switch-1u", SWITCH_NODES)
    yield server
    server.stop()


def sdr_values(text: str) -> dict[str, str]:
    """``ipmitool sdr list``: name -> reading text."""
    out = {}
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= 3:
            out[parts[0]] = parts[1]
    return out


def number(text: str) -> float | None:
    match = re.match(r"^(-?\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match else None


def step_of(name: str) -> float:
    steps = {"Temp": 0.65, "VIN": 1.2, "PIN": 8, "Fan": 100, "12V": 0.06, "Current": 0.2, "Power": 3}
    return next((v for k, v in steps.items() if k in name), 1.0)


# --- sensors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("node", NODES)
def test_sdr_list_matches_the_devices(served, node) -> None:
    ipmi = sdr_values(served.ipmitool(node, "sdr", "list"))
    cli = served.cli_sensors(node)
    assert set(ipmi) == set(cli), (sorted(ipmi), sorted(cli))
    for name, sensor in cli.items():
        if sensor["kind"] != "threshold":
            continue
        got = number(ipmi[name])
        assert got is not None and abs(got - sensor["value"]) <= step_of(name) / 2 + 1e-6, (name, ipmi[name])


def test_sensor_list_has_thresholds(served) -> None:
    rows = {line.split("|")[0].strip(): [c.strip() for c in line.split("|")]
            for line in served.ipmitool("node1", "sensor", "list").splitlines() if "|" in line}
    inlet = rows["Node1 Inlet Temp"]
    assert inlet[2] == "degrees C" and inlet[3] == "ok"
    assert [float(v) for v in inlet[6:10]] == [5.0, 40.0, 45.0, 50.0]  # LNC, UNC, UC, UNR


def test_a_register_change_reaches_every_client(served) -> None:
    served.sim_set("node4-inlet.temperature=31.5", "psu2.READ_PIN=1000")
    assert number(sdr_values(served.ipmitool("node4", "sdr", "list"))["Node4 Inlet Temp"]) == 31.5
    assert number(sdr_values(served.ipmitool("node2", "sdr", "list"))["PSU2 PIN"]) == 1000.0
    sensors = served.freeipmi("ipmi-sensors", "node4", "--no-header-output", "--comma-separated-output")
    rows = {line.split(",")[1]: line.split(",") for line in sensors.splitlines() if line.count(",") >= 4}
    assert float(rows["Node4 Inlet Temp"][3]) == 31.5 and float(rows["PSU2 PIN"][3]) == 1000.0
    assert served.cli_sensors("node4")["Node4 Inlet Temp"]["value"] == 31.5


def test_psu_pulled_shows_absent_and_unavailable(served) -> None:
    served.sim_set("psu1.present=false")
    try:
        values = sdr_values(served.ipmitool("node3", "sdr", "list"))
        assert number(values["PSU1 PIN"]) is None and "no reading" in values["PSU1 PIN"]
        assert number(values["PSU2 PIN"]) is not None
        state = served.freeipmi("ipmi-sensors", "node3", "--no-header-output", "--comma-separated-output")
        status = next(line for line in state.splitlines() if ",PSU1 Status," in line)
        assert "Presence detected" not in status
    finally:
        served.sim_set("psu1.present=true")
    state = served.freeipmi("ipmi-sensors", "node3", "--no-header-output", "--comma-separated-output")
    assert "Presence detected" in next(line for line in state.splitlines() if ",PSU1 Status," in line)


def test_threshold_crossing_reaches_the_sel(served) -> None:
    served.sim_set("node1-inlet.temperature=48")
    assert "cr" in served.ipmitool("node1", "sdr", "list")
    sel = served.ipmitool("node1", "sel", "list")
    assert re.search(r"Temperature #0x\w+ \| Upper Critical going high \| Asserted", sel), sel
    served.sim_set("node1-inlet.temperature=25")
    served.ipmitool("node1", "sdr", "list")
    assert "Deasserted" in served.ipmitool("node1", "sel", "list")


# --- power ----------------------------------------------------------------------------------------


def wait_power(served, node: str, want: str, timeout: float = 8.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = served.ipmitool(node, "chassis", "power", "status")
        if f"is {want}" in text or time.monotonic() > deadline:
            return text
        time.sleep(0.3)


def test_chassis_power_through_the_cpld(served) -> None:
    assert "Chassis Power is on" in served.ipmitool("node2", "chassis", "power", "status")
    served.ipmitool("node2", "chassis", "power", "off")
    assert "is off" in wait_power(served, "node2", "off")
    assert served.chassisctl("--node", "node2", "power", "status")["power"] == "off"
    assert served.chassisctl("--node", "node1", "power", "status")["power"] == "on"  # one node only
    assert "off" in served.freeipmi("ipmipower", "node2", "--stat")
    served.ipmitool("node2", "chassis", "power", "on")
    assert "is on" in wait_power(served, "node2", "on")
    assert "on" in served.freeipmi("ipmipower", "node2", "--stat")
    served.ipmitool("node2", "chassis", "power", "cycle")
    assert "is on" in wait_power(served, "node2", "on", timeout=10.0)
    sel = served.ipmitool("node2", "sel", "list")
    assert "Power cycle" in sel and "Power off/down" in sel
    nodes = served.chassisctl("nodes")["nodes"]
    assert [n["power"] for n in nodes] == ["on"] * 4


# --- identity and FRU -----------------------------------------------------------------------------


def test_fru_print(served) -> None:
    text = served.ipmitool("node3", "fru", "print", "0")
    assert re.search(r"Board Serial\s+: CN4N-0003", text) and re.search(r"Product Serial\s+: N3-0001", text)


def test_bmc_info_and_mc_info(served) -> None:
    info = served.freeipmi("bmc-info", "node1")
    assert re.search(r"Manufacturer ID\s+: .*32473", info) and re.search(r"Firmware Revision\s+: 1\.04", info)
    mc = served.ipmitool("node4", "mc", "info")
    assert re.search(r"Product ID\s+: 3150", mc)
    guids = {re.search(r"GUID\s+: (\S+)", served.ipmitool(n, "mc", "guid")).group(1) for n in NODES}
    assert len(guids) == 4  # one BMC per node
    cli = served.chassisctl("--node", "node4", "bmc", "info")
    assert cli["product_id"] == 3150 and cli["manufacturer_id"] == 32473


# --- the single-node switch-1u ----------------------------------------------------------------------


def test_switch_sdr_list_matches_the_devices(switch) -> None:
    ipmi = sdr_values(switch.ipmitool("switch", "sdr", "list"))
    cli = switch.cli_sensors("switch")
    assert set(ipmi) == set(cli), (sorted(ipmi), sorted(cli))
    for name, sensor in cli.items():
        if sensor["kind"] == "threshold" and sensor["value"] is not None:
            got = number(ipmi[name])
            assert got is not None and abs(got - sensor["value"]) <= step_of(name) / 2 + 1e-6, (name, ipmi[name])


def test_switch_register_changes_reach_ipmitool_and_freeipmi(switch) -> None:
    switch.sim_set("temp-front.temperature=33.5", "psu1.READ_PIN=512", "fans.fan2=6000")
    values = sdr_values(switch.ipmitool("switch", "sdr", "list"))
    assert number(values["Front Temp"]) == 33.5
    assert number(values["PSU1 PIN"]) == 512.0
    assert number(values["Fan2"]) == 6000.0
    sensors = switch.freeipmi("ipmi-sensors", "switch", "--no-header-output", "--comma-separated-output")
    rows = {line.split(",")[1]: line.split(",") for line in sensors.splitlines() if line.count(",") >= 4}
    assert float(rows["Front Temp"][3]) == 33.5 and float(rows["PSU1 PIN"][3]) == 512.0
    rows = {line.split("|")[0].strip(): line for line in switch.ipmitool("switch", "sensor", "list").splitlines()}
    assert "33.500" in rows["Front Temp"]


def test_switch_power_fru_and_identity(switch) -> None:
    assert "Chassis Power is on" in switch.ipmitool("switch", "chassis", "power", "status")
    switch.ipmitool("switch", "chassis", "power", "off")
    assert "is off" in wait_power(switch, "switch", "off")
    assert "off" in switch.freeipmi("ipmipower", "switch", "--stat")
    switch.ipmitool("switch", "chassis", "power", "on")
    assert "is on" in wait_power(switch, "switch", "on")
    switch.ipmitool("switch", "chassis", "power", "cycle")
    assert "is on" in wait_power(switch, "switch", "on", timeout=10.0)
    assert switch.chassisctl("power", "status")["power"] == "on"
    sel = switch.ipmitool("switch", "sel", "list")
    assert "Power off/down" in sel and "Power cycle" in sel
    fru = switch.ipmitool("switch", "fru", "print", "0")
    assert re.search(r"Board Serial\s+: SW1U0000001", fru) and re.search(r"Product Name\s+: Example 1U Switch", fru)
    info = switch.freeipmi("bmc-info", "switch")
    assert re.search(r"Manufacturer ID\s+: .*32473", info)
