"""``/metrics`` for Prometheus, under ``[metrics] listen``.

The sensor families and their labels follow prometheus ipmi_exporter's
(``ipmi_temperature_celsius{id,name}``, ``ipmi_sensor_state``, ``ipmi_up``…)
so its dashboards and alerts work unchanged; ``node`` is added for
platforms with several.  Everything else is ``chassisctl_*``: bus
transactions, IPMI LAN sessions and logins, service health, and what the
LLDP agent and the relays report through their ``metrics()``.

A scrape never touches the bus: a refresh task keeps the readings at most
``interval`` seconds old through the same shared scan LAN clients use, and
the collector (run on the exposition server's thread) only reads what the
last scan left.  prometheus-client is imported here only, when metrics are on.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
from typing import Any
from collections.abc import Iterable

from chassisctl.errors import ConfigError

DEFAULT_LISTEN = "127.0.0.1:9623"

#: (unit text, ipmi_exporter family prefix, metric unit suffix)
_BY_UNIT = {
    "degrees C": ("ipmi_temperature", "celsius"),
    "RPM": ("ipmi_fan_speed", "rpm"),
    "Volts": ("ipmi_voltage", "volts"),
    "Amps": ("ipmi_current", "amperes"),
    "Watts": ("ipmi_power", "watts"),
}
#: ipmi_exporter's state encoding: 0 nominal, 1 warning, 2 critical, NaN unknown.
_STATE = {"ok": 0.0, "nc": 1.0, "cr": 2.0, "nr": 2.0}


def parse_listen(section: dict[str, Any]) -> tuple[str, int]:
    from chassisctl.config.keys import listen_parts

    return listen_parts(section.get("listen", DEFAULT_LISTEN), "metrics.listen")


class MetricsService:
    name = "metrics"

    def __init__(self, section: dict[str, Any], daemon: Any, *, logger: logging.Logger | None = None) -> None:
        """``section`` is ``[metrics]``, already checked against its schema."""
        from chassisctl.config.schema import METRICS

        self.host, self.port = parse_listen(section)
        self.interval = float(section.get("interval", METRICS["interval"].default))
        self.daemon = daemon
        self.log = logger or logging.getLogger("chassisctl.serve.metrics")
        self._server: Any = None
        self._thread: Any = None
        self.app: _Memo | None = None
        self._refresh: asyncio.Future | None = None

    def describe(self) -> str:
        return f"metrics on http://{self.address}/metrics"

    @property
    def address(self) -> str:
        port = self._server.server_address[1] if self._server is not None else self.port
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"

    async def start(self) -> None:
        import threading
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        from prometheus_client import CollectorRegistry, make_wsgi_app
        from prometheus_client.exposition import ThreadingWSGIServer

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args: Any) -> None:  # serve's log is for events, not every scrape
                pass

        class Server(ThreadingWSGIServer):
            address_family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

        # The first scrape already sees readings (not ipmi_up 0 for "not yet").
        await self.daemon.refresh(self.interval)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self.daemon))
        self.app = _Memo(make_wsgi_app(registry), max_age=min(1.0, self.interval))
        try:
            self._server = make_server(self.host, self.port, self.app, Server, handler_class=Quiet)
        except OSError as exc:
            raise ConfigError(f"metrics: cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="chassisctl-metrics", daemon=True)
        self._thread.start()
        self._refresh = asyncio.ensure_future(self._keep_fresh())

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.daemon.refresh(self.interval)

    async def wait_failed(self) -> None:
        while self._thread is not None and self._thread.is_alive():
            await asyncio.sleep(1.0)
        raise ConnectionError("the metrics HTTP server stopped")

    async def stop(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            await asyncio.gather(self._refresh, return_exceptions=True)
            self._refresh = None
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.shutdown)
            server.server_close()
            self._thread = None

    def status(self) -> dict[str, Any]:
        """Where it listens, and how long scrapes took on the server (the last 1000;
        ``cold``: those that collected and formatted rather than reused)."""
        app = self.app
        return {"listen": self.address, "scrapes": app.scrapes if app is not None else 0,
                **_quantiles("scrape", app.durations if app is not None else ()),
                **_quantiles("scrape_cold", app.cold if app is not None else ())}


def _quantiles(prefix: str, durations: Any) -> dict[str, float | None]:
    times = sorted(durations)
    if not times:
        return {f"{prefix}_p50_ms": None, f"{prefix}_p99_ms": None}
    return {f"{prefix}_p50_ms": round(times[len(times) // 2] * 1e3, 3),
            f"{prefix}_p99_ms": round(times[max(0, int(len(times) * 0.99) - 1)] * 1e3, 3)}


class _Memo:
    """prometheus-client's WSGI exposition, its answer reused for ``max_age``.

    Formatting a few hundred samples costs milliseconds of Python under the
    GIL the event loop also needs; Prometheus servers (and ``watch curl``)
    asking more often than the data changes get the same bytes again.  The
    readings behind them are refreshed in the background anyway.
    """

    def __init__(self, app: Any, max_age: float) -> None:
        import collections
        import threading

        self.app = app
        self.max_age = max_age
        self.durations: collections.deque[float] = collections.deque(maxlen=1000)
        #: Scrapes that had to collect and format (a Prometheus server every 15 s always does).
        self.cold: collections.deque[float] = collections.deque(maxlen=1000)
        self.scrapes = 0
        self._lock = threading.Lock()
        self._cache: dict[tuple, tuple[float, str, list, bytes]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        import time

        started = time.perf_counter()
        key = tuple(environ.get(k, "") for k in ("PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT",
                                                  "HTTP_ACCEPT_ENCODING"))
        cold = False
        with self._lock:
            hit = self._cache.get(key)
            if hit is None or time.monotonic() - hit[0] >= self.max_age:
                cold = True
                captured: list[Any] = []
                body = b"".join(self.app(environ, lambda status, headers, *_: captured.extend((status, headers))))
                hit = (time.monotonic(), captured[0], captured[1], body)
                self._cache[key] = hit
        start_response(hit[1], hit[2])
        self.scrapes += 1
        elapsed = time.perf_counter() - started
        self.durations.append(elapsed)
        if cold:
            self.cold.append(elapsed)
        return [hit[3]]


class _Collector:
    """Turns what the daemon knows into metric families, at scrape time."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon

    def collect(self) -> Iterable[Any]:
        yield from _sensor_families(self.daemon)
        yield from _bus_families(self.daemon)
        families: dict[str, Any] = {}
        for name, kind, help_text, labels, value in self.daemon.metric_samples():
            family = families.get(name)
            if family is None:
                family = families[name] = _family(kind, name, help_text, sorted(labels))
            family.add_metric([str(labels[k]) for k in sorted(labels)], value)
        yield from families.values()


def _family(kind: str, name: str, help_text: str, labels: list[str]) -> Any:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    if kind == "counter":
        return CounterMetricFamily(name.removesuffix("_total"), help_text, labels=labels)
    return GaugeMetricFamily(name, help_text, labels=labels)


def _sensor_families(daemon: Any) -> Iterable[Any]:
    from prometheus_client.core import GaugeMetricFamily

    unit = daemon.bmc
    if unit is None:
        return
    up = GaugeMetricFamily("ipmi_up", "1 when the BMC answered the last scan.", labels=["collector", "node"])
    power = GaugeMetricFamily("ipmi_chassis_power_state", "Chassis power: 1 on, 0 off.", labels=["node"])
    values: dict[str, Any] = {}
    states: dict[str, Any] = {}
    generic_value = GaugeMetricFamily("ipmi_sensor_value", "Generic data read from an IPMI sensor "
                                      "of unknown type, relying on labels for context.",
                                      labels=["id", "name", "type", "node"])
    generic_state = GaugeMetricFamily("ipmi_sensor_state", "Indicates the severity of the state reported by "
                                      "an IPMI sensor (0=nominal, 1=warning, 2=critical).",
                                      labels=["id", "name", "type", "node"])
    for node in unit.nodes():
        name = node["node"]
        readable = [s for s in node["sensors"] if s["error"] is None]
        up.add_metric(["ipmi", name], 1.0 if node["sensors_age_s"] is not None and readable
                      and node.get("bmc") != "down" else 0.0)
        if node["power"] is not None:
            power.add_metric([name], 1.0 if node["power"] == "on" else 0.0)
        for s in node["sensors"]:
            sid, sname = str(s["number"]), s["name"]
            state = _STATE.get(s["status"], math.nan)
            known = _BY_UNIT.get(s["unit"])
            if known is None or s["kind"] != "threshold":
                generic_state.add_metric([sid, sname, s["type"], name], state)
                if s["value"] is not None:
                    generic_value.add_metric([sid, sname, s["type"], name], s["value"])
                continue
            prefix, suffix = known
            if prefix not in values:
                what = prefix.removeprefix("ipmi_").replace("_", " ")
                values[prefix] = GaugeMetricFamily(f"{prefix}_{suffix}", f"{what.capitalize()} reading "
                                                   f"in {suffix}.", labels=["id", "name", "node"])
                states[prefix] = GaugeMetricFamily(f"{prefix}_state", f"Reported state of a {what} sensor "
                                                   "(0=nominal, 1=warning, 2=critical).",
                                                   labels=["id", "name", "node"])
            values[prefix].add_metric([sid, sname, name], math.nan if s["value"] is None else s["value"])
            states[prefix].add_metric([sid, sname, name], state)
    yield up
    yield power
    yield from values.values()
    yield from states.values()
    yield generic_value
    yield generic_state


def _bus_families(daemon: Any) -> Iterable[Any]:
    from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

    unit = daemon.bmc
    if unit is None:
        return
    total = CounterMetricFamily("chassisctl_bmc_transactions", "I2C BMC transactions.", labels=["node"])
    errors = CounterMetricFamily("chassisctl_bmc_transaction_errors", "I2C BMC transactions that failed "
                                 "or were answered with an error completion code.", labels=["node", "error"])
    latency = HistogramMetricFamily("chassisctl_bmc_transaction_seconds", "Time of one I2C BMC transaction.",
                                    labels=["node"])
    for node, stats in unit.stats().items():
        label = "bmc" if node == "None" else node
        total.add_metric([label], stats.total)
        for error, count in stats.errors.items():
            errors.add_metric([label, error], count)
        latency.add_metric([label], stats.cumulative(), stats.seconds)
    yield total
    yield errors
    yield latency
