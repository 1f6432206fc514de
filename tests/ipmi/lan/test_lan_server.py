"""LanServer, driven with a fake clock and the in-package RMCP+ console."""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chassisctl.ipmi.codes import Privilege
from chassisctl.ipmi.lan import (
    LanServer,
    Refused,
    RefusalReason,
    RequestReceived,
    SessionClosed,
    SessionOpened,
)
from chassisctl.ipmi.lan.console import LoginFailed, RmcpPlusConsole, login, split_reply
from chassisctl.ipmi.message import Response
from chassisctl.serve.lan_settings import lan_config_from_toml
from chassisctl.ipmi.rmcp import (
    AuthType,
    LanMessage,
    asf_ping,
    decode_asf,
    decode_lan_message,
    decode_v15,
    encode_lan_message,
    encode_v15,
    pad16,
    v15_auth_code,
)
from chassisctl.ipmi.rmcpplus import (
    PayloadType,
    decode_open_session_response,
    decode_rakp2,
    decode_rakp4,
    decode_rmcpplus_header,
    encode_rmcpplus,
)

ADDR = ("192.0.2.10", 40000)
GUID = bytes.fromhex("a123456789abcdefa123456789abcdef")
USERS = [
    {"name": "admin", "password": "password", "privilege": "administrator"},
    {"name": "oper", "password": "operpass", "privilege": "operator"},
    {"name": "viewer", "password": "viewpass", "privilege": "user"},
    {"name": "gone", "password": "gonepass", "privilege": "administrator", "enabled": False},
]


def rand_source(seed: bytes = b"") -> callable:
    counter = itertools.count()

    def random_bytes(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(seed + next(counter).to_bytes(8, "big")).digest()
        return out[:n]

    return random_bytes


def make_server(answer=None, **ipmi) -> LanServer:
    doc = {"ipmi": {"users": USERS, "cipher_suites": [17, 3, 1, 2, 15, 16], "ipmi15_auth_types": ["md5", "password"]}}
    doc["ipmi"].update(ipmi)
    return LanServer(lan_config_from_toml(doc, None), random_bytes=rand_source(b"server"), guid=GUID,
                     answer=answer)


def events(server: LanServer) -> list:
    out = []
    while (e := server.next_event()) is not None:
        out.append(e)
    return out


def exchange(server: LanServer, datagram: bytes, now: float = 0.0, addr=ADDR) -> bytes:
    server.receive_datagram(datagram, addr, now)
    out = server.datagrams_to_send()
    assert len(out) == 1, out
    assert out[0][1] == addr
    return out[0][0]


def silent(server: LanServer, datagram: bytes, now: float = 0.0, addr=ADDR) -> None:
    server.receive_datagram(datagram, addr, now)
    assert server.datagrams_to_send() == []


def console(user=b"admin", password=b"password", suite=17, privilege=4, **kw) -> RmcpPlusConsole:
    return RmcpPlusConsole(user, password, suite=suite, privilege=privilege, random_bytes=rand_source(user), **kw)


def logged_in(server, user=b"admin", password=b"password", suite=17, privilege=4, now=0.0, raise_to=None):
    c = console(user, password, suite, privilege)
    login(c, lambda d: exchange(server, d, now))
    if raise_to is not None:
        cc, data = call(server, c, 0x06, 0x3B, bytes((raise_to,)), now)
        assert cc == 0 and data == bytes((raise_to,))
    events(server)
    return c


def logged_in_from(server, addr, user=b"admin", password=b"password", privilege=4, now=0.0, suite=17):
    c = RmcpPlusConsole(user, password, suite=suite, privilege=privilege,
                        random_bytes=rand_source(user + repr(addr).encode()), console_sid=next(_console_sids))
    login(c, lambda d: exchange(server, d, now, addr=addr))
    events(server)
    return c


_console_sids = itertools.count(0x1000)


def call(server, c, netfn, cmd, data=b"", now=0.0, **kw) -> tuple[int, bytes]:
    return split_reply(c.decode(exchange(server, c.request(netfn, cmd, data, **kw), now)))


def app_answer(server, c, netfn, cmd, data=b"", reply=b"\x00", now=0.0):
    """Send a forwarded request, answer it as the application would, return the decoded reply."""
    silent(server, c.request(netfn, cmd, data), now)
    (ev,) = [e for e in events(server) if isinstance(e, RequestReceived)]
    server.respond(ev, ev.request.reply(reply[0], reply[1:]), now)
    (out,) = server.datagrams_to_send()
    return ev, split_reply(c.decode(out[0]))


# --- sessionless -------------------------------------------------------------------


def test_asf_ping_gets_pong_with_tag():
    server = make_server()
    pong = decode_asf(exchange(server, asf_ping(0x42)))
    assert pong.msg_type == 0x40 and pong.tag == 0x42 and pong.data[8] == 0x81


def test_asf_ping_asking_for_ack_gets_ack_then_pong():
    server = make_server()
    ping = bytearray(asf_ping(7))
    ping[2] = 0x05
    server.receive_datagram(bytes(ping), ADDR, 0.0)
    out = [d for d, _ in server.datagrams_to_send()]
    assert out[0] == b"\x06\x00\x05\x86" and decode_asf(out[1]).tag == 7


def test_auth_caps_worked_example_bytes():
    server = make_server(ipmi15_auth_types=["none", "md5", "password"], allow_ipmi15_auth_none=True)
    rq = bytes.fromhex("0600ff07" "00" "00000000" "00000000" "09" "2018c881" "00388e04b5")
    rs = bytes.fromhex("0600ff07" "00" "00000000" "00000000" "10" "811c6320" "00380001950403000000000b")
    assert exchange(server, rq) == rs


@pytest.mark.parametrize("v20", [True, False])
def test_auth_caps_answered_with_bit7_set_and_clear(v20):
    server = make_server()
    msg = encode_lan_message(LanMessage(0x20, 6, 0, 0x81, 1, 0, 0x38, bytes((0x8E if v20 else 0x0E, 4))))
    reply = decode_lan_message(decode_v15(exchange(server, encode_v15(0, 0, 0, msg))).message)
    cc, chan, support, status, ext = reply.data[:5]
    assert (cc, chan) == (0, 1)
    assert support == (0x80 if v20 else 0) | 0x14  # MD5 + straight password
    assert status == 0x04 and ext == (0x03 if v20 else 0)


def test_auth_caps_in_v20_framing_and_cipher_suites_sessionless():
    server = make_server(cipher_suites=[17, 3])
    c = console()
    r = c.decode(exchange(server, c.sessionless(0x06, 0x38, b"\x8e\x04")))
    assert r.data[0] == 0 and r.data[2] & 0x80
    r = c.decode(exchange(server, c.sessionless(0x06, 0x54, b"\x0e\x00\x80")))
    assert r.data == bytes.fromhex("0001" "c011034481" "c003014181")
    r = c.decode(exchange(server, c.sessionless(0x06, 0x54, b"\x0e\x00\x81")))
    assert r.data == b"\x00\x01"  # empty page ends the list


def test_cipher_suite_pages_of_16_bytes():
    server = make_server(cipher_suites=[17, 3, 1, 2, 15, 16])
    c = console()
    pages = []
    for i in range(4):
        r = c.decode(exchange(server, c.sessionless(0x06, 0x54, bytes((0x0E, 0, 0x80 | i)))))
        pages.append(r.data[2:])
    assert [len(p) for p in pages] == [16, 14, 0, 0]
    assert pages[0][:5] == bytes.fromhex("c011034481")


def test_other_sessionless_commands_refused_silently():
    server = make_server()
    c = console()
    silent(server, c.sessionless(0x00, 0x02, b"\x00"))  # Chassis Control without a session
    (ev,) = events(server)
    assert isinstance(ev, Refused) and ev.reason is RefusalReason.NOT_ALLOWED_OUTSIDE_SESSION


# --- RMCP+ login ---------------------------------------------------------------------


@pytest.mark.parametrize("suite", [17, 3, 2, 1, 15, 16])
def test_login_and_request_every_suite(suite):
    server = make_server()
    c = logged_in(server, suite=suite)
    ev, (cc, data) = app_answer(server, c, 0x06, 0x01, reply=b"\x00\x20\x01")
    assert ev.request.netfn == 6 and ev.request.cmd == 1 and ev.privilege == Privilege.USER
    assert (cc, data) == (0, b"\x20\x01")


def test_suite_0_only_when_enabled():
    server = make_server()
    with pytest.raises(LoginFailed) as exc:
        logged_in(server, suite=0)
    assert exc.value.status == 0x11
    server = make_server(cipher_suites=[0, 17], allow_cipher_suite_0=True)
    c = logged_in(server, suite=0, password=b"anything")
    assert app_answer(server, c, 0x06, 0x01)[1] == (0, b"")


def test_open_session_response_never_substitutes_and_never_promises_0():
    server = make_server(cipher_suites=[3])
    c = console(suite=17)
    rsp = decode_open_session_response(decode_rmcpplus_header(raw := exchange(server, c.open_session())).payload(raw))
    assert rsp.status == 0x11 and rsp.bmc_session_id == 0
    (ev,) = events(server)
    assert ev.reason is RefusalReason.SUITE_NOT_OFFERED
    c = console(suite=3)
    raw = exchange(server, c.open_session(requested_privilege=0))
    rsp = decode_open_session_response(decode_rmcpplus_header(raw).payload(raw))
    assert rsp.status == 0 and rsp.privilege == 4 and (rsp.auth, rsp.integrity, rsp.confidentiality) == (1, 1, 1)
    raw = exchange(server, c.open_session(requested_privilege=3))
    assert decode_open_session_response(decode_rmcpplus_header(raw).payload(raw)).privilege == 3


def _rakp2_status(server, user, password=b"x", privilege=4):
    c = console(user, password, privilege=privilege)
    raw = exchange(server, c.got_open_session(exchange(server, c.open_session())))
    return decode_rakp2(decode_rmcpplus_header(raw).payload(raw)).status


def test_rakp2_statuses():
    server = make_server()
    assert _rakp2_status(server, b"nobody") == 0x0D
    assert _rakp2_status(server, b"gone") == 0x0D
    assert _rakp2_status(server, b"viewer", privilege=4) == 0x0A
    assert _rakp2_status(server, b"viewer", privilege=2) == 0
    reasons = [e.reason for e in events(server) if isinstance(e, Refused)]
    assert reasons == [RefusalReason.UNKNOWN_USER, RefusalReason.DISABLED_USER, RefusalReason.PRIVILEGE_TOO_LOW]


def test_wrong_rakp3_code_gets_rakp4_0f():
    server = make_server()
    good = console(b"admin", b"password")
    rakp1 = good.got_open_session(exchange(server, good.open_session()))
    rakp2 = exchange(server, rakp1)
    # the console with the wrong password cannot check RAKP 2 but sends its own RAKP 3
    m = decode_rakp2(decode_rmcpplus_header(rakp2).payload(rakp2))
    from chassisctl.ipmi.rmcpplus import Rakp3, encode_rakp3, rakp3_auth_code

    code = rakp3_auth_code(3, b"wrong", m.rc, good.console_sid, good.role, b"admin")
    raw = exchange(server, encode_rmcpplus(PayloadType.RAKP3, 0, 0, encode_rakp3(Rakp3(0, 0, good.bmc_sid, code))))
    assert decode_rakp4(decode_rmcpplus_header(raw).payload(raw)).status == 0x0F
    assert [e.reason for e in events(server)] == [RefusalReason.WRONG_PASSWORD]
    assert server.active_sessions == 0


def test_console_abandoning_after_rakp2_is_logged_but_never_a_failed_login():
    server = make_server(login_failures_burst=1)
    c = console(b"admin", b"wrong")
    exchange(server, c.got_open_session(exchange(server, c.open_session())))
    server.handle_timer(10.0)
    (ev,) = events(server)
    assert ev.reason is RefusalReason.ABANDONED and ev.user == "admin"
    # the one-failure budget is untouched: nothing proves who opened that login
    logged_in(server, now=10.0)


def test_retransmitted_rakp1_and_rakp3_get_the_same_answers():
    server = make_server()
    c = console()
    rakp1 = c.got_open_session(exchange(server, c.open_session()))
    first = exchange(server, rakp1)
    assert exchange(server, rakp1) == first
    rakp3 = c.got_rakp2(first)
    r4 = exchange(server, rakp3)
    assert exchange(server, rakp3) == r4
    c.got_rakp4(r4)
    assert server.active_sessions == 1


def test_kg_is_used_for_the_sik():
    kg = bytes(range(1, 21))
    server = make_server(kg=kg.hex())
    without = console()
    with pytest.raises(LoginFailed):
        login(without, lambda d: exchange(server, d))
    with_kg = console(kg=kg)
    login(with_kg, lambda d: exchange(server, d))
    assert app_answer(server, with_kg, 0x06, 0x01)[1][0] == 0


def _open_status(server, addr, now, c=None) -> int:
    raw = exchange(server, (c or console()).open_session(), now=now, addr=addr)
    return decode_open_session_response(decode_rmcpplus_header(raw).payload(raw)).status


def test_out_of_slots_refused_with_status_not_silence():
    # Two different users from two addresses, both busy: nobody holds more than
    # their share, so nobody is evicted and a third login is refused, with a status.
    server = make_server(max_sessions=2)
    logged_in_from(server, ("192.0.2.1", 1), b"admin")
    logged_in_from(server, ("192.0.2.2", 1), b"oper", b"operpass", privilege=3)
    assert _open_status(server, ("192.0.2.3", 1), 1.0) == 0x01
    assert [e.reason for e in events(server)] == [RefusalReason.NO_RESOURCES]
    # once the others are idle long enough (session_timeout / 4), the stalest makes room
    logged_in_from(server, ("192.0.2.3", 1), b"viewer", b"viewpass", privilege=2, now=16.0)
    assert server.active_sessions == 2


# --- privilege --------------------------------------------------------------------------


def test_session_starts_at_user_and_privilege_checks():
    server = make_server()
    c = logged_in(server, b"oper", b"operpass", privilege=3)
    assert call(server, c, 0x00, 0x02, b"\x00") == (0xD4, b"")  # Chassis Control needs operator
    refused = [e for e in events(server) if isinstance(e, Refused)]
    assert refused[0].reason is RefusalReason.PRIVILEGE_TOO_LOW and refused[0].session_id == c.bmc_sid
    assert call(server, c, 0x06, 0x3B, b"\x04") == (0x80, b"")  # above the user's limit
    assert call(server, c, 0x06, 0x3B, b"\x03") == (0, b"\x03")
    ev, (cc, _) = app_answer(server, c, 0x00, 0x02, b"\x00")
    assert cc == 0 and ev.privilege == Privilege.OPERATOR
    assert call(server, c, 0x06, 0x02) == (0xD4, b"")  # Cold Reset needs admin


def test_set_privilege_above_login_role_is_81():
    server = make_server()
    c = logged_in(server, privilege=2)
    assert call(server, c, 0x06, 0x3B, b"\x04") == (0x81, b"")
    assert call(server, c, 0x06, 0x3B, b"\x00") == (0, b"\x02")


# --- sequence numbers, retransmissions, replays ----------------------------------------


def test_retransmission_answered_from_cache_never_re_emitted():
    server = make_server()
    c = logged_in(server, raise_to=4)
    datagram = c.request(0x00, 0x02, b"\x02")  # power cycle
    silent(server, datagram)
    (ev,) = events(server)
    silent(server, datagram)  # retransmitted while executing: dropped
    assert events(server) == []
    server.respond(ev, ev.request.reply(0), 0.0)
    first = server.datagrams_to_send()
    assert len(first) == 1
    # retransmitted after the reply: same reply again, not a second event
    again = split_reply(c.decode(exchange(server, datagram, now=1.0)))
    assert again == (0, b"")
    # a retransmission with a fresh session sequence number but the same request
    again = split_reply(c.decode(exchange(server, c.request(0x00, 0x02, b"\x02", rq_seq=c.rq_seq), now=1.5)))
    assert again == (0, b"") and events(server) == []


def test_replay_with_other_bytes_refused():
    server = make_server()
    c = logged_in(server)
    call(server, c, 0x06, 0x3B, b"\x00")
    seq = c.seq
    silent(server, c.request(0x06, 0x3B, b"\x00", seq=seq, rq_seq=9))  # same session seq, new request
    assert [e.reason for e in events(server)] == [RefusalReason.REPLAYED]
    silent(server, c.request(0x06, 0x3B, b"\x00", seq=seq + 1000))  # far ahead: outside the window
    assert [e.reason for e in events(server)] == [RefusalReason.REPLAYED]
    assert call(server, c, 0x06, 0x3B, b"\x00") == (0, b"\x02")


def test_out_of_order_within_window_accepted():
    server = make_server()
    c = logged_in(server)
    late = c.request(0x06, 0x3B, b"\x00")
    for _ in range(3):
        call(server, c, 0x06, 0x3B, b"\x00")
    assert split_reply(c.decode(exchange(server, late))) == (0, b"\x02")


def test_bad_auth_code_refused():
    server = make_server()
    c = logged_in(server)
    d = bytearray(c.request(0x06, 0x3B, b"\x00"))
    d[-1] ^= 1
    silent(server, bytes(d))
    assert [e.reason for e in events(server)] == [RefusalReason.BAD_INTEGRITY]


def test_outbound_sequence_numbers_increase():
    server = make_server()
    c = logged_in(server)
    seqs = []
    for _ in range(3):
        call(server, c, 0x06, 0x3B, b"\x00")
        seqs.append(c.last_reply_seq)
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2] and seqs[0] >= 1


# --- session table ------------------------------------------------------------------------


def test_close_session_frees_the_slot():
    server = make_server(max_sessions=1)
    c = logged_in(server)
    assert server.active_sessions == 1
    assert call(server, c, 0x06, 0x3C, struct.pack("<I", c.bmc_sid)) == (0, b"")
    assert server.active_sessions == 0
    assert any(isinstance(e, SessionClosed) and e.reason == "closed" for e in events(server))
    logged_in(server)
    silent(server, c.request(0x06, 0x01))  # the closed session is gone
    assert events(server)[0].reason is RefusalReason.UNKNOWN_SESSION


def test_close_unknown_session_87():
    server = make_server()
    c = logged_in(server)
    assert call(server, c, 0x06, 0x3C, struct.pack("<I", 0x12345678)) == (0x87, b"")
    assert call(server, c, 0x06, 0x3C, b"\x00\x00\x00\x00\x3f") == (0x88, b"")


def test_idle_sessions_and_half_open_logins_reaped():
    server = make_server(session_timeout=60)
    logged_in(server, now=0.0)
    c = console()
    exchange(server, c.open_session(), now=0.0)
    assert server.get_timer() == 3.0
    server.handle_timer(3.0)
    assert len(server.table.handshakes) == 0
    assert server.get_timer() == 60.0
    server.handle_timer(60.0)
    assert server.active_sessions == 0 and server.get_timer() is None
    assert [e.reason for e in events(server) if isinstance(e, SessionClosed)] == ["timeout"]


def test_open_session_flood_stays_bounded_and_legit_login_works():
    server = make_server(max_sessions=4)
    for i in range(500):
        c = console(console_sid=i + 1)
        exchange(server, c.open_session(), now=0.001 * i, addr=("198.51.100.7", 1000 + i))
    assert len(server.table.handshakes) <= server.table.max_handshakes
    assert server.active_sessions == 0
    logged_in(server, now=0.6)  # during / right after the flood, no waiting
    assert server.active_sessions == 1


def test_rate_limit_after_failures():
    server = make_server(login_failures_burst=3, login_failures_per_minute=6)
    for _ in range(3):
        assert _rakp2_status(server, b"nobody") == 0x0D
    events(server)
    silent(server, console().open_session(), now=0.5)
    assert [e.reason for e in events(server)] == [RefusalReason.RATE_LIMITED]
    logged_in(server, now=11.0)  # one token back after 10 s


def test_rate_limit_is_per_source():
    server = make_server(login_failures_burst=1)
    _rakp2_status(server, b"nobody")
    other = ("203.0.113.5", 5000)
    c = console()
    login(c, lambda d: exchange(server, d, 0.1, addr=other))


def test_get_session_info_and_channel_commands():
    server = make_server()
    c = logged_in(server, raise_to=4)
    cc, data = call(server, c, 0x06, 0x3D, b"\x00")
    assert cc == 0 and data[1] == 15 and data[2] == 1 and data[3] == 2 and data[4] == 4 and data[5] == 0x11
    cc, data = call(server, c, 0x06, 0x42, b"\x01")
    assert (cc, data) == (0, bytes.fromhex("01040181f21b000000"))
    assert call(server, c, 0x06, 0x42, b"\x05")[0] == 0xCC
    assert call(server, c, 0x06, 0x41, b"\x01\x40") == (0, b"\x22\x04")
    assert call(server, c, 0x06, 0x44, b"\x01\x02") == (0, bytes((5, 0x43, 1, 0x34)))
    assert call(server, c, 0x06, 0x44, b"\x01\x01")[1][3] == 0x0F
    assert call(server, c, 0x06, 0x46, b"\x02") == (0, b"admin".ljust(16, b"\0"))
    assert call(server, c, 0x06, 0x46, b"\x01") == (0, bytes(16))
    assert call(server, c, 0x06, 0x47, b"\x02\x02" + b"password".ljust(16, b"\0")) == (0, b"")
    assert call(server, c, 0x06, 0x47, b"\x02\x02" + b"nope".ljust(16, b"\0")) == (0x80, b"")
    assert call(server, c, 0x06, 0x47, b"\x02\x03" + b"new".ljust(16, b"\0")) == (0xD6, b"")
    assert call(server, c, 0x06, 0x54, b"\x0e\x00\x80")[1][:6] == bytes.fromhex("01c011034481")


def test_lan_parameters():
    server = make_server(cipher_suites=[17, 3], ip_address="10.0.0.5", mac_address="02:00:00:00:00:01")
    c = logged_in(server, raise_to=4)
    def p(n: int):
        return call(server, c, 0x0C, 0x02, bytes((1, n, 0, 0)))

    assert p(3) == (0, b"\x11" + bytes((10, 0, 0, 5)))
    assert p(5) == (0, b"\x11\x02\x00\x00\x00\x00\x01")
    assert p(1) == (0, b"\x11\x14")  # MD5 + straight password
    assert p(22) == (0, b"\x11\x02")
    assert p(23) == (0, b"\x11\x00\x11\x03")
    assert p(24) == (0, b"\x11\x00\x44" + bytes(7))
    assert p(20) == (0, b"\x11\x00\x00")
    assert p(99) == (0x80, b"")
    assert call(server, c, 0x0C, 0x02, b"\x81\x03\x00\x00") == (0, b"\x11")
    assert call(server, c, 0x0C, 0x01, b"\x01\x03\x00\x00\x00\x00") == (0xD6, b"")


def test_response_after_session_closed_is_dropped():
    server = make_server()
    c = logged_in(server)
    silent(server, c.request(0x06, 0x01))
    (ev,) = events(server)
    server.handle_timer(1000.0)
    server.respond(ev, Response(7, 1, 0), 1000.0)
    assert server.datagrams_to_send() == []


# --- IPMI 1.5 ---------------------------------------------------------------------------


class V15Console:
    def __init__(self, server, user=b"admin", password=b"password", auth=AuthType.MD5, addr=ADDR):
        self.server, self.user, self.pw, self.auth = server, user, pad16(password), auth
        self.addr = addr
        self.rq_seq = 0

    def msg(self, cmd, data, netfn=6):
        self.rq_seq += 1
        return encode_lan_message(LanMessage(0x20, netfn, 0, 0x81, self.rq_seq, 0, cmd, data))

    def login(self, privilege=4):
        m = self.msg(0x39, bytes((self.auth,)) + pad16(self.user))
        r = decode_lan_message(decode_v15(exchange(self.server, encode_v15(0, 0, 0, m), addr=self.addr)).message)
        if r.data[0]:
            return r.data[0]
        self.sid, challenge = struct.unpack_from("<I", r.data, 1)[0], r.data[5:21]
        m = self.msg(0x3A, bytes((self.auth, privilege)) + challenge + struct.pack("<I", 0x1000))
        self.server.receive_datagram(encode_v15(self.auth, 0, self.sid, m, self.code(m, 0)), self.addr, 0.0)
        out = self.server.datagrams_to_send()
        if not out:
            return None
        pkt = decode_v15(out[0][0])
        assert pkt.auth_code == self.code(pkt.message, pkt.seq)
        self.activate_seq = pkt.seq
        r = decode_lan_message(pkt.message)
        if r.data[0]:
            return r.data[0]
        self.seq = struct.unpack_from("<I", r.data, 6)[0]
        return 0

    def code(self, m, seq):
        if self.auth == AuthType.NONE:
            return None
        return v15_auth_code(self.auth, self.pw, self.sid, m, seq)

    def call(self, netfn, cmd, data=b""):
        m = self.msg(cmd, data, netfn)
        pkt = encode_v15(self.auth, self.seq, self.sid, m, self.code(m, self.seq))
        self.seq += 1
        self.server.receive_datagram(pkt, ADDR, 0.0)
        return self.server.datagrams_to_send()


@pytest.mark.parametrize("auth", [AuthType.MD5, AuthType.PASSWORD])
def test_v15_login_and_commands(auth):
    server = make_server()
    v = V15Console(server, auth=auth)
    assert v.login() == 0
    # The Activate Session response carries the console's initial outbound
    # sequence number; FreeIPMI anchors its receive window on it (§22.17).
    assert v.activate_seq == 0x1000
    out = v.call(0x06, 0x3B, b"\x04")
    pkt = decode_v15(out[0][0])
    assert pkt.seq == 0x1001 and pkt.auth_code == v.code(pkt.message, pkt.seq)
    assert decode_lan_message(pkt.message).data == b"\x00\x04"
    assert v.call(0x00, 0x01) == []
    (ev,) = [e for e in events(server) if isinstance(e, RequestReceived)]
    server.respond(ev, ev.request.reply(0, b"\x01\x00\x00"), 0.0)
    pkt = decode_v15(server.datagrams_to_send()[0][0])
    assert pkt.seq == 0x1002 and decode_lan_message(pkt.message).data == b"\x00\x01\x00\x00"


def test_v15_failures():
    server = make_server()
    assert V15Console(server, user=b"nobody").login() == 0x81
    assert V15Console(server, password=b"wrong").login() is None
    assert V15Console(server, user=b"viewer", password=b"viewpass").login(privilege=4) == 0x86
    server2 = make_server(ipmi15_auth_types=["md5"])
    assert V15Console(server2, auth=AuthType.PASSWORD).login() == 0xCC
    reasons = [e.reason for e in events(server) if isinstance(e, Refused)]
    assert reasons == [RefusalReason.UNKNOWN_USER, RefusalReason.WRONG_PASSWORD, RefusalReason.PRIVILEGE_TOO_LOW]


def test_v15_auth_none_only_when_enabled():
    assert V15Console(make_server(), auth=AuthType.NONE).login() == 0xCC
    server = make_server(ipmi15_auth_types=["none", "md5"], allow_ipmi15_auth_none=True)
    v = V15Console(server, auth=AuthType.NONE)
    assert v.login() == 0
    m = v.msg(0x3B, b"\x00")
    server.receive_datagram(encode_v15(AuthType.NONE, v.seq, v.sid, m), ADDR, 0.0)
    (out,) = server.datagrams_to_send()
    assert decode_lan_message(decode_v15(out[0]).message).data == b"\x00\x02"


def test_v15_replay_refused():
    server = make_server()
    v = V15Console(server)
    v.login()
    m = v.msg(0x3B, b"\x00")
    pkt = encode_v15(v.auth, v.seq, v.sid, m, v.code(m, v.seq))
    server.receive_datagram(pkt, ADDR, 0.0)
    assert len(server.datagrams_to_send()) == 1
    events(server)
    m2 = v.msg(0x3B, b"\x04")
    server.receive_datagram(encode_v15(v.auth, v.seq, v.sid, m2, v.code(m2, v.seq)), ADDR, 0.0)
    assert server.datagrams_to_send() == []
    assert [e.reason for e in events(server)] == [RefusalReason.REPLAYED]


# --- robustness ---------------------------------------------------------------------------


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_garbage_never_raises(data):
    server = make_server()
    server.receive_datagram(data, ADDR, 0.0)
    server.datagrams_to_send()
    events(server)


_SERVER = make_server()
_C = logged_in(_SERVER)
_VALID = [
    _C.request(0x06, 0x01),
    _C.open_session(),
    console().sessionless(0x06, 0x54, b"\x0e\x00\x80"),
    bytes.fromhex("0600ff0700000000000000000009" "2018c881" "00388e04b5"),
    asf_ping(1),
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_VALID), st.integers(0, 300), st.integers(1, 255), st.integers(0, 300))
def test_mutated_valid_datagrams_never_raise(base, pos, xor, cut):
    data = bytearray(base)
    data[pos % len(data)] ^= xor
    for candidate in (bytes(data), bytes(data[: cut % (len(data) + 1)]), bytes(data) + bytes(cut % 40)):
        _SERVER.receive_datagram(candidate, ADDR, 1.0)
    _SERVER.datagrams_to_send()
    events(_SERVER)


def test_oversized_datagram_dropped():
    server = make_server()
    silent(server, b"\x06\x00\xff\x07" + bytes(5000))
    assert events(server)[0].reason is RefusalReason.MALFORMED


def test_events_are_frozen():
    server = make_server()
    silent(server, b"junk")
    (ev,) = events(server)
    with pytest.raises(AttributeError):
        ev.reason = None  # type: ignore[misc]
    assert replace(ev, detail="x").detail == "x"
    assert isinstance(SessionOpened, type)


def test_replay_from_elsewhere_does_not_divert_the_session():
    server = make_server()
    c = logged_in(server)
    datagram = c.request(0x06, 0x3B, b"\x00")
    exchange(server, datagram)
    attacker = ("198.51.100.99", 666)
    server.receive_datagram(datagram, attacker, 1.0)  # cached reply goes to the sender only
    server.datagrams_to_send()
    assert server.table.sessions[c.bmc_sid].addr == ADDR
    call(server, c, 0x06, 0x3B, b"\x00")  # and the console keeps getting its replies


# --- the synchronous answer hook ------------------------------------------------------


class Answers:
    """An ``answer`` hook that knows Get Device ID and records what it was asked."""

    def __init__(self) -> None:
        self.asked = []

    def __call__(self, request):
        self.asked.append(request)
        if (request.netfn, request.cmd) == (0x06, 0x01):
            return Response(0x07, 0x01, 0x00, b"\x20\x81", request.lun)
        return None


@pytest.mark.parametrize("suite", [17, 3, 1])
def test_answer_hook_replies_at_once_without_an_event(suite):
    answers = Answers()
    server = make_server(answer=answers)
    c = logged_in(server, suite=suite)
    datagram = c.request(0x06, 0x01)
    assert split_reply(c.decode(exchange(server, datagram, 1.0))) == (0, b"\x20\x81")
    assert [e for e in events(server) if isinstance(e, RequestReceived)] == []
    assert [(r.netfn, r.cmd, r.data, r.lun) for r in answers.asked] == [(0x06, 0x01, b"", 0)]
    # a retransmission gets the cached reply; the hook is not asked again
    assert split_reply(c.decode(exchange(server, datagram, 2.0))) == (0, b"\x20\x81")
    assert len(answers.asked) == 1


def test_answer_hook_none_lets_the_request_through():
    answers = Answers()
    server = make_server(answer=answers)
    c = logged_in(server)
    ev, reply = app_answer(server, c, 0x00, 0x01, reply=b"\x00\x01\x00\x00")
    assert (ev.request.netfn, ev.request.cmd) == (0x00, 0x01) and reply == (0, b"\x01\x00\x00")
    assert [(r.netfn, r.cmd) for r in answers.asked] == [(0x00, 0x01)]


def test_answer_hook_never_sees_what_the_session_may_not_do():
    answers = Answers()
    server = make_server(answer=answers)
    c = logged_in(server, b"viewer", b"viewpass", privilege=2)
    assert call(server, c, 0x00, 0x02, b"\x01")[0] == 0xD4  # Chassis Control needs OPERATOR
    assert call(server, c, 0x06, 0x3B, b"\x02")[0] == 0  # Set Session Privilege: answered by the server
    assert answers.asked == []


def test_take_events_hands_over_everything_once():
    server = make_server()
    assert server.take_events() == []
    silent(server, b"junk one")
    silent(server, b"junk two")
    taken = server.take_events()
    assert [type(e) for e in taken] == [Refused, Refused]
    assert server.take_events() == [] and server.next_event() is None


# --- limits: logins in progress per source, sessions per user and address, the administrator's slot ---


def _rakp2_from(server, c, addr, now=0.0):
    """Open Session and RAKP 1 from ``addr``; the RAKP 2 message (raw in ``c.last_rakp2``)."""
    raw = exchange(server, c.got_open_session(exchange(server, c.open_session(), now, addr)), now, addr)
    c.last_rakp2 = raw
    return decode_rakp2(decode_rmcpplus_header(raw).payload(raw))


def _flood(server, source: str, count: int, now: float) -> None:
    """``count`` Open Session Requests from one address (each from its own port), answers discarded."""
    for i in range(count):
        c = console(console_sid=0x10000 + i)
        server.receive_datagram(c.open_session(), (source, 1024 + i % 60000), now)
    server.datagrams_to_send()


def test_open_session_flood_from_one_address_never_drops_another_addresss_login():
    server = make_server(login_failures_burst=1)
    victim = console()
    assert _rakp2_from(server, victim, ADDR).status == 0  # the victim is between RAKP 2 and RAKP 3
    _flood(server, "198.51.100.7", 5000, now=0.5)
    victim.got_rakp4(exchange(server, victim.got_rakp2(victim.last_rakp2), 0.6))
    assert server.active_sessions == 1
    assert not [e for e in events(server) if isinstance(e, Refused) and e.addr == ADDR]
    assert server.table.pending_from("198.51.100.7") <= server.table.handshakes_per_source


def test_logins_dropped_for_room_or_expired_never_spend_the_failure_budget():
    server = make_server(login_failures_burst=1, max_sessions=4)  # 4 logins in progress per source
    first = console()
    assert _rakp2_from(server, first, ADDR).status == 0
    _flood(server, ADDR[0], 40, now=0.1)  # the same address pushes its own first login out...
    assert first.bmc_sid not in server.table.handshakes
    assert _rakp2_from(server, console(), ADDR, now=0.2).status == 0
    server.handle_timer(10.0)  # ...and the rest expire, one after RAKP 2
    assert [e.reason for e in events(server) if isinstance(e, Refused)] == [RefusalReason.ABANDONED]
    logged_in(server, now=10.0)  # a budget of one failure, still whole


def test_logins_in_progress_are_bounded_in_all():
    server = make_server()
    for i in range(250):
        _flood(server, f"203.0.113.{i}", 5, now=0.0)
    assert len(server.table.handshakes) <= server.table.max_handshakes
    assert server.table.pending_from("203.0.113.9") <= server.table.handshakes_per_source


def test_a_refused_role_is_a_failed_login():
    server = make_server(login_failures_burst=1)
    assert _rakp2_status(server, b"viewer", b"viewpass", privilege=4) == 0x0A
    silent(server, console().open_session(), now=0.1)
    assert [e.reason for e in events(server)] == [RefusalReason.PRIVILEGE_TOO_LOW, RefusalReason.RATE_LIMITED]


def test_source_keys_ignore_the_port_and_group_ipv6_by_64():
    from chassisctl.ipmi.lan.sessions import source_of

    assert source_of(("192.0.2.1", 1)) == source_of(("192.0.2.1", 2)) == "192.0.2.1"
    assert source_of(("2001:db8:1:2::5", 1, 0, 0)) == source_of(("2001:db8:1:2:ffff::1", 9, 0, 0))
    assert source_of(("2001:db8:1:2::5", 1, 0, 0)) != source_of(("2001:db8:1:3::5", 1, 0, 0))
    assert source_of(("::ffff:192.0.2.1", 1, 0, 0)) == "192.0.2.1"


def _many_users(n: int, **ipmi) -> LanServer:
    users = [{"name": "admin", "password": "password", "privilege": "administrator"}]
    users += [{"name": f"u{i}", "password": f"pass{i}", "privilege": "user"} for i in range(n)]
    return LanServer(lan_config_from_toml({"ipmi": {"users": users, **ipmi}}, None),
                     random_bytes=rand_source(b"many"), guid=GUID)


def _user_login(server, user: bytes, password: bytes, addr, now=0.0, privilege=2) -> int:
    """Log in; 0, or the status of the step that refused it."""
    c = RmcpPlusConsole(user, password, privilege=privilege, random_bytes=rand_source(user + repr(addr).encode()),
                        console_sid=next(_console_sids))
    try:
        login(c, lambda d: exchange(server, d, now, addr=addr))
    except LoginFailed as exc:
        return exc.status
    return 0


def _held(server, *, user=None, source=None) -> list:
    return [x for x in server.table.sessions.values()
            if (user is None or x.user.name == user) and (source is None or x.addr[0] == source)]


def test_one_account_cannot_hold_every_session():
    """The issue's hog: one USER account opening session after session (from
    many addresses, all kept busy) while the administrator and others log in."""
    server = _many_users(2)  # 15 sessions, at most 7 per user and 7 per address
    got = [_user_login(server, b"u0", b"pass0", (f"192.0.2.{i}", 1), now=0.1 * i) for i in range(1, 16)]
    assert got == [0] * 15  # never refused: each login past 7 replaces u0's own idlest session
    assert {x.addr[0] for x in _held(server, user="u0")} == {f"192.0.2.{i}" for i in range(9, 16)}
    closed = [e for e in events(server) if isinstance(e, SessionClosed)]
    assert [(e.addr[0], e.reason) for e in closed] == [(f"192.0.2.{i}", "evicted") for i in range(1, 9)]
    assert _user_login(server, b"u1", b"pass1", ("198.51.100.1", 1), now=2.0) == 0
    assert _user_login(server, b"admin", b"password", ("198.51.100.2", 1), now=2.0, privilege=4) == 0
    assert server.active_sessions == 9


def test_one_address_cannot_hold_every_session():
    server = _many_users(10, max_sessions_per_user=15)
    got = [_user_login(server, f"u{i}".encode(), f"pass{i}".encode(), ("192.0.2.9", 1000 + i), now=0.1 * i)
           for i in range(10)]
    assert got == [0] * 10 and len(_held(server, source="192.0.2.9")) == 7
    assert {x.user.name for x in _held(server, source="192.0.2.9")} == {f"u{i}" for i in range(3, 10)}
    assert _user_login(server, b"u0", b"pass0", ("198.51.100.1", 1), now=2.0) == 0
    assert len(_held(server, source="192.0.2.9")) == 7


def test_a_login_at_its_cap_replaces_its_own_idlest_session_only():
    server = _many_users(2, max_sessions_per_user=2)
    assert _user_login(server, b"u0", b"pass0", ("192.0.2.1", 1), now=0.0) == 0
    assert _user_login(server, b"u1", b"pass1", ("192.0.2.9", 1), now=0.5) == 0  # idler than u0's second
    assert _user_login(server, b"u0", b"pass0", ("192.0.2.2", 1), now=10.0) == 0
    assert _user_login(server, b"u0", b"pass0", ("192.0.2.3", 1), now=11.0) == 0
    closed = [e for e in events(server) if isinstance(e, SessionClosed)]
    assert [(e.user, e.addr[0], e.reason) for e in closed] == [("u0", "192.0.2.1", "evicted")]
    assert {x.user.name for x in server.table.sessions.values()} == {"u0", "u1"}


def test_the_last_slot_is_kept_for_an_administrator():
    server = _many_users(4, max_sessions=4, max_sessions_per_user=4, max_sessions_per_address=4)
    for i in range(3):
        assert _user_login(server, f"u{i}".encode(), f"pass{i}".encode(), (f"192.0.2.{i + 1}", 1)) == 0
    # everyone holds one and all are busy: a fourth USER login may not take the last slot
    assert _user_login(server, b"u3", b"pass3", ("192.0.2.4", 1), now=1.0) == 0x0B
    assert _user_login(server, b"admin", b"password", ("192.0.2.5", 1), now=1.0, privilege=4) == 0
    assert server.active_sessions == 4


def test_a_full_table_evicts_the_idlest_session_of_the_heaviest_holder():
    server = _many_users(3, max_sessions=4, max_sessions_per_user=4, max_sessions_per_address=4)
    hog = [_user_login(server, b"u0", b"pass0", (f"192.0.2.{i + 1}", 1), now=float(i)) for i in range(3)]
    assert hog == [0, 0, 0]
    assert _user_login(server, b"admin", b"password", ("198.51.100.1", 1), now=3.0, privilege=4) == 0
    events(server)
    # full: u0 holds three (idle since 0, 1 and 2 s), u1 none; u1 gets in at u0's expense
    assert _user_login(server, b"u1", b"pass1", ("198.51.100.2", 1), now=3.5) == 0
    closed = [e for e in events(server) if isinstance(e, SessionClosed)]
    assert [(e.user, e.addr[0], e.reason) for e in closed] == [("u0", "192.0.2.1", "evicted")]
    # and an administrator logging in to a full table takes from the heaviest holder too
    assert _user_login(server, b"admin", b"password", ("198.51.100.3", 1), now=4.0, privilege=4) == 0
    closed = [e for e in events(server) if isinstance(e, SessionClosed)]
    assert [(e.user, e.addr[0]) for e in closed] == [("u0", "192.0.2.2")]


def test_v15_activate_session_limits():
    server = make_server(max_sessions=3, max_sessions_per_user=1, max_sessions_per_address=3)
    assert V15Console(server, user=b"oper", password=b"operpass", addr=("192.0.2.1", 1)).login(privilege=3) == 0
    assert V15Console(server, user=b"viewer", password=b"viewpass", addr=("192.0.2.2", 1)).login(privilege=2) == 0
    assert V15Console(server, addr=("192.0.2.3", 1)).login(privilege=2) == 0x83  # the last slot: administrators
    assert V15Console(server, addr=("192.0.2.3", 1)).login(privilege=4) == 0
    assert V15Console(server, addr=("192.0.2.4", 1)).login(privilege=4) == 0  # replaces its own first
    closed = [e for e in events(server) if isinstance(e, SessionClosed)]
    assert [(e.user, e.addr[0]) for e in closed] == [("admin", "192.0.2.3")]
