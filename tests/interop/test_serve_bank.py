"""A bank of 37 client checks (ipmitool, FreeIPMI, pyghmi) against ``chassisctl serve`` on the simulated chassis.

One serve subprocess for the module (default simulator profile, the bus
unpaced: CHASSISCTL_SIM_PACE=0), real unmodified clients with their plain flags
and no workaround flags.  A check passes when its client exits 0 within 20 s
and prints the expected pattern.  Read-only checks run first (the bank's, then
an extra client matrix: ``-C 3`` variants, ipmi-sel,
ipmi-fru, ipmi-sensors on suite 3, the FreeIPMI pings on port 623);
state-changing checks run last and leave the power ON.

Check ids start with the bank number ("04 ipmitool chassis power status");
extras start with "x".  Reset (34) runs before cycle (33): a cycle switches
the simulated box off within ``off_delay`` (0-0.3 s) and a reset of a box
that is off is refused with D5h, so cycle-then-reset would test the
client's timing rather than serve.
"""

from __future__ import annotations

import re
import socket
import time
from typing import NamedTuple
from collections.abc import Callable

import pytest

from interop import serve_fixture as sf

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    instance = sf.Serve(tmp_path_factory.mktemp("serve-bank")).start()
    yield instance
    instance.stop()


class Check(NamedTuple):
    id: str
    run: Callable[[sf.Serve], None]


def ipmitool(pattern: str, *args: str, **kw) -> Callable:
    def check(serve):
        sf.passes(serve.ipmitool(*args, **kw), pattern)
    return check


def freeipmi(pattern: str, tool: str, *args: str, **kw) -> Callable:
    def check(serve):
        sf.passes(serve.freeipmi(tool, *args, **kw), pattern)
    return check


def ipmi_sensors(*extra: str) -> Callable:
    def check(serve):
        cache = serve.sdr_cache_dir("sensors" + "".join(extra))
        sf.passes(serve.freeipmi("ipmi-sensors", f"--sdr-cache-directory={cache}", "--sdr-cache-recreate",
                                 "--quiet-cache", *extra), r"\|.*Inlet Temp")
    return check


def freeipmi_cached(pattern: str, tool: str) -> Callable:
    def check(serve):
        cache = serve.sdr_cache_dir(tool)
        sf.passes(serve.freeipmi(tool, f"--sdr-cache-directory={cache}", "--quiet-cache"), pattern)
    return check


def pyghmi(mode: str, pattern: str) -> Callable:
    def check(serve):
        sf.passes(serve.pyghmi(mode), pattern)
    return check


PYGHMI_NONLINEAR_BUG = "'SDREntry' object has no attribute 'tolerance'"


def pyghmi_sensor_data(serve):
    ran = serve.pyghmi("sensors")
    if ran.returncode != 0 and PYGHMI_NONLINEAR_BUG in ran.stderr:
        # pyghmi 1.6.19 sdr.SDREntry.decode_sensor_reading uses self.tolerance, which it
        # sets only for linear sensors (linearization <= 0Bh); the default profile's
        # "VR Temp" is non-linear (70h, factors from Get Sensor Reading Factors), so
        # get_sensor_data() raises AttributeError there.  A client bug serve cannot
        # work around without misreporting the SDR.
        pytest.xfail("pyghmi cannot decode a non-linear (70h) sensor: " + ran.stderr.strip().splitlines()[-1])
    sf.passes(ran, r"Inlet Temp")


def asf_ping(serve):
    from chassisctl.ipmi.rmcp import decode_asf

    reply = serve.asf_ping(tag=0x5A, timeout=2.0)
    assert reply is not None, "no pong"
    pong = decode_asf(reply)
    assert pong.msg_type == 0x40 and pong.tag == 0x5A, pong
    assert pong.data[8] & 0x80, "pong without the 'IPMI supported' bit"


def freeipmi_pings_on_623(serve):
    """rmcpping/ipmiping have no port option: a second serve bound to 127.0.0.1:623."""
    sf.need("rmcpping")
    sf.need("ipmiping")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", 623))
        except OSError as exc:
            pytest.skip(f"127.0.0.1:623 is not available: {exc}")
    second = sf.Serve(serve.workdir / "port623", listen="127.0.0.1:623")
    try:
        second.start()
    except RuntimeError as exc:
        if "Address already in use" in str(exc):
            pytest.skip("127.0.0.1:623 was taken meanwhile")
        raise
    try:
        sf.passes(sf.run(["rmcpping", "-c", "1", "-t", "2", "127.0.0.1"], second.env), r"pong received")
        sf.passes(sf.run(["ipmiping", "-c", "1", "-t", "2", "127.0.0.1"], second.env), r"response received")
    finally:
        second.stop()


def power_off_then_status_off(serve):
    sf.passes(serve.ipmitool("chassis", "power", "off"), r"Down/Off")
    deadline = time.monotonic() + 5
    while True:  # the simulated box may take off_delay to drop; serve caches status one poll interval
        ran = serve.ipmitool("chassis", "power", "status")
        sf.passes(ran, r"Chassis Power is (on|off)")
        if "Chassis Power is off" in ran.stdout or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    sf.passes(ran, r"Chassis Power is off")


def ipmitool_c3_power_sequence(serve):
    """The state-changing ipmitool verbs again with -C 3; ends with the power off."""
    assert serve.wait_power("on") == "on"
    sf.passes(serve.ipmitool("-C", "3", "chassis", "power", "on"), r"Up/On")
    sf.passes(serve.ipmitool("-C", "3", "chassis", "power", "reset"), r"Reset")
    sf.passes(serve.ipmitool("-C", "3", "chassis", "power", "cycle"), r"Cycle")
    sf.passes(serve.ipmitool("-C", "3", "chassis", "power", "off"), r"Down/Off")
    assert serve.wait_power("off", timeout=5) == "off"
    sf.passes(serve.ipmitool("-C", "3", "chassis", "power", "status"), r"Chassis Power is off")


def ipmipower_lan15_on(serve):
    sf.passes(serve.freeipmi("ipmipower", "--on", driver="LAN"), r": ok")
    assert serve.wait_power("on") == "on"


def pyghmi_set_power_on(serve):
    sf.passes(serve.pyghmi("set_power_on"), r"'powerstate': 'on'")
    assert serve.power() == "on"


READ_ONLY_BANK = [
    Check("01 ASF presence ping", asf_ping),
    Check("02 ipmitool mc info", ipmitool(r"Device ID|IPMI Version", "mc", "info")),
    Check("03 ipmitool chassis status", ipmitool(r"System Power", "chassis", "status")),
    Check("04 ipmitool chassis power status", ipmitool(r"Chassis Power is (on|off)", "chassis", "power", "status")),
    Check("05 ipmitool -C 3 chassis power status",
          ipmitool(r"Chassis Power is (on|off)", "-C", "3", "chassis", "power", "status")),
    Check("06 ipmitool -C 17 chassis power status",
          ipmitool(r"Chassis Power is (on|off)", "-C", "17", "chassis", "power", "status")),
    Check("07 ipmitool -C 17 mc info", ipmitool(r"Device ID|IPMI Version", "-C", "17", "mc", "info")),
    Check("08 ipmitool sdr list", ipmitool(r"\|", "sdr", "list")),
    Check("09 ipmitool sdr elist", ipmitool(r"\|", "sdr", "elist")),
    Check("10 ipmitool sensor list", ipmitool(r"\|", "sensor", "list")),
    Check("11 ipmitool fru print 0",
          ipmitool(r"Product Name|Board Product|Product Manufacturer", "fru", "print", "0")),
    Check("12 ipmitool sel info", ipmitool(r"Entries|Version", "sel", "info")),
    Check("13 ipmitool sel list", ipmitool(r"", "sel", "list")),
    Check("14 ipmitool user list 1", ipmitool(r"ADMINISTRATOR|ADMIN|Name", "user", "list", "1")),
    Check("15 ipmitool channel info 1", ipmitool(r"Channel 0x|Channel Medium", "channel", "info", "1")),
    Check("16 ipmitool channel getciphers ipmi 1",
          ipmitool(r"^(3|17)\s", "channel", "getciphers", "ipmi", "1")),
    Check("17 ipmitool lan print 1", ipmitool(r"IP Address|Auth Type", "lan", "print", "1")),
    Check("18 ipmitool chassis bootparam get 5",
          ipmitool(r"Boot Device Selector|Boot parameter", "chassis", "bootparam", "get", "5")),
    Check("19 ipmitool mc guid", ipmitool(r"System GUID", "mc", "guid")),
    Check("20 ipmitool -I lan chassis power status",
          ipmitool(r"Chassis Power is (on|off)", "chassis", "power", "status", iface="lan")),
    Check("21 ipmitool -I lan mc info", ipmitool(r"Device ID|IPMI Version", "mc", "info", iface="lan")),
    Check("22 ipmipower --stat", freeipmi(r": (on|off)", "ipmipower", "--stat")),
    Check("23 bmc-info", freeipmi(r"Device ID|Firmware Revision", "bmc-info")),
    Check("24 ipmi-chassis --get-chassis-status",
          freeipmi(r"System Power", "ipmi-chassis", "--get-chassis-status")),
    Check("25 ipmi-sensors", ipmi_sensors()),
    Check("26 ipmi-sensors --cipher-suite-id=17", ipmi_sensors("--cipher-suite-id=17")),
    Check("27 ipmipower --driver-type=LAN --stat", freeipmi(r": (on|off)", "ipmipower", "--stat", driver="LAN")),
    Check("28 pyghmi get_power", pyghmi("power", r"'powerstate': '(on|off)'")),
    Check("29 pyghmi get_sensor_data", pyghmi_sensor_data),
    Check("30 pyghmi get_inventory", pyghmi("inventory", r"Product name")),
    Check("31 pyghmi get_power on suite 3", pyghmi("suite3", r"'powerstate': '(on|off)'")),
]

_C3_READS = [
    ("mc info", r"Device ID|IPMI Version"),
    ("mc guid", r"System GUID"),
    ("chassis status", r"System Power"),
    ("chassis bootparam get 5", r"Boot Device Selector|Boot parameter"),
    ("sdr list", r"\|"),
    ("sdr elist", r"\|"),
    ("sensor list", r"\|"),
    ("fru print 0", r"Product Name|Board Product|Product Manufacturer"),
    ("sel info", r"Entries|Version"),
    ("sel list", r""),
    ("user list 1", r"ADMINISTRATOR|ADMIN|Name"),
    ("channel info 1", r"Channel 0x|Channel Medium"),
    ("channel getciphers ipmi 1", r"^(3|17)\s"),
    ("lan print 1", r"IP Address|Auth Type"),
]

READ_ONLY_EXTRA = [
    Check("x ipmitool -C 3 " + cmd, ipmitool(pattern, "-C", "3", *cmd.split())) for cmd, pattern in _C3_READS
] + [
    Check("x ipmi-sensors --cipher-suite-id=3", ipmi_sensors("--cipher-suite-id=3")),
    Check("x ipmi-sensors -I 17", ipmi_sensors("-I", "17")),
    Check("x ipmi-sel", freeipmi_cached(r"", "ipmi-sel")),  # an empty SEL prints nothing
    Check("x ipmi-fru", freeipmi_cached(r"Product Name|Board Product|FRU", "ipmi-fru")),
    Check("x rmcpping and ipmiping on 127.0.0.1:623", freeipmi_pings_on_623),
]

STATE_BANK = [
    Check("32 ipmitool chassis power on", ipmitool(r"Up/On", "chassis", "power", "on")),
    Check("34 ipmitool chassis power reset", ipmitool(r"Reset", "chassis", "power", "reset")),
    Check("33 ipmitool chassis power cycle", ipmitool(r"Cycle", "chassis", "power", "cycle")),
    Check("35 ipmitool chassis power off, then status off", power_off_then_status_off),
    Check("36 ipmipower --on", freeipmi(r": ok", "ipmipower", "--on")),
    Check("37 pyghmi set_power on, wait", pyghmi_set_power_on),
]

STATE_EXTRA = [
    Check("x ipmitool -C 3 power on, reset, cycle, off", ipmitool_c3_power_sequence),
    Check("x ipmipower --driver-type=LAN --on", ipmipower_lan15_on),
]

CHECKS = READ_ONLY_BANK + READ_ONLY_EXTRA + STATE_BANK + STATE_EXTRA
assert len([c for c in CHECKS if re.match(r"\d\d ", c.id)]) == 37


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_check(serve, check):
    assert serve.alive(), serve.log_text()
    check.run(serve)


def test_serve_survived_the_bank_and_power_is_on(serve):
    assert serve.alive(), serve.log_text()
    assert serve.wait_power("on") == "on"
    log = serve.log_text()
    assert "Traceback" not in log and " ERROR " not in log, log
