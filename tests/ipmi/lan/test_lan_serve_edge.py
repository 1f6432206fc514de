"""The UDP edge (chassisctl.serve.ipmi_lan: receive thread + event loop) over real loopback UDP, in-process."""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from chassisctl.serve.lan_settings import lan_config_from_toml
from chassisctl.ipmi.lan.console import RmcpPlusConsole, split_reply
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.rmcp import asf_ping, decode_asf
from chassisctl.serve.ipmi_lan import IpmiLanService

CONFIG = lan_config_from_toml({"ipmi": {
    "listen": "127.0.0.1:0",
    "users": [{"name": "admin", "password": "password", "privilege": "administrator"}],
}})


class Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data, addr):
        self.queue.put_nowait(data)


async def _open(service):
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(Client, remote_addr=service.address[:2])

    async def exchange(datagram: bytes, timeout: float = 2.0) -> bytes:
        transport.sendto(datagram)
        return await asyncio.wait_for(proto.queue.get(), timeout)

    return transport, proto, exchange


async def _login(exchange) -> RmcpPlusConsole:
    c = RmcpPlusConsole(b"admin", b"password", random_bytes=os.urandom)
    rakp1 = c.got_open_session(await exchange(c.open_session()))
    rakp3 = c.got_rakp2(await exchange(rakp1))
    c.got_rakp4(await exchange(rakp3))
    return c


def test_slow_handler_does_not_block_others_and_logs(caplog):
    release = None

    async def handler(req: Request) -> Response:
        if req.cmd == 0x02:  # Chassis Control: slow bus
            await release.wait()
        return req.reply(0, b"\x01\x00\x00" if req.cmd == 0x01 else b"")

    async def main():
        nonlocal release
        release = asyncio.Event()
        caplog.set_level(logging.INFO, logger="chassisctl.serve.ipmi")
        async with IpmiLanService(CONFIG, handler) as service:
            assert service.address[1] != 0
            transport, proto, exchange = await _open(service)
            c = await _login(exchange)
            assert split_reply(c.decode(await exchange(c.request(0x06, 0x3B, b"\x04")))) == (0, b"\x04")
            slow = c.request(0x00, 0x02, b"\x01")
            transport.sendto(slow)
            transport.sendto(slow)  # a retransmission while it executes
            # meanwhile: pings and other requests are answered
            assert decode_asf(await exchange(asf_ping(9))).tag == 9
            assert split_reply(c.decode(await exchange(c.request(0x00, 0x01)))) == (0, b"\x01\x00\x00")
            release.set()
            assert split_reply(c.decode(await asyncio.wait_for(proto.queue.get(), 2))) == (0, b"")
            await asyncio.sleep(0.05)
            assert proto.queue.empty()  # answered once
            # a refused login is one log line
            bad = RmcpPlusConsole(b"nobody", b"x", random_bytes=os.urandom)
            await exchange(bad.got_open_session(await exchange(bad.open_session())))
            transport.close()

    asyncio.run(main())
    refused = [r for r in caplog.records if r.getMessage().startswith("refused")]
    assert len(refused) == 1 and "unknown user" in refused[0].getMessage()
    assert refused[0].levelno == logging.WARNING
    assert any("opened for 'admin'" in r.getMessage() for r in caplog.records)


def test_handler_exception_becomes_ff_and_timer_reaps():
    async def handler(req: Request) -> Response:
        raise RuntimeError("bus on fire")

    async def main():
        cfg = lan_config_from_toml({"ipmi": {"listen": "127.0.0.1:0", "handshake_timeout": 0.2,
                                             "users": [{"name": "admin", "password": "password",
                                                        "privilege": "administrator"}]}})
        service = IpmiLanService(cfg, handler)
        await service.start()
        try:
            transport, proto, exchange = await _open(service)
            c = await _login(exchange)
            assert split_reply(c.decode(await exchange(c.request(0x06, 0x01)))) == (0xFF, b"")
            half = RmcpPlusConsole(b"admin", b"password", random_bytes=os.urandom, console_sid=7)
            await exchange(half.open_session())
            assert len(service.server.table.handshakes) == 1
            await asyncio.sleep(0.4)
            assert len(service.server.table.handshakes) == 0
            transport.close()
        finally:
            await service.stop()

    asyncio.run(main())


def test_ipv6_listen():
    if not socket.has_ipv6:
        return
    cfg = lan_config_from_toml({"ipmi": {"listen": "[::1]:0"}})

    async def handler(req):
        return req.reply(0)

    async def main():
        service = IpmiLanService(cfg, handler)
        try:
            await service.start()
        except OSError:
            return  # no IPv6 loopback here
        try:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            sock.settimeout(2)
            sock.sendto(asf_ping(3), service.address[:2])
            loop = asyncio.get_running_loop()
            data = await loop.run_in_executor(None, sock.recv, 100)
            assert decode_asf(data).tag == 3
            sock.close()
        finally:
            await service.stop()

    asyncio.run(main())


def test_queued_requests_from_many_sessions_are_all_answered():
    """Requests that pile up while the thread works are answered as a batch: every one, once."""
    devid = Response(0x07, 0x01, 0x00, b"\x20\x81\x01")

    async def handler(req: Request) -> Response:
        return req.reply(0, b"\x01\x00\x00")  # Get Chassis Status, through the event loop

    async def main():
        cfg = lan_config_from_toml({"ipmi": {
            "listen": "127.0.0.1:0", "max_sessions": 30, "max_sessions_per_user": 30, "max_sessions_per_address": 30,
            "users": [{"name": "admin", "password": "password", "privilege": "administrator"}]}})
        fast = lambda req: devid if (req.netfn, req.cmd) == (0x06, 0x01) else None  # noqa: E731
        async with IpmiLanService(cfg, handler, fast_handler=fast) as service:
            sessions = []
            for _ in range(20):
                transport, proto, exchange = await _open(service)
                sessions.append((transport, proto, await _login(exchange)))
            for i, (transport, _, c) in enumerate(sessions):  # all sent before any reply is read
                transport.sendto(c.request(0x06, 0x01) if i % 2 else c.request(0x00, 0x01))
            for i, (_transport, proto, c) in enumerate(sessions):
                reply = split_reply(c.decode(await asyncio.wait_for(proto.queue.get(), 2)))
                assert reply == ((0, b"\x20\x81\x01") if i % 2 else (0, b"\x01\x00\x00"))
            await asyncio.sleep(0.05)
            assert all(proto.queue.empty() for _, proto, _ in sessions)
            for transport, _, _ in sessions:
                transport.close()

    asyncio.run(main())


def test_a_failing_fast_path_falls_back_to_the_handler(caplog):
    async def handler(req: Request) -> Response:
        return req.reply(0, b"\x20\x81\x02")

    def fast(req: Request):
        raise RuntimeError("cache on fire")

    async def main():
        async with IpmiLanService(CONFIG, handler, fast_handler=fast) as service:
            transport, proto, exchange = await _open(service)
            c = await _login(exchange)
            assert split_reply(c.decode(await exchange(c.request(0x06, 0x01)))) == (0, b"\x20\x81\x02")
            transport.close()

    asyncio.run(main())
    assert any("fast path failed" in r.getMessage() for r in caplog.records)


def test_stop_ends_the_receive_thread():
    async def handler(req: Request) -> Response:
        return req.reply(0)

    async def main():
        service = IpmiLanService(CONFIG, handler)
        await service.start()
        thread, address = service._thread, service.address
        assert thread is not None and thread.is_alive()
        await service.stop()
        assert not thread.is_alive()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # the port is free again
            s.bind(address)

    asyncio.run(main())
