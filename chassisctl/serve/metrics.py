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
from typing import Any, Iterable

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
    from chassisctl.ipmi.lan.config import parse_listen as parse

    listen = section.get("listen", DEFAULT_LISTEN)
    try:
        return parse(listen, "metrics.listen")
    except ConfigError:
        raise
    except Exception:  # noqa: BLE001 - anything else about the value is the same mistake
        raise ConfigError(f"metrics.listen: expected \"ADDR:PORT\", got {listen!r}") from None


class MetricsService:
    name = "metrics"

    def __init__(self, section: dict[str, Any], daemon: Any, *, logger: logging.Logger | None = None) -> None:
        for key in section:
            if key not in ("listen", "interval"):
                raise ConfigError(f"metrics.{key}: unknown key")
        self.host, self.port = parse_listen(section)
        interval = section.get("interval", 5.0)
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 1 <= interval <= 3600:
            raise ConfigError("metrics.interval: expected seconds within 1..3600")
        self.interval = float(interval)
        self.daemon = daemon
        self.log = logger or logging.getLogger("chassisctl.serve.metrics")
        self._server: Any = None
        self._thread: Any = None
        self._refresh: asyncio.Future | None = None

    def describe(self) -> str:
        return f"metrics on http://{self.address}/metrics"

    @property
    def address(self) -> str:
        port = self._server.server_address[1] if self._server is not None else self.port
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"

    async def start(self) -> None:
        from prometheus_client import CollectorRegistry, start_http_server

        # The first scrape already sees readings (not ipmi_up 0 for "not yet").
        await self.daemon.refresh(self.interval)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self.daemon))
        try:
            self._server, self._thread = start_http_server(self.port, addr=self.host, registry=registry)
        except OSError as exc:
            raise ConfigError(f"metrics: cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
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
        return {"listen": self.address}


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
