"""Running ``serve``: build every service, bind, announce ready, stop cleanly.

One process, one event loop.  The BMC transport (native SSIF/IPMB or a
translated platform) is opened once and owned by the single bus worker;
each node gets a :class:`BmcMirror` and its own IPMI-over-LAN endpoint.
``[ipmi] enabled = false`` opens no BMC at all, for a box that only needs
LLDP or a relay.  Sibling services (LLDP agent, DHCP relay) are found in
:data:`SIBLINGS` by their config section, share the start/stop life cycle,
and answer questions on the control socket.  ``READY=1`` goes to systemd
only after every socket is bound; SIGTERM and SIGINT stop gracefully
(sessions close, the bus is released).  Nothing is printed to stdout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from chassisctl.config import BmcSettings
from chassisctl.errors import ConfigError
from chassisctl.serve import sdnotify

LOG = logging.getLogger("chassisctl.serve")

#: Used only with the simulator and no [[ipmi.users]]: a laptop demo that
#: works out of the box, bound to loopback so the known password never
#: faces a network.  A real bus without users refuses to start instead.
DEMO_USER = ("admin", "admin")


#: Config section -> module whose ``build(section, ctx) -> list[Service]``
#: makes that section's services.  Imported only when the section exists.
SIBLINGS: dict[str, str] = {
    "lldp": "chassisctl.serve.lldp",
    "dhcp_relay": "chassisctl.serve.dhcp_relay",
}


class Service(Protocol):
    name: str

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ServeContext:
    """What a sibling service's ``build`` may use from serve."""

    config_path: Path | None
    logger: logging.Logger
    runtime_dir: Path | None
    #: :class:`chassisctl.serve.control.ControlServer`: ``register`` queries on it.
    control: Any
    hostname: str


@dataclass(frozen=True, slots=True)
class ServeOptions:
    ipmi_listen: str | None = None
    ipmi_interface: str | None = None
    #: None: [serve] sensor_poll_interval, else 1 s (a flag beats the file).
    poll_interval: float | None = None


def _named(path: Path | None, build):
    """Run ``build``; a ConfigError from a section parser gets the file's name."""
    try:
        return build()
    except ConfigError as exc:
        if path is None or exc.message.startswith(str(path)):
            raise
        raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from None


def _serve_section(doc: dict[str, Any]) -> dict[str, Any]:
    section = doc.get("serve", {})
    if not isinstance(section, dict):
        raise ConfigError("serve: expected a table ([serve])")
    for key in section:
        if key not in ("sensor_poll_interval", "runtime_dir", "socket"):
            raise ConfigError(f"serve.{key}: unknown key")
    for key in ("runtime_dir", "socket"):
        if key in section and (not isinstance(section[key], str) or not section[key].startswith("/")):
            raise ConfigError(f"serve.{key}: expected an absolute path")
    interval = section.get("sensor_poll_interval", 1.0)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0.1 <= interval <= 3600:
        raise ConfigError("serve.sensor_poll_interval: expected seconds within 0.1..3600")
    return section


def lan_config(doc: dict[str, Any], config_path: Path | None, settings: BmcSettings,
               listen_override: str | None, interface: str | None = None):
    """The [ipmi] section, with the demo user on the simulator if none exist.

    Returns (config, demo): ``demo`` is True when the demo user was added,
    which pins every endpoint to loopback.
    """
    from chassisctl.ipmi.codes import Privilege
    from chassisctl.ipmi.lan import lan_config_from_toml
    from chassisctl.ipmi.lan.config import LanUser, parse_listen

    config = lan_config_from_toml(doc, str(config_path) if config_path else None)
    if listen_override:
        host, port = parse_listen(listen_override, "--ipmi-listen")
        config = replace(config, host=host, port=port)
    if interface:
        config = replace(config, interface=interface)
    if not config.users:
        if not settings.simulated:
            raise ConfigError("no [[ipmi.users]] in the config: nobody could log in",
                              hint="add a user (see chassisctl.toml(5)) or use --bus sim for the demo")
        LOG.warning("simulated chassis and no [[ipmi.users]]: demo user %r password %r, loopback only",
                    *DEMO_USER)
        config = replace(_loopback(config), users=(LanUser(2, DEMO_USER[0], DEMO_USER[1].encode(),
                                                                   Privilege.ADMINISTRATOR),))
        return config, True
    return config, False


def _loopback(config):
    """The same endpoint, but never reachable from the network."""
    host = config.host if config.host.startswith("127.") or config.host == "::1" else "127.0.0.1"
    return replace(config, host=host)


def _endpoints(doc: dict[str, Any], transport, base, *, demo: bool = False,
               listen_override: str | None = None) -> list[tuple[Any, Any]]:
    """(node target, LanConfig) per endpoint: one per node of a platform."""
    from chassisctl.errors import UsageError

    nodes = transport.nodes()
    if len(nodes) == 1:
        return [(None, base)]
    if listen_override:
        raise UsageError("--ipmi-listen names one endpoint, but this platform has several nodes: "
                         "give each its own in [[nodes]] (name, listen = \"ADDR:PORT\")")
    from chassisctl.platform import node_endpoints
    from chassisctl.platform.endpoints import check_endpoints

    out = [(name, replace(base, host=host, port=port))
           for name, host, port in check_endpoints(node_endpoints(doc), nodes)]
    if demo:  # the demo password never faces a network, whatever [[nodes]] says
        out = [(name, _loopback(config)) for name, config in out]
    if not out:
        raise ConfigError("this platform has several nodes: give each an endpoint in [[nodes]] "
                          "(name, listen = \"ADDR:PORT\")")
    return out


def _runtime_dir(section: dict[str, Any]) -> Path | None:
    """The first usable runtime directory (:func:`chassisctl.control.paths.runtime_dirs`)."""
    from chassisctl.control.paths import runtime_dirs

    for path in runtime_dirs(section):
        try:
            path.mkdir(parents=True, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    return None


def ipmi_enabled(doc: dict[str, Any]) -> bool:
    """``[ipmi] enabled`` (default true)."""
    section = doc.get("ipmi", {})
    enabled = section.get("enabled", True) if isinstance(section, dict) else True
    if not isinstance(enabled, bool):
        raise ConfigError("ipmi.enabled: expected true or false")
    return enabled


def _write_names(directory: Path | None, names: list[str]) -> None:
    """Sensor names for TAB completion while serve runs (never walk the bus on TAB)."""
    from chassisctl.fileio import write_quietly

    if directory is not None:
        write_quietly(directory / "sdr.json", json.dumps({"names": sorted(set(names))}))


async def run(resolved, options: ServeOptions) -> None:
    """Serve until SIGTERM/SIGINT.  Raises ChassisError before READY on bad setup."""
    import socket

    from chassisctl.control.paths import socket_paths
    from chassisctl.serve.control import ControlServer

    settings, doc = resolved.bmc, resolved.document
    section = _named(settings.config_path, lambda: _serve_section(doc))
    ipmi_on = _named(settings.config_path, lambda: ipmi_enabled(doc))
    siblings = [name for name in SIBLINGS if name in doc]
    if not ipmi_on and not siblings:
        raise ConfigError("[ipmi] enabled = false and no other service is configured: nothing to serve",
                          hint="add [lldp] or [[dhcp_relay]], or enable [ipmi]")
    runtime = _runtime_dir(section)
    control = ControlServer(socket_paths(None, section), logger=logging.getLogger("chassisctl.serve.control"))
    services: list[Service] = []
    bmc: _Bmc | None = None
    try:
        await control.start()
        if ipmi_on:
            bmc = _Bmc()
            services += await bmc.start(resolved, options, section, runtime)
        ctx = ServeContext(config_path=settings.config_path, logger=LOG, runtime_dir=runtime,
                           control=control, hostname=socket.gethostname())
        for name in siblings:
            import importlib

            module = importlib.import_module(SIBLINGS[name])
            for service in _named(settings.config_path, lambda: module.build(doc[name], ctx)):
                await service.start()
                services.append(service)
        control.register("serve.services", lambda args: _services_status(services))
        what = "; ".join(([bmc.describe(services)] if bmc else [])
                         + [_describe(s) for s in services if s.name != "ipmi-lan"])
        LOG.info("ready: %s; control socket %s", what, control.path)
        sdnotify.notify("READY=1", f"STATUS={what}")
        try:
            await _until_stopped()
        finally:
            if bmc is not None:
                await bmc.stop_polling()
        sdnotify.notify("STOPPING=1")
    finally:
        for service in reversed(services):
            await service.stop()
        if bmc is not None:
            bmc.close()
        await control.stop()
        LOG.info("stopped")


def _describe(service: Any) -> str:
    describe = getattr(service, "describe", None)
    return describe() if callable(describe) else getattr(service, "name", type(service).__name__)


def _services_status(services: list[Any]) -> dict[str, Any]:
    out = []
    for service in services:
        status = getattr(service, "status", None)
        out.append({"name": getattr(service, "name", type(service).__name__),
                    **(status() if callable(status) else {})})
    return {"services": out}


class _Bmc:
    """The IPMI half of serve: one transport, one bus worker, a mirror and a
    LAN endpoint per node, and a translated platform's own clockwork."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.worker: Any = None
        self.poller: asyncio.Future | None = None

    async def start(self, resolved, options: ServeOptions, section: dict[str, Any],
                    runtime: Path | None) -> list[Service]:
        from chassisctl.client.sdr_cache import SdrCache
        from chassisctl.clock import SystemClock
        from chassisctl.serve.ipmi_lan import IpmiLanService, current_event
        from chassisctl.serve.mirror import BmcMirror
        from chassisctl.serve.worker import BusWorker
        from chassisctl.transport import open_transport

        settings, doc = resolved.bmc, resolved.document
        interval = float(options.poll_interval if options.poll_interval is not None
                         else section.get("sensor_poll_interval", 1.0))
        base, demo = _named(settings.config_path, lambda: lan_config(
            doc, settings.config_path, settings, options.ipmi_listen, options.ipmi_interface))
        self.transport = transport = open_transport(settings, clock=SystemClock())
        self.worker = worker = BusWorker()
        worker.start()
        services: list[Service] = []
        mirrors = []
        endpoints = _named(settings.config_path, lambda: _endpoints(
            doc, transport, base, demo=demo, listen_override=options.ipmi_listen))
        try:
            for node, config in endpoints:
                mirror = BmcMirror(transport, worker, node=node, name=node or "bmc", poll_interval=interval,
                                   sdr_cache=SdrCache(), logger=LOG)
                await mirror.start()
                guid = mirror._static.get((0x06, 0x37))
                guid_bytes = guid.data if guid is not None and guid.ok and len(guid.data) == 16 else None

                async def handler(request, mirror=mirror):
                    event = current_event.get()
                    key = ("lan", mirror.name, event.session_id if event else None)
                    return await mirror.handle(request, key)

                service = IpmiLanService(config, handler, fast_handler=mirror.fast, guid=guid_bytes,
                                         logger=logging.getLogger("chassisctl.serve.ipmi"))
                await service.start()
                services.append(service)
                mirrors.append(mirror)
        except BaseException:
            for service in reversed(services):
                await service.stop()
            self.close()
            raise
        _write_names(runtime, [n for m in mirrors for n in m.sensor_names])
        if hasattr(transport, "poll"):
            self.poller = asyncio.ensure_future(_poll_platform(transport, worker))
        return services

    def describe(self, services: list[Any]) -> str:
        where = ", ".join(f"{s.config.host}:{s.address[1]}" for s in services if s.name == "ipmi-lan")
        return (f"IPMI over LAN on {where} for {self.transport.describe()}"
                + (" (simulated)" if self.transport.simulated else ""))

    async def stop_polling(self) -> None:
        if self.poller is not None:
            self.poller.cancel()
            await asyncio.gather(self.poller, return_exceptions=True)
            self.poller = None

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.transport is not None:
            self.transport.close()
            self.transport = None


async def _poll_platform(transport, worker, interval: float = 1.0) -> None:
    """A translated platform's own clockwork (the "on" half of a power cycle,
    power events for the SEL) runs even when no client is asking."""
    while True:
        try:
            await worker.run(("platform-poll",), transport.poll)
        except Exception as exc:  # noqa: BLE001 - a failing poll must not stop serve
            LOG.warning("platform poll failed: %s", exc)
        await asyncio.sleep(interval)


async def _until_stopped() -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watchdog = sdnotify.watchdog_interval()
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=watchdog or 3600)
            except asyncio.TimeoutError:
                if watchdog:
                    sdnotify.notify("WATCHDOG=1")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
