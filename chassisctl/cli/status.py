"""``chassisctl status``: one screen of the running ``serve``.

Power per node, sensors grouped by their worst status, each service's
health and uptime, LLDP neighbours per port and relay counters, from the
daemon's control socket: fast enough for ``watch -n1 chassisctl status``.
"""

from __future__ import annotations

from typing import Any

import typer

from chassisctl.cli.ask import SOCKET_HELP
from chassisctl.cli.common import command, state


def register(app: typer.Typer) -> None:
    @command(app, "status")
    def status(
        socket: str | None = typer.Option(None, "--socket", metavar="PATH", help=SOCKET_HELP),
    ) -> None:
        """Show the running serve: power, sensors by status, services, LLDP, relays."""
        from chassisctl.cli.ask import ask_serve

        out = state().output()
        doc = ask_serve("status", socket=socket)
        if out.json_mode:
            out.json(doc)
            return
        _render(out, doc)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _service_detail(s: dict[str, Any]) -> str:
    parts = []
    for key in ("listen", "ports", "downstream"):
        if s.get(key):
            value = s[key]
            parts.append(", ".join(value) if isinstance(value, list) else str(value))
    if "sessions" in s:
        parts.append(f"{s['sessions']} sessions")
    if s.get("neighbors") is not None:
        parts.append(f"{len(s['neighbors'])} neighbours")
    if s.get("last_error") and s.get("state") != "up":
        parts.append(f"last error: {s['last_error']}")
    return "; ".join(parts)


def _render(out, doc: dict[str, Any]) -> None:
    from chassisctl.cli.render import Column

    out.line(f"chassisctl serve {doc['version']}, pid {doc['pid']}, up {_duration(doc['uptime_s'])}, "
             f"{doc['reloads']} reloads")
    services = doc["services"]
    out.line()
    out.table([Column("Service"), Column("State"), Column("Uptime", "right"), Column("Restarts", "right"),
               Column("Detail")],
              [[s["name"], s["state"], _duration(s.get("uptime_s")), s.get("restarts", 0), _service_detail(s)]
               for s in services],
              styles=[None if s["state"] == "up" else "yellow" for s in services])
    if doc["nodes"]:
        out.line()
        rows, styles = [], []
        for node in doc["nodes"]:
            sensors = node["sensors"]
            down = node.get("bmc") == "down"
            rows.append([node["node"], "BMC not answering" if down else node["power"] or "unknown",
                         _sensor_summary(sensors)])
            styles.append("red" if down else
                          {"nr": "red", "cr": "red", "nc": "yellow", "na": "yellow"}.get(sensors.get("worst")))
        out.table([Column("Node"), Column("Power"), Column("Sensors")], rows, styles=styles)
    neighbors = [n for s in services for n in s.get("neighbors") or []]
    if any(s.get("neighbors") is not None for s in services):
        out.line()
        out.table([Column("Local port"), Column("Neighbour"), Column("Port ID"), Column("TTL", "right")],
                  [[n.get("local_port"), n.get("system_name") or n.get("chassis_id"), n.get("port_id"),
                    n.get("ttl")] for n in neighbors])
    relays = [(s["name"], r) for s in services for r in s.get("relays") or [] if isinstance(r.get("interfaces"), dict)]
    if relays:
        out.line()
        rows = []
        for service, relay in relays:
            label = f"{relay.get('family', service)} {','.join(relay.get('downstream', []))}".strip()
            for name, counters in sorted(relay["interfaces"].items()):
                dropped = counters.get("dropped", {})
                rows.append([label, name, counters.get("received", 0), counters.get("relayed", 0),
                             sum(dropped.values()),
                             ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()) if v)])
        out.table([Column("Relay"), Column("Interface"), Column("Received", "right"), Column("Relayed", "right"),
                   Column("Dropped", "right"), Column("Why")], rows)


def _sensor_summary(sensors: dict[str, Any]) -> str:
    """"32 ok" or "1 cr: CPU Temp 96 degrees C; 31 ok"."""
    parts = []
    for status in ("nr", "cr", "nc", "na", "ns"):
        for s in sensors.get(status, []):
            value = "" if s["value"] is None else f" {s['value']:g} {s['unit']}"
            parts.append(f"{status}: {s['name']}{value}")
    if sensors.get("ok"):
        parts.append(f"{sensors['ok']} ok")
    return "; ".join(parts) or f"{sensors.get('count', 0)} sensors"
