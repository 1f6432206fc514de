"""Refusals of ``chassisctl serve`` on the simulated chassis: real clients and a raw console.

Wrong password, unknown user, disabled user, a ``user``-privilege account
(reads work, Chassis Control is refused), a suite not offered, replayed
packets, truncated / oversized / garbage datagrams, a flood of Open Session
requests and a source over its failed-login budget.  For each: the spec's
answer or silence, one log line per refusal on serve's stderr, and serve
keeps serving everyone else — a raw RMCP+ session opened before the first
refusal is still answered after the last.  One serve subprocess for the
module; handshake_timeout = 1 s so abandoned logins are logged quickly.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import time

import pytest

from chassisctl.ipmi.lan.console import LoginFailed, RmcpPlusConsole, login, split_reply
from chassisctl.ipmi.rmcpplus import (
    PayloadType,
    Rakp3,
    decode_open_session_response,
    decode_rakp2,
    decode_rakp4,
    decode_rmcpplus_header,
    encode_rakp3,
    encode_rmcpplus,
    rakp3_auth_code,
)

from interop import serve_fixture as sf
from interop.serve_fixture import Udp

pytestmark = pytest.mark.interop

#: Failed logins a source may spend before it is throttled (the rate-limit test spends them from 127.0.0.3).
BURST = 20
#: A second loopback address: failures from there must not throttle 127.0.0.1.
OTHER_SOURCE = "127.0.0.3"


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    ipmi = {"handshake_timeout": 1, "login_failures_burst": BURST, "login_failures_per_minute": 10}
    instance = sf.Serve(tmp_path_factory.mktemp("serve-refusals"), ipmi=ipmi).start()
    yield instance
    instance.stop()


_sid = iter(range(0x1000, 0x7FFFFFFF))


def console(user: bytes = b"admin", password: bytes = b"password", suite: int = 17, privilege: int = 4):
    return RmcpPlusConsole(user, password, suite=suite, privilege=privilege, random_bytes=os.urandom,
                           console_sid=next(_sid))


def logged_in(serve, user=b"admin", password=b"password", privilege=4, source="127.0.0.1"):
    udp = Udp(serve.host, serve.port, source)
    c = console(user, password, privilege=privilege)
    login(c, udp.exchange)
    if privilege > 2:
        reply = c.decode(udp.exchange(c.request(0x06, 0x3B, bytes((privilege,)))))
        assert split_reply(reply) == (0, bytes((privilege,)))
    return udp, c


def device_id_ok(udp: Udp, c: RmcpPlusConsole) -> bool:
    cc, data = split_reply(c.decode(udp.exchange(c.request(0x06, 0x01))))
    return cc == 0 and len(data) in (11, 15)


@pytest.fixture(scope="module")
def bystander(serve):
    """A raw session opened before any refusal; every test checks it is still served."""
    udp, c = logged_in(serve, b"oper", b"operpass", privilege=3)
    yield udp, c
    udp.close()


def still_serving(serve, bystander) -> None:
    assert serve.alive(), serve.log_text()
    udp, c = bystander
    assert device_id_ok(udp, c), "the bystander session is no longer answered"
    sf.passes(serve.ipmitool("chassis", "power", "status"), r"Chassis Power is on")


def wrong_password_rakp3(udp: Udp, user: bytes = b"admin", wrong: bytes = b"wrong", suite: int = 3) -> int | None:
    """Log in with a wrong password up to RAKP 3; the RAKP 4 status, or None when dropped."""
    c = console(user, wrong, suite=suite)
    try:
        reply = udp.exchange(c.open_session(), timeout=0.5)
    except TimeoutError:
        return None
    rakp1 = c.got_open_session(reply)
    reply = udp.exchange(rakp1)
    rakp2 = decode_rakp2(decode_rmcpplus_header(reply).payload(reply))
    assert rakp2.status == 0, rakp2
    code = rakp3_auth_code(c.suite.auth, wrong, rakp2.rc, c.console_sid, c.role, user)
    reply = udp.exchange(encode_rmcpplus(PayloadType.RAKP3, 0, 0, encode_rakp3(Rakp3(0, 0, c.bmc_sid, code))))
    return decode_rakp4(decode_rmcpplus_header(reply).payload(reply)).status


# --- logins refused -------------------------------------------------------------------------


def test_wrong_password(serve, bystander):
    since = serve.mark()
    ran = serve.ipmitool("chassis", "power", "status", password="wrong")
    assert ran.returncode != 0 and "Unable to establish" in ran.output, str(ran)
    ran = serve.freeipmi("ipmipower", "--stat", password="wrong")
    assert "password invalid" in ran.output, str(ran)
    ran = serve.pyghmi("power", password="wrong")
    assert ran.returncode != 0 and "Incorrect password" in ran.output, str(ran)
    udp = Udp(serve.host, serve.port)
    assert wrong_password_rakp3(udp) == 0x0F  # RAKP 4: invalid integrity check value
    udp.close()
    # the clients give up after RAKP 2 (logged as abandoned when the handshake times out, never
    # counted as a failed login); the raw console sends a wrong RAKP 3 (a failed login)
    lines = serve.wait_log(r"WARNING refused login abandoned after RAKP 2 from 127\.0\.0\.1:\d+ user 'admin'.*"
                           r"wrong password", since, count=3)
    assert len(lines) == 3, serve.log_lines(since)
    lines = serve.wait_log(r"WARNING refused wrong password from 127\.0\.0\.1:\d+ user 'admin': RAKP 3", since)
    assert len(lines) == 1, serve.log_lines(since)
    still_serving(serve, bystander)


@pytest.mark.parametrize("user,password,reason", [("nobody", "x", "unknown user"),
                                                  ("gone", "gonepass", "disabled user")],
                         ids=["unknown-user", "disabled-user"])
def test_unknown_and_disabled_user(serve, bystander, user, password, reason):
    since = serve.mark()
    ran = serve.ipmitool("chassis", "power", "status", user=user, password=password)
    assert ran.returncode != 0 and "Unable to establish" in ran.output, str(ran)
    ran = serve.freeipmi("ipmipower", "--stat", user=user, password=password)
    assert "username invalid" in ran.output, str(ran)
    udp = Udp(serve.host, serve.port)
    c = console(user.encode(), password.encode())
    with pytest.raises(LoginFailed) as failed:
        login(c, udp.exchange)
    assert (failed.value.step, failed.value.status) == ("RAKP 2", 0x0D)  # unauthorized name
    udp.close()
    lines = serve.wait_log(rf"WARNING refused {reason} from 127\.0\.0\.1:\d+ user '{user}'", since, count=3)
    assert len(lines) == 3, serve.log_lines(since)
    still_serving(serve, bystander)


def test_suite_not_offered(serve, bystander):
    since = serve.mark()
    for suite in ("1", "16"):
        ran = serve.ipmitool("-C", suite, "chassis", "power", "status")
        assert ran.returncode != 0 and "no matching cipher suite" in ran.output, str(ran)
    ran = serve.freeipmi("ipmipower", "--stat", "--cipher-suite-id=1")
    assert "cipher suite id unavailable" in ran.output, str(ran)
    udp = Udp(serve.host, serve.port)
    with pytest.raises(LoginFailed) as failed:
        login(console(suite=2), udp.exchange)
    assert (failed.value.step, failed.value.status) == ("Open Session", 0x11)  # no cipher suite match
    udp.close()
    lines = serve.wait_log(r"refused cipher suite not offered from 127\.0\.0\.1:\d+", since, count=4)
    assert len(lines) == 4, serve.log_lines(since)
    still_serving(serve, bystander)


# --- privilege -------------------------------------------------------------------------------

VIEWER_READS = [
    ("mc info", r"Device ID"),
    ("mc guid", r"System GUID"),
    ("chassis status", r"System Power"),
    ("chassis power status", r"Chassis Power is on"),
    ("sdr list", r"\|"),
    ("sdr elist", r"\|"),
    ("sensor list", r"\|"),
    ("fru print 0", r"Product Name"),
    ("sel info", r"Entries"),
    ("sel list", r""),
    ("channel info 1", r"Channel Medium"),
]


@pytest.mark.parametrize("cmd,pattern", VIEWER_READS, ids=[c for c, _ in VIEWER_READS])
def test_user_privilege_reads_work(serve, cmd, pattern):
    sf.passes(serve.ipmitool("-L", "USER", *cmd.split(), user="viewer", password="viewpass"), pattern)


@pytest.mark.parametrize("tool,args,pattern", [
    ("ipmipower", ("--stat",), r": on"),
    ("ipmi-chassis", ("--get-chassis-status",), r"System Power"),
    ("bmc-info", (), r"Device ID"),
    ("ipmi-sensors", ("--sdr-cache-recreate", "--quiet-cache"), r"\|.*Inlet Temp"),
], ids=["ipmipower", "ipmi-chassis", "bmc-info", "ipmi-sensors"])
def test_user_privilege_freeipmi_reads_work(serve, tool, args, pattern):
    if tool == "ipmi-sensors":
        args = (f"--sdr-cache-directory={serve.sdr_cache_dir('viewer')}", *args)
    sf.passes(serve.freeipmi(tool, "-l", "USER", *args, user="viewer", password="viewpass"), pattern)


def test_user_privilege_cannot_power_off(serve, bystander):
    assert serve.power() == "on"
    since = serve.mark()
    ran = serve.ipmitool("-L", "USER", "chassis", "power", "off", user="viewer", password="viewpass")
    assert ran.returncode != 0 and "Insufficient privilege" in ran.output, str(ran)
    udp, c = logged_in(serve, b"viewer", b"viewpass", privilege=2)
    assert split_reply(c.decode(udp.exchange(c.request(0x00, 0x02, b"\x00")))) == (0xD4, b"")
    # the session cannot raise itself above the account's limit either
    assert split_reply(c.decode(udp.exchange(c.request(0x06, 0x3B, b"\x03"))))[0] in (0x80, 0x81)
    udp.close()
    time.sleep(0.3)
    assert serve.power() == "on"
    lines = serve.wait_log(r"refused privilege too low .* user 'viewer' session [0-9a-f]{8}: Chassis Control needs "
                           r"OPERATOR, session is USER", since, count=2)
    assert len(lines) == 2, serve.log_lines(since)
    assert serve.wait_log(r"refused privilege too low .* user 'viewer' .*Set Session Privilege Level", since)
    # asking for more than the account may have fails at login, with a reason and a log line
    since = serve.mark()
    ran = serve.freeipmi("ipmipower", "--stat", user="viewer", password="viewpass")
    assert "privilege level cannot be obtained for this user" in ran.output, str(ran)
    assert serve.wait_log(r"WARNING refused privilege too low .* user 'viewer': asked for OPERATOR, limit USER",
                          since)
    still_serving(serve, bystander)


def test_operator_may_power_on(serve):
    sf.passes(serve.ipmitool("-L", "OPERATOR", "chassis", "power", "on", user="oper", password="operpass"),
              r"Up/On")


# --- replays -----------------------------------------------------------------------------------


def sel_entries(udp: Udp, c: RmcpPlusConsole) -> int:
    cc, data = split_reply(c.decode(udp.exchange(c.request(0x0A, 0x40))))
    assert cc == 0, cc
    return struct.unpack_from("<H", data, 1)[0]


def test_replayed_packet_is_not_executed_twice(serve, bystander):
    udp, c = logged_in(serve)
    before = sel_entries(udp, c)
    reset = c.request(0x00, 0x02, b"\x03")  # hard reset: the simulated BMC logs a restart event
    first = split_reply(c.decode(udp.exchange(reset)))
    assert first == (0, b"")
    assert sel_entries(udp, c) == before + 1
    since = serve.mark()
    again = split_reply(c.decode(udp.exchange(reset)))  # the same datagram: the cached reply
    assert again == first
    assert sel_entries(udp, c) == before + 1
    # the same session sequence number with another request: dropped, one log line
    assert udp.silent(c.request(0x00, 0x02, b"\x03", seq=c.seq))
    # a sequence number far ahead of the window: dropped, one log line
    assert udp.silent(c.request(0x00, 0x02, b"\x03", seq=c.seq + 1000))
    assert sel_entries(udp, c) == before + 1
    lines = serve.wait_log(rf"refused replayed or out-of-window packet from {re.escape(udp.where)} user 'admin'",
                           since, count=2)
    assert len(lines) == 2, serve.log_lines(since)
    udp.close()
    still_serving(serve, bystander)


# --- bad datagrams and floods ----------------------------------------------------------------------

GARBAGE = [
    b"",                                               # empty
    b"\x06",                                           # truncated RMCP header
    b"\x06\x00\xff\x07",                               # RMCP header only
    b"\x06\x00\xff\x07\x06",                           # truncated RMCP+ header
    b"\x06\x00\xff\x07\x06\x10\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff",  # payload length past the end
    b"\x06\x00\xff\x07\x00\x00\x00\x00\x00",           # truncated IPMI 1.5 header
    b"\x06\x00\xff\x07\x06\x10" + bytes(8) + b"\x05\x00" + bytes(5),  # Open Session of 5 bytes
    b"\x06\x00\xff\x06\x00\x00\x11",                   # truncated ASF
    b"\x05\x00\xff\x07" + bytes(40),                   # RMCP version 5
    b"\x06\x00\xff\x02" + bytes(20),                   # unknown RMCP class
    b"\x06\x00\xff\x07\x06\x00" + bytes(8) + b"\x08\x00" + b"\x20\x18\xc8\x81\x00\x38\x0e",  # bad checksum
    b"\x06\x00\xff\x07" + os.urandom(1) + bytes(2000),  # oversized
    bytes(range(256)) * 6,                             # oversized, not RMCP
    b"\x06\x00\xff\x07\x06\x00" + bytes(9000),           # larger than serve reads at once
]


def test_garbage_datagrams_are_dropped_and_logged(serve, bystander):
    udp = Udp(serve.host, serve.port)
    since = serve.mark()
    answered = [g for g in GARBAGE if not udp.silent(g, wait=0.15)]
    assert not answered, answered
    lines = serve.wait_log(rf"refused \w[\w ]* from {re.escape(udp.where)}\b", since, count=len(GARBAGE))
    assert len(lines) == len(GARBAGE), "\n".join(serve.log_lines(since))
    # and a burst of random bytes (not starting with the RMCP version 06h, so none is a
    # legitimate RMCP ACK, which serve ignores silently), each dropped with one line
    burst = [bytes((n % 6,)) + os.urandom(n) for n in range(199)]
    for datagram in burst:
        udp.sock.send(datagram)
    assert not udp.drain(0.3)
    lines = serve.wait_log(rf"refused \w[\w ]* from {re.escape(udp.where)}\b", since,
                           count=len(GARBAGE) + len(burst))
    assert len(lines) == len(GARBAGE) + len(burst)
    udp.close()
    assert serve.asf_ping() is not None
    still_serving(serve, bystander)


def test_open_session_flood(serve, bystander):
    udp = Udp(serve.host, serve.port)
    since = serve.mark()
    flood = [console(suite=3) for _ in range(300)]
    for c in flood:
        udp.sock.send(c.open_session())
    replies = [decode_open_session_response(decode_rmcpplus_header(r).payload(r)) for r in udp.drain(1.0)]
    refused = [r for r in replies if r.status]
    # answered, or dropped by the kernel when serve's socket buffer overflows; never a wrong answer
    assert len(flood) // 3 <= len(replies) <= len(flood)
    assert {r.console_session_id for r in replies} <= {c.console_sid for c in flood}
    assert all(r.status == 0x01 for r in refused), {r.status for r in refused}
    # unoffered suites: all refused with 11h, one log line each
    bad = [console(suite=2) for _ in range(50)]
    for c in bad:
        udp.sock.send(c.open_session())
    statuses = [decode_open_session_response(decode_rmcpplus_header(r).payload(r)).status for r in udp.drain(1.0)]
    assert statuses and set(statuses) == {0x11}
    bad = statuses
    lines = serve.wait_log(rf"refused \w[\w ]* from {re.escape(udp.where)}\b", since,
                           count=len(refused) + len(bad))
    assert len(lines) == len(refused) + len(bad), "\n".join(serve.log_lines(since))
    udp.close()
    # while the half-open logins sit in the table, a real client logs in at once
    sf.passes(serve.ipmitool("chassis", "power", "status"), r"Chassis Power is on")
    sf.passes(serve.freeipmi("ipmipower", "--stat"), r": on")
    still_serving(serve, bystander)


def test_source_over_its_failure_budget_is_throttled_alone(serve, bystander):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((OTHER_SOURCE, 0))
        except OSError as exc:
            pytest.skip(f"cannot send from {OTHER_SOURCE}: {exc}")
    since = serve.mark()
    udp = Udp(serve.host, serve.port, OTHER_SOURCE)
    statuses = [wrong_password_rakp3(udp) for _ in range(BURST + 5)]
    answered = [s for s in statuses if s is not None]
    assert set(answered) == {0x0F} and BURST <= len(answered) < BURST + 5, statuses
    assert statuses[-1] is None  # dropped: this source is throttled
    wrong = serve.wait_log(rf"WARNING refused wrong password from {re.escape(OTHER_SOURCE)}:", since,
                           count=len(answered))
    assert len(wrong) == len(answered)
    limited = serve.wait_log(rf"refused rate-limited from {re.escape(OTHER_SOURCE)}:", since)
    assert len(limited) == 1, limited  # once per 10 s, however many were dropped
    # the right password from the throttled source is dropped too ...
    c = console()
    assert udp.silent(c.open_session(), wait=0.5)
    udp.close()
    # ... while everyone else logs in
    sf.passes(serve.ipmitool("chassis", "power", "status"), r"Chassis Power is on")
    still_serving(serve, bystander)


def test_serve_kept_serving(serve, bystander):
    still_serving(serve, bystander)
    log = serve.log_text()
    assert "Traceback" not in log and " ERROR " not in log, log
