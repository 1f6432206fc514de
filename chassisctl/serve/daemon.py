"""What ``serve`` runs, built from the configuration and kept running.

The configuration is cut into *units*, each keyed by the part of the file
it depends on: the IPMI half (``[bmc]``, ``[ipmi]``, ``[[nodes]]``, the
poll interval), ``[lldp]``, each ``[[dhcp_relay]]`` table, ``[metrics]``.
A reload (SIGHUP) parses and checks the whole new file first; if anything
is wrong it logs one line and the running units stay as they are.  Then
units whose key did not change are left alone (their IPMI sessions, LLDP
neighbours and relay counters survive), removed ones stop, new or changed
ones start.  Every service runs under a :class:`Supervised` wrapper that
restarts it with back-off when it fails.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable

from chassisctl.errors import ChassisError, ConfigError
from chassisctl.serve import sdnotify
from chassisctl.serve.app import SIBLINGS, ServeContext, ipmi_enabled, named, serve_section
from chassisctl.serve.supervisor import Supervised

#: A coalesced SIGHUP storm reloads at most this often.
RELOAD_SPACING = 0.2


@dataclass
class _Planned:
    """A unit checked and built, not yet started."""

    key: str
    kind: str
    start: Callable[[], Any]  # async () -> (owner, [services])


@dataclass
class _Unit:
    key: str
    kind: str
    owner: Any = None
    supervised: list[Supervised] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)


class _Registrar:
    """The control socket as a unit's ``build`` sees it.  Queries are only
    registered when the unit starts (a reload builds units it then throws
    away, and those must not replace the running ones' handlers), and are
    unregistered when it stops."""

    def __init__(self, control: Any) -> None:
        self._control = control
        self._pending: list[tuple[str, Callable]] = []
        self.names: list[str] = []

    def register(self, name: str, handler: Callable) -> None:
        self._pending.append((name, handler))

    def commit(self) -> list[str]:
        for name, handler in self._pending:
            self._control.unregister(name)
            self._control.register(name, handler)
            self.names.append(name)
        return self.names


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class Daemon:
    def __init__(self, options: Any, control: Any, runtime: Path | None, logger: logging.Logger,
                 *, reresolve: Callable[[], Any] | None = None) -> None:
        self.options = options
        self.control = control
        self.runtime = runtime
        self.log = logger
        self.reresolve = reresolve
        self.units: dict[str, _Unit] = {}
        self.started = time.monotonic()
        self.reloads = 0
        self._stop = asyncio.Event()
        self._reload = asyncio.Event()
        self.poll_interval = 1.0

    # --- building --------------------------------------------------------------------

    def plan(self, resolved: Any) -> dict[str, _Planned]:
        """Check the whole configuration and build every unit (nothing starts
        or opens here); raises ChassisError on the first problem."""
        from chassisctl.serve.bmc_unit import BmcUnit

        settings, doc = resolved.bmc, resolved.document
        path = settings.config_path
        section = named(path, lambda: serve_section(doc))
        self.poll_interval = float(self.options.poll_interval if self.options.poll_interval is not None
                                   else section.get("sensor_poll_interval", 1.0))
        plan: dict[str, _Planned] = {}
        ipmi_on = named(path, lambda: ipmi_enabled(doc))
        siblings = [name for name in SIBLINGS if name in doc]
        if not ipmi_on and not siblings:
            raise ConfigError("[ipmi] enabled = false and no other service is configured: nothing to serve",
                              hint="add [lldp] or [[dhcp_relay]], or enable [ipmi]")
        if ipmi_on:
            unit = BmcUnit(resolved, self.options, section, self.runtime, self.log)
            key = "ipmi:" + _key({"bmc": {name: value for name, value in settings.as_dict().items()
                                          if name != "origins"},
                                  "ipmi": doc.get("ipmi"), "nodes": doc.get("nodes"),
                                  "interval": unit.interval, "options": self.options})

            async def start_bmc(unit=unit):
                return unit, await unit.start()

            plan[key] = _Planned(key, "ipmi", start_bmc)
        for name in siblings:
            module = importlib.import_module(SIBLINGS[name])
            value = doc[name]
            check = getattr(module, "validate", None)
            if check is not None:  # rules across the tables of one section (two relays on one segment)
                named(path, lambda c=check, v=value: c(v, path))
            # A table is one unit; an array of tables is one unit per table, so
            # editing one relay leaves the others (and their counters) alone.
            parts = [[item] for item in value] if isinstance(value, list) else [value]
            for part in parts:
                key = f"{name}:{_key(part)}"
                registrar = _Registrar(self.control)
                ctx = ServeContext(config_path=path, logger=self.log, runtime_dir=self.runtime,
                                   control=registrar, hostname=socket.gethostname())
                services = named(path, lambda m=module, p=part, c=ctx: m.build(p, c))

                async def start_sibling(services=services, registrar=registrar):
                    return registrar.commit(), services

                plan[key] = _Planned(key, name, start_sibling)
        if "metrics" in doc:
            from chassisctl.serve.metrics import MetricsService

            metrics_section = doc["metrics"]
            if not isinstance(metrics_section, dict):
                raise ConfigError(f"{path}: metrics: expected a table ([metrics])")
            service = named(path, lambda: MetricsService(metrics_section, self))
            key = "metrics:" + _key(metrics_section)

            async def start_metrics(service=service):
                return None, [service]

            plan[key] = _Planned(key, "metrics", start_metrics)
        return plan

    async def apply(self, plan: dict[str, _Planned], *, first: bool = False) -> None:
        """Stop the units ``plan`` does not keep, start the ones it adds.

        On the first start a failure is raised (serve refuses to start);
        on a reload it is logged and the service is retried with back-off.
        """
        for key in [k for k in self.units if k not in plan]:
            await self._stop_unit(self.units.pop(key))
        for key, planned in plan.items():
            if key in self.units:
                continue
            unit = _Unit(key, planned.kind)
            try:
                owner, services = await planned.start()
            except ChassisError as exc:
                if first:
                    raise
                self.log.error("reload: %s not started: %s", planned.kind, exc)
                continue
            if isinstance(owner, list):  # a sibling's registered query names
                unit.queries = owner
            else:
                unit.owner = owner
            self.units[key] = unit
            for service in services:
                supervised = Supervised(service, logger=self.log)
                if first:
                    await supervised.start()
                else:
                    await supervised.start_or_retry()
                unit.supervised.append(supervised)

    async def _stop_unit(self, unit: _Unit) -> None:
        for supervised in reversed(unit.supervised):
            await supervised.stop()
        for name in unit.queries:
            self.control.unregister(name)
        if unit.owner is not None and hasattr(unit.owner, "close_async"):
            await unit.owner.close_async()

    async def stop_all(self) -> None:
        """Everything, in reverse order, each service bounded in time."""
        for key in reversed(list(self.units)):
            await self._stop_unit(self.units.pop(key))

    # --- running ---------------------------------------------------------------------------

    async def run_until_stopped(self) -> None:
        """Serve until SIGTERM/SIGINT; SIGHUP reloads, a storm of them once at a time."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._stop.set)
        loop.add_signal_handler(signal.SIGINT, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._reload.set)
        reloader = asyncio.ensure_future(self._reload_loop())
        watchdog = sdnotify.watchdog_interval()
        try:
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(self._stop.wait(), timeout=watchdog or 3600)
                except TimeoutError:
                    if watchdog:
                        sdnotify.notify("WATCHDOG=1")
        finally:
            reloader.cancel()
            await asyncio.gather(reloader, return_exceptions=True)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)

    async def _reload_loop(self) -> None:
        while True:
            await self._reload.wait()
            self._reload.clear()
            await self.reload()
            await asyncio.sleep(RELOAD_SPACING)

    async def reload(self) -> bool:
        """Re-read the configuration and apply it; False when it was refused."""
        if self.reresolve is None:
            self.log.warning("reload: not supported here (no configuration source)")
            return False
        sdnotify.notify("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")
        try:
            try:
                resolved = self.reresolve()
                plan = self.plan(resolved)
                self._check_socket(resolved)
            except ChassisError as exc:
                self.log.error("reload refused, the running configuration stays: %s", exc)
                return False
            kept = [u.kind for k, u in self.units.items() if k in plan]
            await self.apply(plan)
            self.reloads += 1
            self.log.info("reloaded: %s; unchanged: %s", self.describe(), ", ".join(kept) or "nothing")
            return True
        finally:
            sdnotify.notify("READY=1", f"STATUS={self.describe()}")

    def _check_socket(self, resolved: Any) -> None:
        from chassisctl.control.paths import socket_paths

        section = serve_section(resolved.document)
        if self.control.path not in socket_paths(None, section):
            self.log.warning("reload: [serve] socket/runtime_dir changed; the control socket stays at %s "
                             "until serve restarts", self.control.path)

    # --- what the control socket and metrics read ----------------------------------------

    @property
    def bmc(self) -> Any:
        return next((u.owner for u in self.units.values() if u.kind == "ipmi"), None)

    def supervised(self) -> list[Supervised]:
        return [s for u in self.units.values() for s in u.supervised]

    def describe(self) -> str:
        parts = []
        for unit in self.units.values():
            if unit.kind == "ipmi" and unit.owner is not None:
                parts.append(unit.owner.describe())
            else:
                parts += [s.describe() for s in unit.supervised]
        return "; ".join(parts) or "no services"

    async def refresh(self, max_age: float) -> None:
        bmc = self.bmc
        if bmc is not None:
            await bmc.refresh(max_age)

    def metric_samples(self) -> list[tuple[str, str, str, dict[str, Any], float]]:
        """(name, "gauge"|"counter", help, labels, value) from serve and its services."""
        out: list[tuple[str, str, str, dict[str, Any], float]] = []
        for s in self.supervised():
            labels = {"service": s.name}
            out.append(("chassisctl_service_up", "gauge", "1 when the service is running.", labels,
                        1.0 if s.state == "up" else 0.0))
            out.append(("chassisctl_service_restarts_total", "counter", "Restarts after a failure.", labels,
                        float(s.restarts)))
            service = s.service
            if s.name.startswith("ipmi-lan"):
                endpoint = {"endpoint": s.name}
                st = service.status()
                out.append(("chassisctl_ipmi_lan_sessions", "gauge", "Open IPMI LAN sessions.", endpoint,
                            float(st["sessions"])))
                out.append(("chassisctl_ipmi_lan_logins_total", "counter", "IPMI LAN sessions opened.", endpoint,
                            float(service.logins)))
                for reason, count in sorted(service.login_failures.items()):
                    out.append(("chassisctl_ipmi_lan_login_failures_total", "counter",
                                "Failed IPMI LAN logins by reason.", endpoint | {"reason": reason}, float(count)))
            metrics = getattr(service, "metrics", None)
            if callable(metrics):
                out.extend(metrics())
        return out

    def register_queries(self) -> None:
        self.control.register("serve.services", lambda args: {"services": [s.status() for s in self.supervised()]})
        self.control.register("status", self._status_query)

    async def _status_query(self, args: dict[str, Any]) -> dict[str, Any]:
        """``chassisctl status``: one screen of everything."""
        from chassisctl import __version__

        bmc = self.bmc
        nodes = []
        if bmc is not None:
            await bmc.refresh(self.poll_interval)
            for node in bmc.nodes():
                nodes.append({"node": node["node"], "power": node["power"], "bmc": node["bmc"],
                              "sensors_age_s": node["sensors_age_s"], "sensors": _by_status(node["sensors"])})
        return {"version": __version__, "pid": os.getpid(), "uptime_s": round(time.monotonic() - self.started, 3),
                "reloads": self.reloads, "nodes": nodes,
                "services": [s.status() for s in self.supervised()]}


#: Worst first, as an operator reads them.
STATUS_ORDER = ("nr", "cr", "nc", "na", "ns", "ok")


def _by_status(sensors: list[dict[str, Any]]) -> dict[str, Any]:
    """Sensors grouped by status, worst first; ``ok`` ones only counted."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in sensors:
        status = s["status"] if s["error"] is None else "na"
        groups.setdefault(status, []).append({"name": s["name"], "value": s["value"], "unit": s["unit"],
                                              "states": s["states"]})
    out: dict[str, Any] = {"count": len(sensors), "worst": next((k for k in STATUS_ORDER if k in groups), None)}
    for status in STATUS_ORDER:
        if status in groups:
            out[status] = len(groups[status]) if status == "ok" else groups[status]
    return out


class _NoControl:
    """The control socket stand-in for a check: registrations go nowhere."""

    def register(self, name: str, handler: Callable) -> None:
        pass

    def unregister(self, name: str) -> None:
        pass


def check_config(resolved: Any, options: Any) -> list[str]:
    """Everything ``serve`` checks before it opens a bus or a socket, as a
    reload does; raises ChassisError on the first problem, returns warnings."""
    from chassisctl.serve.app import lan_config, named

    daemon = Daemon(options, _NoControl(), None, logging.getLogger("chassisctl.config"))
    daemon.plan(resolved)
    settings, doc = resolved.bmc, resolved.document
    warnings: list[str] = []
    if not ipmi_enabled(doc):
        return warnings
    if settings.platform:
        from chassisctl.platform import node_endpoints
        from chassisctl.platform.description import load_platform
        from chassisctl.platform.endpoints import check_endpoints

        nodes = load_platform(settings.platform).nodes  # the description only: no bus
        if len(nodes) > 1:
            named(settings.config_path, lambda: check_endpoints(node_endpoints(doc), list(nodes)))
    config, demo = named(settings.config_path, lambda: lan_config(doc, settings.config_path, settings, None))
    if demo:
        warnings.append("no [[ipmi.users]]: serve adds the demo user admin/admin on the simulator, "
                        "loopback only")
    from chassisctl.ipmi.lan import config_warnings

    warnings += config_warnings(config)  # what serve logs at start-up as "weak setting"
    return warnings
