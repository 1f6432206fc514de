"""Supervision: a failed service is restarted with back-off; the others keep serving."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from chassisctl.serve.supervisor import Supervised


class Flaky:
    """A service that fails when told to, and whose starts can fail too."""

    name = "flaky"

    def __init__(self, failing_starts: int = 0) -> None:
        self.starts = 0
        self.stops = 0
        self.failing_starts = failing_starts
        self._failed: asyncio.Future | None = None

    async def start(self) -> None:
        self.starts += 1
        if self.failing_starts:
            self.failing_starts -= 1
            raise OSError("address already in use")
        self._failed = asyncio.get_running_loop().create_future()

    async def stop(self) -> None:
        self.stops += 1

    async def wait_failed(self) -> None:
        await self._failed

    def crash(self) -> None:
        self._failed.set_exception(RuntimeError("socket gone"))


def test_a_crash_is_logged_and_the_service_restarted_with_back_off(caplog) -> None:
    async def main():
        flaky = Flaky()
        sup = Supervised(flaky, backoff_first=0.01, backoff_max=0.04)
        await sup.start()
        assert sup.state == "up" and flaky.starts == 1
        flaky.failing_starts = 2  # the next two restarts fail: 0.01, 0.02, then 0.04 s apart
        flaky.crash()
        await asyncio.sleep(0)
        assert sup.state == "restarting" and sup.last_error == "RuntimeError: socket gone"
        for _ in range(100):
            await asyncio.sleep(0.01)
            if sup.state == "up":
                break
        assert sup.state == "up" and sup.restarts == 1 and flaky.starts == 4 and flaky.stops == 1
        flaky.crash()  # and again
        for _ in range(100):
            await asyncio.sleep(0.01)
            if sup.restarts == 2:
                break
        assert sup.state == "up" and flaky.starts == 5
        await sup.stop()
        assert sup.state == "off" and sup.status()["uptime_s"] is None

    with caplog.at_level(logging.INFO, "chassisctl.serve"):
        asyncio.run(main())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0] == "flaky failed (RuntimeError: socket gone); restarting in 0 s"
    assert errors[1].startswith("flaky: start failed (address already in use)")


def test_a_first_start_failure_is_the_callers() -> None:
    async def main():
        sup = Supervised(Flaky(failing_starts=1))
        with pytest.raises(OSError):
            await sup.start()

    asyncio.run(main())


def test_start_or_retry_keeps_trying_in_the_background() -> None:
    async def main():
        flaky = Flaky(failing_starts=2)
        sup = Supervised(flaky, backoff_first=0.01)
        await sup.start_or_retry()
        assert sup.state == "restarting"
        for _ in range(100):
            await asyncio.sleep(0.01)
            if sup.state == "up":
                break
        assert sup.state == "up" and flaky.starts == 3
        flaky.crash()  # supervised from then on
        for _ in range(100):
            await asyncio.sleep(0.01)
            if flaky.starts == 4:
                break
        assert flaky.starts == 4
        await sup.stop()

    asyncio.run(main())


def test_a_lan_endpoint_whose_socket_dies_is_restarted_and_the_others_keep_serving(tmp_path, monkeypatch) -> None:
    """The real IPMI LAN service under serve's daemon, its socket closed under it."""
    from chassisctl.config import resolve
    from chassisctl.control.client import query
    from chassisctl.ipmi.rmcp import asf_ping
    from chassisctl.serve.app import ServeOptions
    from chassisctl.serve.control import ControlServer
    from chassisctl.serve.daemon import Daemon

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "c.toml"
    config.write_text(f'[ipmi]\nlisten = "127.0.0.1:{port}"\n[metrics]\nlisten = "127.0.0.1:0"\n')

    def pong() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.3)
            s.sendto(asf_ping(7), ("127.0.0.1", port))
            try:
                return bool(s.recv(512))
            except OSError:
                return False

    monkeypatch.setattr("chassisctl.serve.supervisor.BACKOFF_FIRST", 0.05)  # a quick restart for the test
    monkeypatch.setenv("CHASSISCTL_SIM_PACE", "0")

    async def main():
        control = ControlServer(tmp_path / "c.sock")
        daemon = Daemon(ServeOptions(), control, None, logging.getLogger("chassisctl.serve"))
        await control.start()
        await daemon.apply(daemon.plan(resolve({}, config=str(config))), first=True)
        daemon.register_queries()
        try:
            lan = next(s for s in daemon.supervised() if s.name == "ipmi-lan")
            assert await asyncio.to_thread(pong)
            lan.service._sock.close()  # the socket vanishes under the receive thread
            for _ in range(100):
                await asyncio.sleep(0.05)
                if lan.restarts == 1 and lan.state == "up":
                    break
            assert lan.restarts == 1 and lan.state == "up"
            assert await asyncio.to_thread(pong)
            states = await asyncio.to_thread(query, "serve.services", socket_path=control.path)
            by_name = {s["name"]: s for s in states["services"]}
            assert by_name["metrics"]["state"] == "up" and by_name["metrics"]["restarts"] == 0
            assert by_name["ipmi-lan"]["restarts"] == 1
            # EBADF ends the thread quietly; a read racing the close meets fd -1 instead
            assert by_name["ipmi-lan"]["last_error"] in ("ConnectionError: the LAN socket went away",
                                                         "ValueError: file descriptor cannot be a negative "
                                                         "integer (-1)")
        finally:
            await daemon.stop_all()
            await control.stop()

    asyncio.run(main())
