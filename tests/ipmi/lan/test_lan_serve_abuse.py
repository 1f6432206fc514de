"""A stranger flooding Open Session Requests, and an account hogging sessions, over real loopback UDP.

The endpoint (IpmiLanService) runs in-process on 127.0.0.1; the attacker
sends from 127.0.0.2 and the legitimate consoles from 127.0.0.3 and up
(all of 127/8 is loopback on Linux).  Counts and waits are bounded: a few
thousand datagrams, two-second reply timeouts, a ten-second flood at most.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time

import pytest

from chassisctl.serve.lan_settings import lan_config_from_toml
from chassisctl.ipmi.lan.console import RmcpPlusConsole, login, split_reply
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.rmcp import asf_ping, decode_asf
from chassisctl.serve.ipmi_lan import IpmiLanService

ATTACKER = "127.0.0.2"
USERS = [
    {"name": "admin", "password": "password", "privilege": "administrator"},
    {"name": "mon", "password": "monpass", "privilege": "user"},
    {"name": "mon2", "password": "mon2pass", "privilege": "user"},
]
_sids = iter(range(0x5000, 0x7FFFFFFF))


class Udp:
    """A blocking UDP socket bound to ``source``, talking to the service."""

    def __init__(self, service: IpmiLanService, source: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.connect(service.address[:2])
        self.sock.settimeout(2.0)

    def exchange(self, datagram: bytes) -> bytes:
        self.sock.send(datagram)
        return self.sock.recv(4096)

    def close(self) -> None:
        self.sock.close()


def console(user: bytes = b"admin", password: bytes = b"password", privilege: int = 4) -> RmcpPlusConsole:
    return RmcpPlusConsole(user, password, privilege=privilege, random_bytes=os.urandom, console_sid=next(_sids))


def run_service(config: dict, body) -> None:
    """Run ``body(service)`` in a worker thread while the service runs on this thread's loop."""
    async def handler(request: Request) -> Response:
        return request.reply(0, b"\x01\x00\x00")

    async def main():
        cfg = lan_config_from_toml({"ipmi": {"listen": "127.0.0.1:0", "users": USERS, **config}})
        async with IpmiLanService(cfg, handler) as service:
            await asyncio.wait_for(asyncio.to_thread(body, service), timeout=60)

    asyncio.run(main())


def _drain(sock: socket.socket) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096))
        except BlockingIOError:
            return out


def flood(sock: socket.socket, count: int) -> None:
    """``count`` Open Session Requests, then pings until a pong says serve has read all that reached it."""
    sock.setblocking(False)
    for i in range(count):
        try:
            sock.send(console().open_session())
        except BlockingIOError:
            pass
        if i % 32 == 31:
            _drain(sock)  # keep our own receive buffer from overflowing
    sock.settimeout(0.5)
    for _ in range(10):
        sock.send(asf_ping(0x77))
        try:
            while True:
                reply = sock.recv(4096)
                if reply[3] == 0x06 and decode_asf(reply).tag == 0x77:
                    return
        except TimeoutError:
            continue
    raise AssertionError("no pong after the flood")


def test_an_open_session_flood_from_one_address_never_locks_out_another():
    def body(service: IpmiLanService) -> None:
        attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        attacker.bind((ATTACKER, 0))
        attacker.connect(service.address[:2])
        victim = Udp(service, "127.0.0.3")
        try:
            for _ in range(8):  # each step of each login has 300 strangers' logins behind it
                c = console()
                rakp1 = c.got_open_session(victim.exchange(c.open_session()))
                flood(attacker, 300)
                rakp3 = c.got_rakp2(victim.exchange(rakp1))
                flood(attacker, 300)
                c.got_rakp4(victim.exchange(rakp3))  # LoginFailed (RAKP 4 02h) before the fix
                assert split_reply(c.decode(victim.exchange(c.request(0x00, 0x01)))) == (0, b"\x01\x00\x00")
                victim.exchange(c.request(0x06, 0x3C, c.bmc_sid.to_bytes(4, "little")))  # Close Session
            with service._lock:
                table = service.server.table
                assert table.pending_from(ATTACKER) <= table.handshakes_per_source
                assert len(table.handshakes) <= table.handshakes_per_source
                # and none of it spent the victim's failed-login budget (one failure would empty it)
                assert service.server.limiter.allowed("127.0.0.3", time.monotonic())
        finally:
            attacker.close()
            victim.close()

    run_service({"login_failures_burst": 1}, body)


def test_logins_succeed_while_a_flood_runs():
    """The same, with the flood running freely beside the logins; the
    consoles retransmit a lost step as real clients do."""
    def body(service: IpmiLanService) -> None:
        stop = threading.Event()
        sent = [0]

        def flooder() -> None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((ATTACKER, 0))
                sock.connect(service.address[:2])
                sock.setblocking(False)
                datagrams = [console().open_session() for _ in range(64)]
                deadline = time.monotonic() + 10.0
                while not stop.is_set() and sent[0] < 50_000 and time.monotonic() < deadline:
                    try:
                        sock.send(datagrams[sent[0] % 64])
                    except OSError:
                        time.sleep(0.0005)
                    sent[0] += 1
                    if sent[0] % 200 == 0:
                        time.sleep(0.001)  # let the receive thread and the consoles in

        thread = threading.Thread(target=flooder, daemon=True)
        thread.start()
        try:
            time.sleep(0.2)
            for n in range(5):
                udp = Udp(service, f"127.0.0.{10 + n}")
                udp.sock.settimeout(0.5)
                c = console()

                def exchange(datagram: bytes, udp=udp) -> bytes:
                    for _ in range(6):  # retransmit a lost step, as ipmitool and FreeIPMI do
                        try:
                            return udp.exchange(datagram)
                        except TimeoutError:
                            continue
                    raise AssertionError("no answer in 3 s")

                login(c, exchange)
                assert split_reply(c.decode(exchange(c.request(0x06, 0x3B, b"\x04")))) == (0, b"\x04")
                udp.close()
        finally:
            stop.set()
            thread.join(15)
        assert sent[0] > 1000  # a flood did run

    run_service({}, body)


def test_one_account_opening_session_after_session_never_locks_others_out():
    """The issue's hog: a USER account logging in again and again from one
    address and keeping its sessions busy, while the administrator and a
    second account log in from elsewhere."""
    def body(service: IpmiLanService) -> None:
        hog = Udp(service, ATTACKER)
        held = []
        try:
            for _ in range(15):
                c = console(b"mon", b"monpass", privilege=2)
                login(c, hog.exchange)  # never refused: past its cap it replaces its own idlest
                held = [*held[-6:], c]  # the seven it may hold (max_sessions 15 // 2)
                for h in held:  # keep them all busy
                    assert split_reply(h.decode(hog.exchange(h.request(0x06, 0x01))))[0] == 0
            with service._lock:
                assert service.server.active_sessions == 7
            for source, user, password, privilege in (("127.0.0.3", b"admin", b"password", 4),
                                                      ("127.0.0.4", b"mon2", b"mon2pass", 2)):
                udp = Udp(service, source)
                c = console(user, password, privilege)
                login(c, udp.exchange)  # "insufficient resources" before the fix
                assert split_reply(c.decode(udp.exchange(c.request(0x00, 0x01)))) == (0, b"\x01\x00\x00")
                udp.close()
            with service._lock:
                assert service.server.active_sessions == 9
        finally:
            hog.close()

    run_service({}, body)


@pytest.mark.parametrize("limits", [{"max_sessions_per_user": 15, "max_sessions_per_address": 15}])
def test_with_no_per_account_limit_the_last_slot_still_waits_for_an_administrator(limits):
    def body(service: IpmiLanService) -> None:
        hog = Udp(service, ATTACKER)
        try:
            held = []
            for _ in range(14):
                c = console(b"mon", b"monpass", privilege=2)
                login(c, hog.exchange)
                held.append(c)
            # a 15th USER session: the hog's own idlest session goes, the last slot stays free
            c = console(b"mon", b"monpass", privilege=2)
            login(c, hog.exchange)
            udp = Udp(service, "127.0.0.3")
            login(console(), udp.exchange)
            udp.close()
            with service._lock:
                sessions = list(service.server.table.sessions.values())
            assert len(sessions) == 15 and sum(s.user.name == "admin" for s in sessions) == 1
        finally:
            hog.close()

    run_service(limits, body)
