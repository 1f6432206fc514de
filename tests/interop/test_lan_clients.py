"""Unmodified ipmitool, FreeIPMI and pyghmi against chassisctl's IPMI-over-LAN endpoint.

The endpoint (IpmiLanService) runs in-process on 127.0.0.1 with an ephemeral
port and a fake BMC (fakebmc_lan.py).  Clients run with their plain flags
(serve_fixture.py), no client workaround flags.  A missing client binary skips its checks, except
under CI=true where it fails them.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from chassisctl.serve.lan_settings import lan_config_from_toml
from chassisctl.ipmi.lan.console import RmcpPlusConsole, login, split_reply
from chassisctl.ipmi.rmcp import asf_ping, decode_asf

from interop.fakebmc_lan import ServiceThread
from interop.serve_fixture import Udp, freeipmi_argv, ipmitool_argv, need, need_pyghmi

pytestmark = pytest.mark.interop

USERS = [
    {"name": "admin", "password": "password", "privilege": "administrator"},
    {"name": "oper", "password": "operpass", "privilege": "operator"},
    {"name": "viewer", "password": "viewpass", "privilege": "user"},
    {"name": "gone", "password": "gonepass", "privilege": "administrator", "enabled": False},
]


def make_config(port: int = 0, **extra):
    ipmi = {"listen": f"127.0.0.1:{port}", "cipher_suites": [17, 3, 1, 2], "ipmi15_auth_types": ["md5"],
            "users": USERS, "login_failures_burst": 1000}
    ipmi.update(extra)
    return lan_config_from_toml({"ipmi": ipmi})


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def log():
    handler = Captured()
    logger = logging.getLogger("chassisctl.serve.ipmi")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


@pytest.fixture(scope="module")
def bmc(log):
    service = ServiceThread(make_config())
    service.port = service.start()
    yield service
    service.stop()


def run(argv: list[str], timeout: float = 20) -> subprocess.CompletedProcess:
    need(argv[0])
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def ipmitool(port: int, *args: str, user: str = "admin", password: str = "password", iface: str = "lanplus"):
    return run(ipmitool_argv("127.0.0.1", port, *args, user=user, password=password, iface=iface))


def freeipmi(tool: str, port: int, *args: str, user: str = "admin", password: str = "password",
             driver: str = "LAN_2_0"):
    return run(freeipmi_argv(tool, "127.0.0.1", port, *args, user=user, password=password, driver=driver))


def ok(proc: subprocess.CompletedProcess, pattern: str) -> None:
    assert proc.returncode == 0, (proc.args, proc.stdout, proc.stderr)
    assert re.search(pattern, proc.stdout, re.M), (proc.args, proc.stdout, proc.stderr)


# --- ipmitool, read-only ------------------------------------------------------------------

IPMITOOL_READS = [
    ((), "mc info", r"Device ID|IPMI Version"),
    ((), "chassis status", r"System Power"),
    ((), "chassis power status", r"Chassis Power is (on|off)"),
    (("-C", "3"), "chassis power status", r"Chassis Power is (on|off)"),
    (("-C", "17"), "chassis power status", r"Chassis Power is (on|off)"),
    (("-C", "17"), "mc info", r"Device ID|IPMI Version"),
    (("-C", "1"), "chassis power status", r"Chassis Power is (on|off)"),
    (("-C", "2"), "mc info", r"Device ID|IPMI Version"),
    ((), "sdr list", r"\|"),
    ((), "sdr elist", r"\|"),
    ((), "sensor list", r"\|"),
    ((), "fru print 0", r"Product Name|Board Product|Product Manufacturer"),
    ((), "sel info", r"Entries|Version"),
    ((), "sel list", r""),
    ((), "user list 1", r"ADMINISTRATOR|ADMIN|Name"),
    ((), "channel info 1", r"Channel 0x|Channel Medium"),
    ((), "channel getciphers ipmi 1", r"^(3|17)\s"),
    ((), "lan print 1", r"IP Address|Auth Type"),
    ((), "chassis bootparam get 5", r"Boot Device Selector|Boot parameter"),
    ((), "mc guid", r"System GUID"),
]


@pytest.mark.parametrize("opts,cmd,pattern", IPMITOOL_READS, ids=[" ".join(o) + " " + c for o, c, _ in IPMITOOL_READS])
def test_ipmitool_lanplus(bmc, opts, cmd, pattern):
    ok(ipmitool(bmc.port, *opts, *cmd.split()), pattern)


def test_ipmitool_default_suite_is_fast_and_17(bmc, log):
    start = time.monotonic()
    ok(ipmitool(bmc.port, "chassis", "power", "status"), r"Chassis Power is (on|off)")
    assert time.monotonic() - start < 2.0  # no timeout on the pre-session cipher suite query
    assert any("rmcp+ suite 17" in line for line in log.lines)


@pytest.mark.parametrize("cmd,pattern", [("chassis power status", r"Chassis Power is (on|off)"),
                                         ("mc info", r"Device ID|IPMI Version")])
def test_ipmitool_lan_v15(bmc, cmd, pattern):
    ok(ipmitool(bmc.port, *cmd.split(), iface="lan"), pattern)


# --- FreeIPMI -----------------------------------------------------------------------------


@pytest.mark.parametrize("driver", ["LAN_2_0", "LAN"])
def test_ipmipower_stat(bmc, driver):
    ok(freeipmi("ipmipower", bmc.port, "--stat", driver=driver), r": (on|off)")


def test_bmc_info(bmc):
    ok(freeipmi("bmc-info", bmc.port), r"Device ID|Firmware Revision")


def test_ipmi_chassis_status(bmc):
    ok(freeipmi("ipmi-chassis", bmc.port, "--get-chassis-status"), r"System Power")


@pytest.mark.parametrize("extra", [(), ("--cipher-suite-id=17",)], ids=["default", "suite17"])
def test_ipmi_sensors(bmc, tmp_path, extra):
    cache = tmp_path / "sdr"
    cache.mkdir(mode=0o700)
    ok(freeipmi("ipmi-sensors", bmc.port, f"--sdr-cache-directory={cache}", "--sdr-cache-recreate",
                "--quiet-cache", *extra), r"\|.*Inlet Temp")


# --- pyghmi (in a subprocess: it keeps threads and a global session cache) -----------------

PYGHMI = r"""
import sys
from pyghmi.ipmi import command
port, mode = int(sys.argv[1]), sys.argv[2]
if mode == "suite3":
    from pyghmi.ipmi.private import session
    original = session.Session._open_rmcpplus_request
    def forced(self):
        self.attemptedhash = 1  # propose suite 3 (SHA1) from the start
        return original(self)
    session.Session._open_rmcpplus_request = forced
c = command.Command(bmc="127.0.0.1", userid="admin", password="password", port=port)
if mode in ("power", "suite3"):
    print(c.get_power())
elif mode == "sensors":
    readings = list(c.get_sensor_data())
    assert readings, "no sensors"
    print(readings)
elif mode == "inventory":
    print(list(c.get_inventory()))
elif mode == "set_power":
    print(c.set_power("on", wait=True))
    print(c.get_power())
"""


def pyghmi(port: int, mode: str) -> subprocess.CompletedProcess:
    need_pyghmi()
    return subprocess.run([sys.executable, "-c", PYGHMI, str(port), mode], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("mode,pattern", [("power", r"'powerstate': '(on|off)'"), ("sensors", r"Inlet Temp"),
                                          ("inventory", r"FakeChassis")])
def test_pyghmi(bmc, mode, pattern):
    ok(pyghmi(bmc.port, mode), pattern)


def test_pyghmi_forced_to_suite_3(bmc, log):
    before = len(log.lines)
    ok(pyghmi(bmc.port, "suite3"), r"'powerstate'")
    assert any("rmcp+ suite 3" in line for line in log.lines[before:])


def test_pyghmi_falls_back_to_suite_3_when_17_is_not_offered():
    service = ServiceThread(make_config(cipher_suites=[3]))
    port = service.start()
    try:
        ok(pyghmi(port, "power"), r"'powerstate'")
    finally:
        service.stop()


KG = "0102030405060708090a0b0c0d0e0f1011121314"


def test_kg_bmc_key_with_every_client():
    service = ServiceThread(make_config(kg=KG))
    port = service.start()
    try:
        ok(ipmitool(port, "-y", KG, "chassis", "power", "status"), r"Chassis Power is (on|off)")
        assert ipmitool(port, "chassis", "power", "status").returncode != 0  # no Kg: RAKP 4 fails
        ok(freeipmi("ipmipower", port, "--stat", "-k", "0x" + KG), r": (on|off)")
        with_kg = PYGHMI.replace('password="password", port=port)',
                                 f'password="password", port=port, kg=bytes.fromhex("{KG}"))')
        p = subprocess.run([sys.executable, "-c", with_kg, str(port), "power"], capture_output=True,
                           text=True, timeout=30, stdin=subprocess.DEVNULL)
        ok(p, r"'powerstate'")
    finally:
        service.stop()


# --- ASF presence ping ----------------------------------------------------------------------


def test_asf_ping_raw_socket(bmc):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(asf_ping(0x42), ("127.0.0.1", bmc.port))
        pong = decode_asf(sock.recv(100))
    assert pong.msg_type == 0x40 and pong.tag == 0x42 and pong.data[8] & 0x80


@pytest.mark.parametrize("tool,pattern", [("rmcpping", r"pong received"), ("ipmiping", r"response received")])
def test_freeipmi_pings(tool, pattern):
    need(tool)  # these tools have no port option: they need the endpoint on 623
    service = ServiceThread(make_config(port=623))
    try:
        service.start()
    except OSError as exc:
        service.stop()
        pytest.skip(f"cannot bind 127.0.0.1:623 for {tool}: {exc}")
    try:
        ok(run([tool, "-c", "1", "-t", "2", "127.0.0.1"]), pattern)
    finally:
        service.stop()


# --- refusals -------------------------------------------------------------------------------


def test_wrong_password(bmc):
    assert ipmitool(bmc.port, "chassis", "power", "status", password="wrong").returncode != 0
    p = freeipmi("ipmipower", bmc.port, "--stat", password="wrong")
    assert "password invalid" in p.stdout + p.stderr


@pytest.mark.parametrize("user,password", [("nobody", "x"), ("gone", "gonepass")], ids=["unknown", "disabled"])
def test_unknown_and_disabled_users(bmc, log, user, password):
    assert ipmitool(bmc.port, "chassis", "power", "status", user=user, password=password).returncode != 0
    p = freeipmi("ipmipower", bmc.port, "--stat", user=user, password=password)
    assert "username invalid" in p.stdout + p.stderr
    reason = "unknown user" if user == "nobody" else "disabled user"
    assert any(line.startswith(f"refused {reason}") for line in log.lines)


def test_privilege_too_low(bmc):
    controls = len(bmc.bmc.controls)
    p = ipmitool(bmc.port, "-L", "USER", "chassis", "power", "off", user="viewer", password="viewpass")
    assert p.returncode != 0 and "Insufficient privilege" in p.stdout + p.stderr
    assert len(bmc.bmc.controls) == controls and bmc.bmc.power_on
    # asking for more than the account may have fails at login, with a reason
    p = freeipmi("ipmipower", bmc.port, "--stat", user="viewer", password="viewpass")
    assert "privilege level cannot be obtained" in p.stdout + p.stderr
    ok(freeipmi("ipmipower", bmc.port, "--stat", "-l", "USER", user="viewer", password="viewpass"), r": (on|off)")


def test_suite_not_offered(bmc):
    p = ipmitool(bmc.port, "-C", "16", "chassis", "power", "status")
    assert p.returncode != 0 and "no matching cipher suite" in p.stdout + p.stderr
    p = freeipmi("ipmipower", bmc.port, "--stat", "--cipher-suite-id=16")
    assert "cipher suite id unavailable" in p.stdout + p.stderr


def test_replayed_packet_not_executed_twice(bmc):
    udp = Udp("127.0.0.1", bmc.port)
    c = RmcpPlusConsole(b"admin", b"password", random_bytes=os.urandom)
    login(c, udp.exchange)
    assert split_reply(c.decode(udp.exchange(c.request(0x06, 0x3B, b"\x04")))) == (0, b"\x04")
    controls = len(bmc.bmc.controls)
    power_on = c.request(0x00, 0x02, b"\x01")
    first = split_reply(c.decode(udp.exchange(power_on)))
    again = split_reply(c.decode(udp.exchange(power_on)))  # replay: the cached answer
    assert first == again == (0, b"")
    assert len(bmc.bmc.controls) == controls + 1
    # same session sequence number, different request: dropped
    assert udp.silent(c.request(0x00, 0x02, b"\x00", seq=c.seq))
    assert len(bmc.bmc.controls) == controls + 1 and bmc.bmc.power_on
    udp.sock.close()


def test_garbage_and_open_session_flood(bmc):
    udp = Udp("127.0.0.1", bmc.port)
    for junk in (b"", b"\x06", b"\x06\x00\xff\x07\x06", os.urandom(64), b"\x06\x00\xff\x07" + bytes(2000)):
        udp.sock.send(junk)
    for i in range(300):
        c = RmcpPlusConsole(b"admin", b"password", random_bytes=os.urandom, console_sid=i + 1)
        udp.sock.send(c.open_session())
    time.sleep(0.3)
    table = bmc.call(lambda: (len(bmc.service.server.table.handshakes), bmc.service.server.table.max_handshakes))
    assert table[0] <= table[1]
    ok(ipmitool(bmc.port, "chassis", "power", "status"), r"Chassis Power is (on|off)")
    udp.sock.close()


# --- state-changing checks last, leaving power on --------------------------------------------


def test_ipmitool_power_sequence(bmc):
    bmc.bmc.power_on = False
    ok(ipmitool(bmc.port, "chassis", "power", "on"), r"Up/On")
    ok(ipmitool(bmc.port, "chassis", "power", "cycle"), r"Cycle")
    ok(ipmitool(bmc.port, "chassis", "power", "reset"), r"Reset")
    ok(ipmitool(bmc.port, "chassis", "power", "off"), r"Down/Off")
    ok(ipmitool(bmc.port, "chassis", "power", "status"), r"Chassis Power is off")
    bmc.bmc.power_on = True


def test_ipmipower_on(bmc):
    ok(freeipmi("ipmipower", bmc.port, "--on"), r": ok")
    assert bmc.bmc.power_on


def test_pyghmi_set_power_on(bmc):
    bmc.bmc.power_on = False
    ok(pyghmi(bmc.port, "set_power"), r"'powerstate': 'on'")
    assert bmc.bmc.power_on
