"""A BMC that is late, or lost, never stops serve.

On real chassis the BMC often boots after the host.  serve binds its LAN
endpoint anyway (systemd gets READY=1), answers D5h for what needs the BMC
while it does not answer, retries with back-off, and logs once when the BMC
is lost and once when it is back.  The in-process tests switch a wrapped
simulated transport off and on; the subprocess tests use the simulator's
fault injection (CHASSISCTL_SIM_FAULTS) and ``chassisctl sim set``.
Before this, serve exited 75 (or 65, 74) when the first Get Device ID failed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from pathlib import Path

import pytest

from chassisctl.clock import SystemClock
from chassisctl.config import BmcSettings, resolve
from chassisctl.errors import TimeoutFailure
from chassisctl.ipmi.lan.console import RmcpPlusConsole, login, split_reply
from chassisctl.ipmi.message import Request
from chassisctl.serve import mirror as mirror_module
from chassisctl.serve.mirror import BMC_DOWN_CC, BmcMirror
from chassisctl.serve.worker import BusWorker
from chassisctl.sim import simulator
from chassisctl.transport import open_transport

import _simkit as kit
from interop import serve_fixture as sf

DEVICE_ID = Request(0x06, 0x01)
CHASSIS_STATUS = Request(0x00, 0x01)


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setattr(mirror_module, "RETRY_FIRST", 0.05)
    monkeypatch.setattr(mirror_module, "RETRY_MAX", 0.2)
    return kit.isolate(monkeypatch, tmp_path)


class Switchable:
    """The simulated transport behind a switch: off, every transaction times out."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.off = True
        self.calls = 0

    def transact(self, request, *, node=None, timeout=None):
        self.calls += 1
        if self.off:
            raise TimeoutFailure("no response from BMC at 0x10 on sim:late (switched off)")
        return self.inner.transact(request, node=node, timeout=timeout)

    def __getattr__(self, name):
        return getattr(self.inner, name)


async def _until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def _lines(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


def test_a_mirror_serves_d5_while_down_retries_and_logs_each_change_once(caplog) -> None:
    caplog.set_level(logging.INFO, logger="late")
    bmc = Switchable(open_transport(BmcSettings(bus="sim:late"), clock=SystemClock(), simulator=simulator))

    async def main() -> None:
        worker = BusWorker()
        worker.start()
        mirror = BmcMirror(bmc, worker, poll_interval=0.01, logger=logging.getLogger("late"))
        watch = None
        try:
            await mirror.start()  # raised TimeoutFailure before
            assert not mirror.up and "switched off" in mirror.down_reason
            calls = bmc.calls
            for request in (DEVICE_ID, CHASSIS_STATUS, Request(0x0A, 0x20)):
                assert (await mirror.handle(request)).cc == BMC_DOWN_CC
            assert bmc.calls == calls  # answered without waiting on the bus
            watch = asyncio.ensure_future(mirror.watch())
            await asyncio.sleep(0.3)  # a few retries, each failing
            assert not mirror.up and len(_lines(caplog, "does not answer yet")) == 1
            bmc.off = False
            await _until(lambda: mirror.up)
            assert (await mirror.handle(DEVICE_ID)).cc == 0
            assert (await mirror.handle(CHASSIS_STATUS)).cc == 0
            # lost while running: the request that meets it gets the bus error, the rest D5h
            bmc.off = True
            await asyncio.sleep(0.02)  # the cached status expires (poll interval 0.01 s)
            assert (await mirror.handle(CHASSIS_STATUS)).cc == 0xC3
            await _until(lambda: not mirror.up)
            assert (await mirror.handle(CHASSIS_STATUS)).cc == BMC_DOWN_CC
            assert (await mirror.handle(DEVICE_ID)).cc == 0  # identity is held in memory
            await asyncio.sleep(0.3)
            bmc.off = False
            await _until(lambda: mirror.up)
            assert (await mirror.handle(CHASSIS_STATUS)).cc == 0
        finally:
            if watch is not None:
                watch.cancel()
                await asyncio.gather(watch, return_exceptions=True)
            worker.stop()

    asyncio.run(main())
    assert len(_lines(caplog, "does not answer yet")) == 1
    assert len(_lines(caplog, "stopped answering")) == 1
    assert len(_lines(caplog, "the BMC answers after")) == 1
    assert len(_lines(caplog, "the BMC answers again after")) == 1
    assert not _lines(caplog, "still does not answer") or all(
        r.levelno == logging.DEBUG for r in caplog.records if "still does not answer" in r.getMessage())


def test_the_lan_endpoint_comes_up_and_answers_d5_until_the_bmc_does(monkeypatch, tmp_path, caplog) -> None:
    import chassisctl.transport as transports
    from chassisctl.serve.app import ServeOptions
    from chassisctl.serve.bmc_unit import BmcUnit

    switch: list[Switchable] = []

    def late_transport(settings, *, clock, tracer=None, simulator=None):
        switch.append(Switchable(open_transport(settings, clock=clock, tracer=tracer, simulator=simulator)))
        return switch[0]

    monkeypatch.setattr(transports, "open_transport", late_transport)
    config = tmp_path / "c.toml"
    config.write_text('[bmc]\nbus = "sim:late"\n[ipmi]\nlisten = "127.0.0.1:0"\n'
                      '[[ipmi.users]]\nname = "admin"\npassword = "password"\nprivilege = "administrator"\n')
    config.chmod(0o600)
    resolved = resolve({}, {}, config=str(config))

    async def main() -> None:
        unit = BmcUnit(resolved, ServeOptions(), {}, tmp_path, logging.getLogger("late"))
        (service,) = await unit.start()
        await service.start()
        try:
            assert "BMC not answering: bmc" in unit.describe()
            assert unit.nodes()[0]["bmc"] == "down"
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.connect(service.address[:2])
            sock.settimeout(2)

            def exchange(datagram: bytes) -> bytes:
                sock.send(datagram)
                return sock.recv(4096)

            def call(c, netfn, cmd, data=b""):
                return split_reply(c.decode(exchange(c.request(netfn, cmd, data))))

            c = RmcpPlusConsole(b"admin", b"password", random_bytes=os.urandom)
            await asyncio.to_thread(login, c, exchange)  # logins need no BMC
            assert await asyncio.to_thread(call, c, 0x06, 0x01) == (BMC_DOWN_CC, b"")
            assert await asyncio.to_thread(call, c, 0x00, 0x01) == (BMC_DOWN_CC, b"")
            switch[0].off = False
            await _until(lambda: unit.mirrors[0].up)
            cc, data = await asyncio.to_thread(call, c, 0x06, 0x01)
            assert cc == 0 and len(data) in (11, 15)
            guid = await asyncio.to_thread(call, c, 0x06, 0x37)
            assert guid[0] == 0 and service.server.guid == guid[1]  # the BMC's GUID for new logins
            assert "BMC not answering" not in unit.describe()
            assert unit.nodes()[0]["bmc"] == "up"
            sock.close()
        finally:
            await service.stop()
            await unit.close_async()

    asyncio.run(main())


def test_serve_starts_with_a_late_bmc_notifies_ready_and_serves_once_it_answers(tmp_path: Path) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    notify.bind(str(path))
    notify.settimeout(20)
    # the first transactions time out: Get Device ID fails at start-up, a retry succeeds
    serve = sf.Serve(tmp_path / "serve",
                     extra_env={"NOTIFY_SOCKET": str(path), "CHASSISCTL_SIM_FAULTS": "timeout=12"})
    try:
        serve.start()  # before: "serve exited with 75"
        while "READY=1" not in notify.recv(4096).decode():
            pass
        log = serve.log_text()
        assert "the BMC does not answer yet" in log and "(BMC not answering: bmc)" in log, log
        assert serve.wait_log(r"the BMC answers after", timeout=30), serve.log_text()
        sf.passes(serve.ipmitool("chassis", "power", "status"), r"Chassis Power is")
        assert len(serve.wait_log(r"does not answer yet|stopped answering")) == 1  # logged once
    finally:
        assert serve.stop() == 0
        notify.close()


def test_a_platform_with_its_power_cpld_missing_serves_and_recovers_with_sim_set(tmp_path: Path) -> None:
    """Pinned (held before): a translated platform is its own BMC, so it is
    never late; an absent device gets the answer a real one would (D3h), and
    ``sim set`` bringing it back is picked up without a restart."""
    serve = sf.Serve(tmp_path / "serve", extra_env={"CHASSISCTL_PLATFORM": "switch-1u"})
    serve.write_config()
    sf.passes(serve.cli("sim", "set", "cpld.present=false"))
    try:
        serve.start()
        ran = serve.ipmitool("chassis", "power", "status")
        assert ran.returncode != 0 and "Destination unavailable" in ran.output, str(ran)
        sf.passes(serve.cli("sim", "set", "cpld.present=true"))
        sf.passes(serve.ipmitool("chassis", "power", "status"), r"Chassis Power is on")
    finally:
        assert serve.stop() == 0
