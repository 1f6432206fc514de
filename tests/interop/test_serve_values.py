"""What LAN clients read through ``chassisctl serve`` equals what the chassisctl CLI reads.

serve and the CLI share one simulated chassis (same state, cache and config
dirs, same profile): tests/data/sim-steady.toml, the default profile with
the load waves, drift and every noise switched off, so readings stay constant
while the power state is steady.  Each comparison checks that rather than
assuming it: ``chassisctl sensors --json`` reads before and after the client
and must read the same both times (else the comparison is retried), with
serve's readings at most 0.1 s old (--sensor-poll-interval 0.1); one SDR
resolution step is allowed.  (An earlier version aligned the reads to the
simulator's 2-second noise period instead; under load, pyghmi's login and
SDR walk plus the CLI did not fit in one period.)

Client limitations, not serve's: FreeIPMI does not decode non-linear
(linearization 70h) sensors and prints N/A; pyghmi 1.6.19 raises
AttributeError on them.  Both are checked for every other sensor.

Power state: on, then off and on again through ``chassisctl power`` (the
CLI writes the simulator state directly; serve must notice), each time as
every client sees it.  The last check runs a second serve on a paced bus
(CHASSISCTL_SIM_PACE=1, real SMBus wire time).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable

import pytest

from interop import serve_fixture as sf

pytestmark = pytest.mark.interop

#: serve's longest reading age here (--sensor-poll-interval).
POLL = 0.1


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    instance = sf.Serve(tmp_path_factory.mktemp("serve-values"), profile=sf.STEADY_PROFILE,
                        poll_interval=POLL).start()
    yield instance
    instance.stop()


STEPS = r"""
import json, os
from chassisctl.clock import FakeClock
from chassisctl.ipmi.conversion import NON_LINEAR
from chassisctl.ipmi.sdr import parse_record
from chassisctl.sim.chassis import SimChassis
from chassisctl.sim.profile import load_profile

profile = load_profile(os.environ["CHASSISCTL_SIM_PROFILE"])
segments = {s.name: s.nonlinear for s in profile.sensors}
out = {}
for raw in SimChassis(profile, None, FakeClock()).records:
    rec = parse_record(raw)
    if type(rec).__name__ != "FullSensorRecord" or rec.event_reading_type != 0x01:
        continue
    if rec.linearization & 0x7F in NON_LINEAR:
        out[rec.id_string] = {"step": max(s.m * 10 ** s.k2 for s in segments[rec.id_string]), "linear": False}
    else:
        out[rec.id_string] = {"step": rec.conversion.step, "linear": True}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def steps(serve) -> dict[str, dict]:
    """SDR resolution per threshold sensor, from the profile's own records (in a subprocess:
    loading a profile writes a cache under XDG_CACHE_HOME)."""
    ran = sf.run([sys.executable, "-c", STEPS], serve.env)
    assert ran.returncode == 0, str(ran)
    return json.loads(ran.stdout)


def cli_readings(serve) -> dict[str, float]:
    ran = serve.cli("--json", "sensors")
    assert ran.returncode == 0, str(ran)
    doc = json.loads(ran.stdout)
    return {s["name"]: s["value"] for s in doc["sensors"] if s["kind"] == "threshold" and s["value"] is not None}


def steady_readings(serve, client: Callable[[], dict]):
    """(client readings, CLI readings), with the CLI reading the same before and after the client."""
    for _ in range(6):
        before = cli_readings(serve)
        seen = client()
        after = cli_readings(serve)
        if after == before:
            return seen, after
    pytest.fail("the CLI's readings changed during the client's run, 6 times in a row")


def _number(text: str) -> float | None:
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        return None


def ipmitool_sdr_list(serve) -> dict[str, float | None]:
    ran = serve.ipmitool("sdr", "list")
    sf.passes(ran, r"\|")
    out = {}
    for line in ran.stdout.splitlines():
        name, value, _status = (f.strip() for f in line.split("|"))
        out[name] = None if value.startswith("0x") else _number(value)
    return out


def ipmitool_sdr_elist(serve) -> dict[str, float | None]:
    ran = serve.ipmitool("sdr", "elist")
    sf.passes(ran, r"\|")
    return {f[0]: _number(f[4]) for f in (
        [x.strip() for x in line.split("|")] for line in ran.stdout.splitlines())}


def ipmitool_sensor_list(serve) -> dict[str, float | None]:
    ran = serve.ipmitool("sensor", "list")
    sf.passes(ran, r"\|")
    out = {}
    for line in ran.stdout.splitlines():
        fields = [f.strip() for f in line.split("|")]
        out[fields[0]] = None if fields[2] == "discrete" else _number(fields[1])
    return out


def ipmi_sensors(*extra: str) -> Callable:
    def read(serve) -> dict[str, float | None]:
        cache = serve.sdr_cache_dir("values")
        ran = serve.freeipmi("ipmi-sensors", f"--sdr-cache-directory={cache}", "--quiet-cache", *extra)
        sf.passes(ran, r"\|")
        rows = [[f.strip() for f in line.split("|")] for line in ran.stdout.splitlines()[1:]]
        return {r[1]: _number(r[3]) for r in rows}
    return read


def pyghmi_readings(serve) -> dict[str, float | None]:
    ran = serve.pyghmi("readings")
    sf.passes(ran)
    doc = json.loads(ran.stdout)
    return {name: (r.get("value") if "error" not in r else r["error"]) for name, r in doc["readings"].items()}


CLIENTS = {
    "ipmitool sdr list": (ipmitool_sdr_list, True),
    "ipmitool sdr elist": (ipmitool_sdr_elist, True),
    "ipmitool sensor list": (ipmitool_sensor_list, True),
    "ipmitool -C 3 sdr list": (lambda s: ipmitool_sdr_list_c3(s), True),
    "ipmi-sensors": (ipmi_sensors(), False),
    "ipmi-sensors --cipher-suite-id=17": (ipmi_sensors("--cipher-suite-id=17"), False),
    "pyghmi get_sensor_reading": (pyghmi_readings, False),
}


def ipmitool_sdr_list_c3(serve) -> dict[str, float | None]:
    ran = serve.ipmitool("-C", "3", "sdr", "list")
    sf.passes(ran, r"\|")
    out = {}
    for line in ran.stdout.splitlines():
        name, value, _status = (f.strip() for f in line.split("|"))
        out[name] = None if value.startswith("0x") else _number(value)
    return out


#: Display rounding of the clients (ipmitool and FreeIPMI print 2 decimals).
ROUNDING = 0.006


@pytest.mark.parametrize("client", list(CLIENTS), ids=list(CLIENTS))
def test_sensor_values_equal_the_cli(serve, steps, client):
    read, decodes_non_linear = CLIENTS[client]
    seen, reference = steady_readings(serve, lambda: read(serve))
    assert reference, "the CLI reports no threshold sensor"
    problems = []
    for name, want in reference.items():
        if not steps[name]["linear"] and not decodes_non_linear:
            continue  # see the module docstring
        got = seen.get(name)
        step = steps[name]["step"]
        if not isinstance(got, float) or abs(got - want) > step + ROUNDING:
            problems.append(f"{name}: client {got!r}, chassisctl {want!r} (one step = {step:g})")
    assert not problems, "\n".join(problems)


POWER_CLIENTS: dict[str, Callable] = {
    "ipmitool chassis power status": lambda s: _match(s.ipmitool("chassis", "power", "status"),
                                                     r"Chassis Power is (on|off)"),
    "ipmitool -C 3 chassis status": lambda s: _match(s.ipmitool("-C", "3", "chassis", "status"),
                                                    r"System Power\s*: (on|off)"),
    "ipmitool -I lan chassis power status": lambda s: _match(s.ipmitool("chassis", "power", "status", iface="lan"),
                                                            r"Chassis Power is (on|off)"),
    "ipmipower --stat": lambda s: _match(s.freeipmi("ipmipower", "--stat"), r": (on|off)$"),
    "ipmipower --driver-type=LAN --stat": lambda s: _match(s.freeipmi("ipmipower", "--stat", driver="LAN"),
                                                          r": (on|off)$"),
    "ipmi-chassis --get-chassis-status": lambda s: _match(s.freeipmi("ipmi-chassis", "--get-chassis-status"),
                                                         r"System Power\s*: (on|off)"),
    "pyghmi get_power": lambda s: _match(s.pyghmi("power"), r"'powerstate': '(on|off)'"),
}


def _match(ran, pattern: str) -> str:
    sf.passes(ran, pattern)
    return re.search(pattern, ran.stdout, re.M).group(1)


def power_seen(serve) -> dict[str, str]:
    """Every client at once (they are independent processes)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(POWER_CLIENTS)) as pool:
        futures = {name: pool.submit(read, serve) for name, read in POWER_CLIENTS.items()}
        return {name: future.result() for name, future in futures.items()}


def test_power_state_equals_the_cli(serve):
    assert serve.power() == "on"
    assert power_seen(serve) == {name: "on" for name in POWER_CLIENTS}
    ran = serve.cli("power", "off", "--yes")
    assert ran.returncode == 0, str(ran)
    assert serve.wait_power("off") == "off"
    time.sleep(POLL)  # serve's cached Get Chassis Status expires
    assert power_seen(serve) == {name: "off" for name in POWER_CLIENTS}
    assert serve.power() == "off"
    ran = serve.cli("power", "on", "--yes")
    assert ran.returncode == 0, str(ran)
    assert serve.wait_power("on") == "on"
    time.sleep(POLL)
    assert power_seen(serve) == {name: "on" for name in POWER_CLIENTS}


def test_paced_bus(tmp_path_factory, steps):
    """The one check on a paced simulated bus (100 kHz SMBus wire time really waited for)."""
    paced = sf.Serve(tmp_path_factory.mktemp("serve-paced"), profile=sf.STEADY_PROFILE, pace=True,
                     poll_interval=POLL).start()
    try:
        for read in (ipmitool_sdr_list, ipmi_sensors()):
            seen, reference = steady_readings(paced, lambda read=read: read(paced))
            problems = [f"{name}: client {seen.get(name)!r}, chassisctl {want!r}"
                        for name, want in reference.items() if steps[name]["linear"]
                        and not (isinstance(seen.get(name), float)
                                 and abs(seen[name] - want) <= steps[name]["step"] + ROUNDING)]
            assert not problems, "\n".join(problems)
        sf.passes(paced.ipmitool("chassis", "power", "status"), r"Chassis Power is on")
    finally:
        paced.stop()
