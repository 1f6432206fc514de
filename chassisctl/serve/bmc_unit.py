"""The IPMI half of ``serve``: one BMC transport, its bus worker, a mirror
and a LAN endpoint per node, and the numbers metrics and ``status`` show.

It is one unit for reload: a change to ``[bmc]``, ``[ipmi]``, ``[[nodes]]``
or the poll interval rebuilds it, anything else leaves its sessions alone.
A BMC that does not answer when the unit starts does not stop it: the LAN
endpoints are bound (so systemd gets ``READY=1``) and answer D5h for what
needs the BMC while each mirror's ``watch`` retries (see
:mod:`chassisctl.serve.mirror`).
Every bus transaction passes through :class:`CountingTransport`, so the
transaction count, errors and latency are known without asking the bus.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

from chassisctl.errors import ChassisError
from chassisctl.ipmi.message import Request, Response
from chassisctl.transport.base import NodeInfo, Transport

#: Latency histogram bounds in seconds: an SSIF exchange at 100 kHz takes
#: 1-3 ms, a slow BMC or a timeout hundreds.
BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class TransactionStats:
    """Counts of one node's bus transactions (written by the bus thread only)."""

    __slots__ = ("total", "errors", "buckets", "seconds")

    def __init__(self) -> None:
        self.total = 0
        self.errors: dict[str, int] = {}
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.seconds = 0.0

    def record(self, elapsed: float, error: str | None) -> None:
        self.total += 1
        self.seconds += elapsed
        self.buckets[bisect.bisect_left(BUCKETS, elapsed)] += 1
        if error is not None:
            self.errors[error] = self.errors.get(error, 0) + 1

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus buckets: (upper bound, count at or below it), +Inf last."""
        out, running = [], 0
        for bound, count in zip([*map(str, BUCKETS), "+Inf"], self.buckets, strict=True):
            running += count
            out.append((bound, running))
        return out


class CountingTransport(Transport):
    """The transport, with every transaction timed and counted per node (:attr:`timings`).

    A :class:`~chassisctl.transport.base.Transport` itself, so the mirror and
    the SDR walk take it as the one they wrap; anything else is the wrapped
    transport's (its ``stats``, the SSIF ``capabilities``...).
    """

    def __init__(self, transport: Transport, clock: Callable[[], float] = time.perf_counter) -> None:
        # No Transport.__init__: ``stats`` stays the wrapped transport's (through __getattr__).
        self._transport = transport
        self._clock = clock
        self.timings: dict[str, TransactionStats] = {}
        self.kind = transport.kind
        self.simulated = transport.simulated

    def transact(self, request: Request, *, node: str | int | None = None,
                 timeout: float | None = None) -> Response:
        stats = self.timings.get(str(node))
        if stats is None:
            stats = self.timings[str(node)] = TransactionStats()
        start = self._clock()
        try:
            response = self._transport.transact(request, node=node, timeout=timeout)
        except ChassisError as exc:
            stats.record(self._clock() - start, exc.code)
            raise
        stats.record(self._clock() - start, None if response.ok else f"cc-{response.cc:02x}")
        return response

    def nodes(self) -> list[NodeInfo]:
        return self._transport.nodes()

    def describe(self) -> str:
        return self._transport.describe()

    def identity(self) -> str:
        return self._transport.identity()

    def close(self) -> None:
        self._transport.close()

    def fileno(self) -> int | None:
        return self._transport.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class BmcUnit:
    name = "ipmi"

    def __init__(self, resolved, options, section: dict[str, Any], runtime: Path | None,
                 logger: logging.Logger) -> None:
        from chassisctl.serve.app import lan_config, named

        self.resolved, self.options, self.runtime, self.log = resolved, options, runtime, logger
        settings, doc = resolved.bmc, resolved.document
        self.interval = float(options.poll_interval if options.poll_interval is not None
                              else section.get("sensor_poll_interval", 1.0))
        # Parsed now, before anything opens: a bad [ipmi] is refused by a reload too.
        self.base, self.demo = named(settings.config_path, lambda: lan_config(
            doc, settings.config_path, settings, options.ipmi_listen, options.ipmi_interface))
        self.transport: Any = None
        self.worker: Any = None
        self.mirrors: list[Any] = []
        self.services: list[Any] = []
        self._poller: asyncio.Future | None = None
        self._watchers: list[asyncio.Future] = []

    async def start(self) -> list[Any]:
        """Open the BMC and make the LAN endpoints (not yet started)."""
        from chassisctl.client.sdr_cache import SdrCache
        from chassisctl.clock import SystemClock
        from chassisctl.serve.app import endpoints, named, write_names
        from chassisctl.serve.ipmi_lan import IpmiLanService, current_event
        from chassisctl.serve.mirror import BmcMirror
        from chassisctl.serve.worker import BusWorker
        from chassisctl.sim import simulator
        from chassisctl.transport import open_transport

        from chassisctl.ipmi.lan import config_warnings

        settings, doc = self.resolved.bmc, self.resolved.document
        if self.demo:
            from chassisctl.serve.app import DEMO_USER

            self.log.warning("simulated chassis and no [[ipmi.users]]: demo user %r password %r, loopback only",
                             *DEMO_USER)
        for warning in config_warnings(self.base):
            self.log.warning("weak setting: %s", warning)
        opened = open_transport(settings, clock=SystemClock(), simulator=simulator)
        self.transport = transport = CountingTransport(opened)
        self.worker = worker = BusWorker()
        worker.start()
        try:
            pairs = named(settings.config_path, lambda: endpoints(
                doc, transport, self.base, demo=self.demo, listen_override=self.options.ipmi_listen))
            for node, config in pairs:
                mirror = BmcMirror(transport, worker, node=node, name=node or "bmc",
                                   poll_interval=self.interval, sdr_cache=SdrCache(), logger=self.log)
                await mirror.start()  # a BMC that does not answer yet is retried by watch()

                async def handler(request, mirror=mirror):
                    event = current_event.get()
                    key = ("lan", mirror.name, event.session_id if event else None)
                    return await mirror.handle(request, key)

                service = IpmiLanService(config, handler, fast_handler=mirror.fast, guid=_guid(mirror),
                                         logger=logging.getLogger("chassisctl.serve.ipmi"))
                service.name = f"ipmi-lan {node}" if node is not None else "ipmi-lan"
                mirror.on_up = lambda m, service=service: self._came_up(m, service)
                self.services.append(service)
                self.mirrors.append(mirror)
        except BaseException:
            self.close()
            raise
        write_names(self.runtime, [n for m in self.mirrors for n in m.sensor_names])
        self._watchers = [asyncio.ensure_future(m.watch()) for m in self.mirrors]
        if hasattr(transport, "poll"):
            self._poller = asyncio.ensure_future(_poll_platform(transport, worker, self.log))
        return self.services

    def _came_up(self, mirror: Any, service: Any) -> None:
        """A BMC that was late (or lost) answers: its GUID for new logins, its sensor names for TAB."""
        from chassisctl.serve.app import write_names

        guid = _guid(mirror)
        if guid is not None:
            with service._lock:
                service.server.guid = guid
        write_names(self.runtime, [n for m in self.mirrors for n in m.sensor_names])

    def describe(self) -> str:
        where = ", ".join(f"{s.config.host}:{s.address[1]}" for s in self.services if s._sock is not None)
        down = [m.name for m in self.mirrors if not m.up]
        return (f"IPMI over LAN on {where} for {self.transport.describe()}"
                + (" (simulated)" if self.transport.simulated else "")
                + (f" (BMC not answering: {', '.join(down)})" if down else ""))

    async def close_async(self) -> None:
        tasks = [t for t in [self._poller, *self._watchers] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._poller, self._watchers = None, []
        self.close()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    # --- what metrics and status read ----------------------------------------------------

    async def refresh(self, max_age: float) -> None:
        """Bring every node's readings and power state up to ``max_age`` (the bus is used here)."""
        for mirror in self.mirrors:
            try:
                await mirror.refresh(max_age)
            except Exception as exc:  # noqa: BLE001 - a failed poll shows as stale data, not a crash
                self.log.warning("%s: refreshing readings failed: %s", mirror.name, exc)

    def nodes(self) -> list[dict[str, Any]]:
        """Per node: power and sensors from the last scan (no bus)."""
        now = time.monotonic()
        out = []
        for mirror in self.mirrors:
            at, values = mirror.sensor_values()
            out.append({"node": mirror.name, "power": mirror.power(), "bmc": "up" if mirror.up else "down",
                        "bmc_error": mirror.down_reason,
                        "sensors_age_s": None if at == float("-inf") else round(now - at, 3),
                        "sensors": [v.to_dict() for v in values]})
        return out

    def stats(self) -> dict[str, TransactionStats]:
        return dict(self.transport.timings) if self.transport is not None else {}


def _guid(mirror: Any) -> bytes | None:
    """The BMC's GUID (Get System GUID) once read; None: the LAN server picks one."""
    guid = mirror._static.get((0x06, 0x37))
    return guid.data if guid is not None and guid.ok and len(guid.data) == 16 else None


async def _poll_platform(transport, worker, log: logging.Logger, interval: float = 1.0) -> None:
    """A translated platform's own clockwork (the "on" half of a power cycle,
    power events for the SEL) runs even when no client is asking.  A failing
    poll is logged when it starts failing and when it recovers, not every second."""
    failing = False
    while True:
        try:
            await worker.run(("platform-poll",), transport.poll)
        except Exception as exc:  # noqa: BLE001 - a failing poll must not stop serve
            if not failing:
                log.warning("platform poll failed: %s (logged again when it recovers)", exc)
            failing = True
        else:
            if failing:
                log.warning("platform poll works again")
            failing = False
        await asyncio.sleep(interval)
