"""Running ``serve``: the control socket, the services, readiness and signals.

One process, one event loop.  :mod:`chassisctl.serve.daemon` builds the
services from the configuration and keeps them running; this module holds
the section rules they share (the ``[serve]`` table, the demo user, node
endpoints) and :func:`run`, the life cycle: ``READY=1`` goes to systemd
only after every socket is bound, SIGHUP reloads (``RELOADING=1`` ...
``READY=1``), SIGTERM and SIGINT stop within 5 s.  Nothing is printed to
stdout.
"""

from __future__ import annotations

import logging
import os
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


def named(path: Path | None, build):
    """Run ``build``; a ConfigError from a section parser gets the file's name."""
    try:
        return build()
    except ConfigError as exc:
        if path is None or exc.message.startswith(str(path)):
            raise
        raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from None


def serve_section(doc: dict[str, Any]) -> dict[str, Any]:
    """``[serve]``, already checked against :data:`chassisctl.config.schema.SERVE`."""
    return doc.get("serve", {})


def lan_config(doc: dict[str, Any], config_path: Path | None, settings: BmcSettings,
               listen_override: str | None, interface: str | None = None):
    """The [ipmi] section, with the demo user on the simulator if none exist.

    Returns (config, demo): ``demo`` is True when the demo user was added,
    which pins every endpoint to loopback.
    """
    from chassisctl.ipmi.codes import Privilege
    from chassisctl.config.keys import listen_parts as parse_listen
    from chassisctl.ipmi.lan.config import LanUser
    from chassisctl.serve.lan_settings import lan_config_from_toml

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
        config = replace(_loopback(config), users=(LanUser(2, DEMO_USER[0], DEMO_USER[1].encode(),
                                                                   Privilege.ADMINISTRATOR),))
        return config, True
    return config, False


def _loopback(config):
    """The same endpoint, but never reachable from the network."""
    host = config.host if config.host.startswith("127.") or config.host == "::1" else "127.0.0.1"
    return replace(config, host=host)


def endpoints(doc: dict[str, Any], transport, base, *, demo: bool = False,
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


def runtime_dir(section: dict[str, Any]) -> Path | None:
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


def write_names(directory: Path | None, names: list[str]) -> None:
    """Sensor names for TAB completion while serve runs (never walk the bus on TAB)."""
    from chassisctl.fileio import write_quietly
    from chassisctl.name_index import dumps

    if directory is not None:
        write_quietly(directory / "sensor-names.txt", dumps(names))


async def run(resolved, options: ServeOptions, reresolve=None) -> None:
    """Serve until SIGTERM/SIGINT.  Raises ChassisError before READY on bad setup.

    ``reresolve`` re-reads the configuration (the same flags and
    environment) for SIGHUP; without it SIGHUP is logged and ignored.
    """
    from chassisctl.control.paths import socket_paths
    from chassisctl.serve.control import ControlServer
    from chassisctl.serve.daemon import Daemon

    settings, doc = resolved.bmc, resolved.document
    section = named(settings.config_path, lambda: serve_section(doc))
    control = ControlServer(socket_paths(None, section), logger=logging.getLogger("chassisctl.serve.control"))
    daemon = Daemon(options, control, runtime_dir(section), LOG, reresolve=reresolve)
    try:
        await control.start()
        plan = daemon.plan(resolved)
        await daemon.apply(plan, first=True)
        daemon.register_queries()
        what = daemon.describe()
        _return_startup_memory()
        LOG.info("ready: %s; control socket %s", what, control.path)
        sdnotify.notify("READY=1", f"STATUS={what}")
        await daemon.run_until_stopped()
        sdnotify.notify("STOPPING=1")
    finally:
        await daemon.stop_all()
        await control.stop()
        LOG.info("stopped")


def _return_startup_memory() -> None:
    """Give back what start-up used and dropped (imports, the SDR walk, parsing).

    serve then runs for months with a small steady heap; glibc keeps freed
    arenas mapped unless asked, which on a 2-core chassis CPU is several MB of
    resident memory for nothing.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process' own symbols: libc's, on Linux
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass
